"""The hook field `rate_limit_per_second` through the api handler against moto, and its counter item."""

from datetime import UTC, datetime

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
