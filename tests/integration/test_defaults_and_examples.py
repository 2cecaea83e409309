"""Event-type examples (GET /event-types, test deliveries) and the default payload_format of new hooks."""

import json

from tests.conftest import ADMIN_TOKEN, create_hook


def test_event_types_carry_the_seed_examples(api, tenant) -> None:
    # Given the shipped catalogues, When a tenant lists the event types
    items = {t["type"]: t for t in api.get("/event-types", tenant["token"]).body["items"]}
    # Then the seed sample of each product is returned as its type's example
    assert items["CUSTOMER_CREATE"]["example"]["event"]["key"] == "CUSTOMER_CREATE"
    assert items["CUSTOMER_DELETE"]["example"] is None


def test_a_test_delivery_without_data_sends_the_types_example(api, tenant, receiver) -> None:
    # Given a hook on a catalogued type with an example
    hook = create_hook(api, tenant["token"], receiver.url, on="CUSTOMER_*", payload_format="data")
    example = api.get("/event-types", tenant["token"]).body["items"]
    expected = next(t["example"] for t in example if t["type"] == "CUSTOMER_CREATE")
    # When a test delivery names the type but gives no data
    reply = api.post(f"/hooks/{hook['id']}/test", tenant["token"], {"type": "CUSTOMER_CREATE"})
    # Then the receiver gets the example
    assert reply.status == 200 and reply.body["status"] == "succeeded"
    assert json.loads(receiver.deliveries[-1].body) == expected


def test_a_tenant_default_payload_format_applies_to_hooks_created_without_one(api, receiver) -> None:
    # Given a tenant whose receivers take the producer's envelope as the body
    tenant = api.post("/tenants", ADMIN_TOKEN, {"name": "seed customer", "payload_format": "data"}).body
    assert tenant["payload_format"] == "data"
    # When it creates hooks, one without a format and one with envelope
    plain = create_hook(api, tenant["token"], receiver.url, on="CUSTOMER_*")
    explicit = create_hook(api, tenant["token"], receiver.url, on="CUSTOMER_*", payload_format="envelope")
    # Then the first gets the tenant's default and an explicit choice wins
    assert plain["payload_format"] == "data" and explicit["payload_format"] == "envelope"


def test_an_existing_tenant_can_set_and_clear_its_default(api, tenant, receiver) -> None:
    # Given a tenant created without a default, When the admin sets one
    path = f"/tenants/{tenant['id']}"
    assert api.patch(path, ADMIN_TOKEN, {"payload_format": "data"}).body["payload_format"] == "data"
    # Then new hooks get it, and clearing it brings back envelope; the name is untouched
    assert create_hook(api, tenant["token"], receiver.url, on="CUSTOMER_*")["payload_format"] == "data"
    cleared = api.patch(path, ADMIN_TOKEN, {"payload_format": None}).body
    assert cleared["payload_format"] is None and cleared["name"] == tenant["name"]
    assert create_hook(api, tenant["token"], receiver.url, on="CUSTOMER_*")["payload_format"] == "envelope"
    assert api.patch(path, tenant["token"], {"name": "x"}).status == 403


def test_an_event_type_default_payload_format_applies_when_every_matched_type_agrees(api, tenant, receiver) -> None:
    # Given two types declaring `data` and one declaring nothing
    for name, declared in (("seed.one", "data"), ("seed.two", "data"), ("other.three", None)):
        body = {"description": name, **({"payload_format": declared} if declared else {})}
        assert api.put(f"/event-types/{name}", ADMIN_TOKEN, body).status == 200
    # When hooks are created without a format
    agreeing = create_hook(api, tenant["token"], receiver.url, on="seed.*")
    mixed = create_hook(api, tenant["token"], receiver.url, on=["seed.one", "other.three"])
    # Then only the hook whose types all declare `data` gets it
    assert agreeing["payload_format"] == "data" and mixed["payload_format"] == "envelope"
