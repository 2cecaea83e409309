"""Payload filters through the API, the routing index and the pipeline on moto: refused at save time naming
the place inside the filter; an event a hook's filter rejects reaches nothing, writes nothing for that hook;
a hook without a filter stores nothing extra."""

from functions.common.dal.clients import aws
from functions.common.dal.hooks import GLOB_ROUTE, ROUTE_FILTER, route_partition
from hookwire.receiver import always
from tests.conftest import create_hook, publish

SHIPPED = {"data.status": {"$in": ["shipped", "delivered"]}}


def _route_items(aws_env, tenant_id: str) -> list[dict]:
    response = aws.get("dynamodb").query(
        TableName=aws_env.subscriptions_table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": route_partition(tenant_id, GLOB_ROUTE)}},
    )
    return response["Items"]


def test_an_invalid_filter_is_a_422_naming_filter_and_the_place_inside_it(api, tenant, receiver) -> None:
    # Given a hook body whose filter uses an unknown operator
    body = {"name": "x", "url": receiver.url, "on": "*", "filter": {"data.status": {"$like": "ship*"}}}
    # When it is created, and when an existing hook is patched with it
    created = api.post("/hooks", tenant["token"], body)
    hook = create_hook(api, tenant["token"], receiver.url)
    patched = api.patch(f"/hooks/{hook['id']}", tenant["token"], {"filter": {"$or": [{"data.n": {"$gt": [1]}}]}})
    # Then both are 422 naming `filter`, with the path inside it in the message
    assert created.status == 422 and created.body["field"] == "filter"
    assert "filter.data.status.$like: unknown operator" in created.body["message"]
    assert patched.status == 422 and patched.body["field"] == "filter"
    assert "filter.$or.0.data.n.$gt" in patched.body["message"]


def test_a_filtered_hook_gets_only_matching_events_and_nothing_is_recorded_for_the_rest(
    api, tenant, pipeline, make_receiver
) -> None:
    # Given a filtered hook and an unfiltered one on the same type
    token = tenant["token"]
    filtered_receiver, plain_receiver = make_receiver(always(200)), make_receiver(always(200))
    filtered = create_hook(api, token, filtered_receiver.url, on="order.*", filter=SHIPPED)
    plain = create_hook(api, token, plain_receiver.url, on="order.*")
    assert filtered["filter"] == SHIPPED and plain["filter"] is None
    # When a shipped and a cancelled order event are published
    shipped = publish(api, token, "order.status.changed", {"status": "shipped"}).body
    cancelled = publish(api, token, "order.status.changed", {"status": "cancelled"}).body
    pipeline.run_until_quiet()
    # Then the filtered hook received only the shipped one, the plain hook both
    assert [d.headers["webhook-id"] for d in filtered_receiver.deliveries] == [shipped["id"]]
    assert {d.headers["webhook-id"] for d in plain_receiver.deliveries} == {shipped["id"], cancelled["id"]}
    # And the rejected event left no execution and no delivery state for the filtered hook
    executions = api.get(f"/hooks/{filtered['id']}/executions", token).body["items"]
    assert [e["event_id"] for e in executions] == [shipped["id"]]
    states = api.get(f"/events/{cancelled['id']}", token).body["deliveries"]
    assert [state["hook_id"] for state in states] == [plain["id"]]


def test_only_filtered_hooks_carry_a_filter_on_their_routes_and_null_removes_it(api, tenant, aws_env, receiver) -> None:
    # Given a filtered and an unfiltered hook
    token = tenant["token"]
    filtered = create_hook(api, token, receiver.url, on="order.*", filter=SHIPPED)
    create_hook(api, token, receiver.url, on="order.*")
    # Then only the filtered hook's route item carries the filter (an unfiltered route costs no extra bytes)
    by_hook = {item["sk"]["S"]: item for item in _route_items(aws_env, tenant["id"])}
    assert {hook_id for hook_id, item in by_hook.items() if ROUTE_FILTER in item} == {filtered["id"]}
    # When the filter is removed with null
    reply = api.patch(f"/hooks/{filtered['id']}", token, {"filter": None})
    # Then the hook shows none and its route no longer carries one
    assert reply.status == 200 and reply.body["filter"] is None
    assert all(ROUTE_FILTER not in item for item in _route_items(aws_env, tenant["id"]))
