"""A second tenant's token sees none of the first tenant's resources: every route answers 404."""

from tests.conftest import create_hook, publish


def test_every_tenant_route_hides_another_tenants_resources(api, tenant, other_tenant, pipeline, receiver) -> None:
    # Given a hook, an event and an execution of the first tenant
    owner = tenant["token"]
    hook = create_hook(api, owner, receiver.url, on="lead.*")
    event = publish(api, owner, "lead.created", {"id": "ld_1"}).body
    pipeline.run_until_quiet()
    execution = api.get(f"/hooks/{hook['id']}/executions", owner).body["items"][0]
    # When the second tenant tries every route on them
    stranger = other_tenant["token"]
    attempts = [
        ("GET", f"/hooks/{hook['id']}", None),
        ("PUT", f"/hooks/{hook['id']}", {"name": "x"}),
        ("PATCH", f"/hooks/{hook['id']}", {"status": "paused"}),
        ("DELETE", f"/hooks/{hook['id']}", None),
        ("POST", f"/hooks/{hook['id']}/rotate", {}),
        ("POST", f"/hooks/{hook['id']}/test", {}),
        ("GET", f"/hooks/{hook['id']}/executions", None),
        ("GET", f"/hooks/{hook['id']}/executions/{execution['id']}", None),
        ("POST", f"/hooks/{hook['id']}/executions/{execution['id']}/retry", None),
        ("GET", f"/events/{event['id']}", None),
        ("POST", f"/events/{event['id']}/replay", {}),
    ]
    # Then every one is a 404, and nothing changed
    for method, path, body in attempts:
        reply = api.request(method, path, stranger, body)
        assert reply.status == 404, (method, path, reply.body)
    assert api.get("/hooks", stranger).body["items"] == []
    assert api.get(f"/hooks/{hook['id']}", owner).body["status"] == "active"
    # And the same event id is free for the second tenant: ids are per tenant
    assert publish(api, stranger, "lead.created", {}, id=event["id"]).status == 202


def test_a_cursor_from_one_tenant_is_refused_for_another(api, tenant, other_tenant, receiver) -> None:
    for _ in range(3):
        create_hook(api, tenant["token"], receiver.url)
    cursor = api.get("/hooks?limit=1", tenant["token"]).body["next_cursor"]
    reply = api.get(f"/hooks?limit=1&cursor={cursor}", other_tenant["token"])
    assert reply.status == 400 and reply.body["field"] == "cursor"
