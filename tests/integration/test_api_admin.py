"""Tenants, tokens and the event-type catalogue, through the api handler against moto."""

from tests.conftest import ADMIN_TOKEN


def test_the_health_check_answers_without_a_token(api) -> None:
    # When /health is read without a token
    reply = api.get("/health")
    # Then it answers ok
    assert reply.status == 200 and reply.body == {"status": "ok"}


def test_missing_or_wrong_token_is_401_naming_the_header(api) -> None:
    # Given no token, an unknown one, a malformed one, and a Basic scheme
    for token in (None, "nope", "hwt_unknown"):
        # When each calls the API, then each is 401 naming the authorization header
        reply = api.get("/tenants", token)
        assert reply.status == 401
        assert reply.body["field"] == "authorization"
    assert api.request("GET", "/tenants", headers={"authorization": "Basic abc"}).status == 401


def test_a_tenant_is_created_with_a_token_shown_once_and_deleting_it_revokes_the_token(api) -> None:
    # When the admin creates a tenant
    # Given an admin
    created = api.post("/tenants", ADMIN_TOKEN, {"name": "acme"})
    # Then it gets an id and a token shown once
    assert created.status == 201
    tenant = created.body
    assert tenant["token"].startswith("hwt_") and tenant["name"] == "acme"
    # And it can be read and listed, never with the token again
    got = api.get(f"/tenants/{tenant['id']}", ADMIN_TOKEN)
    assert got.status == 200 and "token" not in got.body
    listed = api.get("/tenants", ADMIN_TOKEN).body
    assert [t["id"] for t in listed["items"]] == [tenant["id"]] and listed["next_cursor"] is None
    # When it is deleted, its token stops working at once
    assert api.get("/hooks", tenant["token"]).status == 200
    assert api.delete(f"/tenants/{tenant['id']}", ADMIN_TOKEN).status == 204
    assert api.get("/hooks", tenant["token"]).status == 401
    assert api.get(f"/tenants/{tenant['id']}", ADMIN_TOKEN).status == 404
    assert api.delete(f"/tenants/{tenant['id']}", ADMIN_TOKEN).status == 404


def test_the_tenant_list_pages_through_every_tenant_once(api) -> None:
    # Given 5 tenants
    created = [api.post("/tenants", ADMIN_TOKEN, {"name": f"t{index}"}).body["id"] for index in range(5)]
    # When they are listed 2 at a time, following the cursor
    first = api.get("/tenants?limit=2", ADMIN_TOKEN).body
    assert len(first["items"]) == 2 and first["next_cursor"]
    seen = [t["id"] for t in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = api.get(f"/tenants?limit=2&cursor={cursor}", ADMIN_TOKEN).body
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
    # Then every tenant is seen exactly once
    assert sorted(seen) == sorted(created)


def test_out_of_range_limits_and_garbage_cursors_are_refused(api) -> None:
    # When a limit out of 1..100 or a garbage cursor is given, then each is refused (the cursor naming itself)
    assert api.get("/tenants?limit=0", ADMIN_TOKEN).status == 422
    assert api.get("/tenants?limit=101", ADMIN_TOKEN).status == 422
    reply = api.get("/tenants?cursor=garbage", ADMIN_TOKEN)
    assert reply.status == 400 and reply.body["field"] == "cursor"


def test_a_bad_tenant_body_is_refused_naming_the_problem(api) -> None:
    # Given a missing name, an unknown field, malformed JSON and a non-JSON content type
    reply = api.post("/tenants", ADMIN_TOKEN, {})
    # When each is posted, then each is refused naming the field or the code
    assert reply.status == 422 and reply.body["field"] == "name" and "name" in reply.body["message"]
    assert api.post("/tenants", ADMIN_TOKEN, {"name": "x", "extra": 1}).status == 422
    malformed = api.post("/tenants", ADMIN_TOKEN, raw=b"{not json")
    assert malformed.status == 400 and malformed.body["code"] == "malformed_json"
    wrong_type = api.post("/tenants", ADMIN_TOKEN, raw=b"name=x", headers={"content-type": "text/plain"})
    assert wrong_type.status == 400 and wrong_type.body["field"] == "content-type"


def test_a_revoked_token_stops_working_and_the_others_keep_working(api, tenant) -> None:
    # Given a second token for the tenant
    issued = api.post(f"/tenants/{tenant['id']}/tokens", ADMIN_TOKEN)
    assert issued.status == 201
    second = issued.body
    assert api.get("/hooks", second["token"]).status == 200
    # When it is revoked
    # Then it stops working, the first keeps working, and revoking it again or for no tenant finds nothing
    assert api.delete(f"/tenants/{tenant['id']}/tokens/{second['id']}", ADMIN_TOKEN).status == 204
    assert api.get("/hooks", second["token"]).status == 401
    assert api.get("/hooks", tenant["token"]).status == 200
    assert api.delete(f"/tenants/{tenant['id']}/tokens/{second['id']}", ADMIN_TOKEN).status == 404
    assert api.post("/tenants/ten_missing/tokens", ADMIN_TOKEN).status == 404


def test_tenant_tokens_cannot_use_admin_routes(api, tenant) -> None:
    # Given a tenant's token
    token = tenant["token"]
    # When it calls admin routes, then each is 403
    assert api.get("/tenants", token).status == 403
    assert api.post("/tenants", token, {"name": "x"}).status == 403
    assert api.put("/event-types/x.y", token, {"description": "d"}).status == 403


def test_the_seeded_catalogue_is_readable_and_the_admin_adds_and_removes_types(api, tenant) -> None:
    # Given the seeded catalogue
    # When a tenant lists it
    items = api.get("/event-types", tenant["token"]).body["items"]
    # Then every seeded type is there, each with the description and category of its catalogue file
    assert len(items) == 62
    [order_status] = [item for item in items if item["type"] == "order.status.changed"]
    assert (order_status["description"], order_status["category"]) == ("An order moved to a new status", "Orders")
    # When the admin adds one with a schema, then removes it
    put = api.put(
        "/event-types/invoice.voided",
        ADMIN_TOKEN,
        {"description": "Invoice voided", "category": "Sales", "schema": {"type": "object"}},
    )
    assert put.status == 200 and put.body["schema"] == {"type": "object"}
    # Then it is listed once, and is gone after the delete (a second delete finds nothing)
    listed = [i["type"] for i in api.get("/event-types", ADMIN_TOKEN).body["items"]]
    assert listed.count("invoice.voided") == 1
    assert api.delete("/event-types/invoice.voided", ADMIN_TOKEN).status == 204
    assert "invoice.voided" not in [i["type"] for i in api.get("/event-types", ADMIN_TOKEN).body["items"]]
    assert api.delete("/event-types/invoice.voided", ADMIN_TOKEN).status == 404


def test_a_bad_event_type_name_or_schema_is_refused(api) -> None:
    # When an event type is put with a bad name, then it is refused
    assert api.put("/event-types/bad*type", ADMIN_TOKEN, {"description": "x"}).status == 422
    # When it has an invalid JSON Schema, then the 422 names the schema field
    bad_schema = api.put("/event-types/x.y", ADMIN_TOKEN, {"description": "x", "schema": {"type": "nonsense"}})
    assert bad_schema.status == 422 and bad_schema.body["field"] == "schema"
