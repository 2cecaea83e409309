"""The hook fields `rate_limit_per_second` and `ordering` through the api handler against moto, the rate
counter item, and the routing index marking FIFO hooks."""

from datetime import UTC, datetime

from functions.common.dal.hooks import HooksRepository
from functions.common.dal.rate_limits import RateLimitRepository
from tests.conftest import create_hook


def test_rate_limit_is_off_by_default_settable_and_clearable(api, tenant, receiver) -> None:
    token = tenant["token"]
    # Given a hook created without a rate limit
    hook = create_hook(api, token, receiver.url)
    assert hook["rate_limit_per_second"] is None
    # When a limit is set, then cleared with null
    limited = api.patch(f"/hooks/{hook['id']}", token, {"rate_limit_per_second": 5})
    cleared = api.patch(f"/hooks/{hook['id']}", token, {"rate_limit_per_second": None})
    # Then the hook shows the limit, then none
    assert limited.status == 200 and limited.body["rate_limit_per_second"] == 5
    assert cleared.status == 200 and cleared.body["rate_limit_per_second"] is None
    assert api.get(f"/hooks/{hook['id']}", token).body["rate_limit_per_second"] is None


def test_a_rate_limit_out_of_range_is_a_422_naming_the_field(api, tenant, receiver) -> None:
    token = tenant["token"]
    # Given limits outside 1..1000 or not integers
    for bad in (0, -1, 1001, 2.5, "fast"):
        body = {"name": "x", "url": receiver.url, "on": "*", "rate_limit_per_second": bad}
        # When a hook is created with one
        reply = api.post("/hooks", token, body)
        # Then the API refuses it and names the field
        assert reply.status == 422, (bad, reply.body)
        assert reply.body["field"] == "rate_limit_per_second", (bad, reply.body)


def test_the_counter_numbers_deliveries_within_one_second_of_one_hook(aws_env) -> None:
    # Given a hook's counter in one second
    counter = RateLimitRepository(aws_env.subscriptions_table)
    second = datetime(2026, 1, 1, 12, 0, 0, 100000, tzinfo=UTC)
    # When two batches take 3 and 2 slots in that second, and one takes a slot in the next second
    first = counter.take("hook_1", 3, second)
    then = counter.take("hook_1", 2, second.replace(microsecond=900000))
    next_second = counter.take("hook_1", 1, second.replace(second=1))
    other_hook = counter.take("hook_2", 1, second)
    # Then each learns how many came before it in its own second, per hook
    assert (first, then, next_second, other_hook) == (0, 3, 0, 0)


def test_ordering_defaults_to_none_and_switching_to_fifo_marks_the_hooks_routes(api, tenant, receiver, aws_env) -> None:
    token = tenant["token"]
    # Given a hook on an exact type and a glob, created without ordering
    hook = create_hook(api, token, receiver.url, on=["lead.created", "order.*"])
    assert hook["ordering"] == "none"
    routes = HooksRepository(aws_env.subscriptions_table)
    tenant_id = tenant["id"]
    assert not any(t.fifo for t in routes.route_targets(tenant_id, "lead.created"))
    # When it is switched to FIFO
    reply = api.patch(f"/hooks/{hook['id']}", token, {"ordering": "fifo"})
    # Then it shows, and fan-out's routing index sends both its exact and glob routes to the FIFO queue
    assert reply.status == 200 and reply.body["ordering"] == "fifo"
    assert [t.hook_id for t in routes.route_targets(tenant_id, "lead.created") if t.fifo] == [hook["id"]]
    assert [t.hook_id for t in routes.route_targets(tenant_id, "order.status.changed") if t.fifo] == [hook["id"]]
    # And switching back clears the mark
    api.patch(f"/hooks/{hook['id']}", token, {"ordering": "none"})
    assert not any(t.fifo for t in routes.route_targets(tenant_id, "lead.created"))


def test_an_unknown_or_null_ordering_is_a_422_naming_the_field(api, tenant, receiver) -> None:
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url)
    for body, send in (
        ({"name": "x", "url": receiver.url, "on": "*", "ordering": "lifo"}, lambda b: api.post("/hooks", token, b)),
        ({"ordering": None}, lambda b: api.patch(f"/hooks/{hook['id']}", token, b)),
    ):
        reply = send(body)
        assert reply.status == 422, (body, reply.body)
        assert reply.body["field"] == "ordering", (body, reply.body)


def test_a_rate_limit_and_fifo_ordering_together_are_a_422_naming_the_rate_limit(api, tenant, receiver) -> None:
    token = tenant["token"]
    # Given a FIFO hook
    hook = create_hook(api, token, receiver.url, on="lead.created")
    assert api.patch(f"/hooks/{hook['id']}", token, {"ordering": "fifo"}).status == 200
    # When a rate limit is added to it, or a hook is created with both
    patched = api.patch(f"/hooks/{hook['id']}", token, {"rate_limit_per_second": 5})
    body = {"name": "both", "url": receiver.url, "on": ["lead.created"], "ordering": "fifo", "rate_limit_per_second": 5}
    created = api.post("/hooks", token, body)
    # Then both are refused naming the field, and the hook keeps no limit
    for reply in (patched, created):
        assert reply.status == 422
        assert reply.body["field"] == "rate_limit_per_second"
        assert "can't be combined with ordering fifo" in reply.body["message"]
    assert api.get(f"/hooks/{hook['id']}", token).body["rate_limit_per_second"] is None
