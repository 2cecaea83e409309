"""Recover since T and bulk replay through the API and the pipeline on moto (schedule "1s,1s": 3 attempts)."""

from datetime import UTC, datetime, timedelta

from hookwire.receiver import Answer
from tests.conftest import create_hook, publish


def _an_hour_ago() -> str:
    return (datetime.now(UTC) - timedelta(hours=1)).isoformat()


def test_recover_resends_failed_deliveries_once_and_shows_its_progress(api, tenant, pipeline, make_receiver) -> None:
    # Given a receiver that was down while two events exhausted their attempts, and is up again
    up = {"now": False}
    receiver = make_receiver(lambda _d, _n: Answer(status=200 if up["now"] else 500))
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="lead.created")
    first = publish(api, token, "lead.created", {"n": 1}).body
    second = publish(api, token, "lead.created", {"n": 2}).body
    pipeline.run_until_quiet()
    assert len(receiver.deliveries) == 6
    up["now"] = True
    # When a recovery since an hour ago is asked for, twice
    body = {"since": _an_hour_ago()}
    started = api.post(f"/hooks/{hook['id']}/recover", token, body)
    again = api.post(f"/hooks/{hook['id']}/recover", token, body)
    # Then both answers are 202 with the same recovery, running
    assert started.status == 202 and again.status == 202
    assert started.body["id"] == again.body["id"] and started.body["status"] == "running"
    pipeline.run_until_quiet()
    # And each failed event was re-sent once, as a recovery attempt, and now succeeded
    assert len(receiver.deliveries) == 8
    progress = api.get(f"/hooks/{hook['id']}/recoveries/{started.body['id']}", token).body
    assert progress["status"] == "done" and (progress["found"], progress["queued"], progress["scanned"]) == (2, 2, 6)
    history = api.get(f"/hooks/{hook['id']}/executions", token).body["items"]
    recovered = [e for e in history if e["recovery_id"] == started.body["id"]]
    assert [(e["status"], e["attempt"]) for e in recovered] == [("succeeded", 4)] * 2
    for event in (first, second):
        assert api.get(f"/events/{event['id']}", token).body["deliveries"][0]["state"] == "succeeded"
    # And asking again once it is done returns it, and sends nothing
    assert api.post(f"/hooks/{hook['id']}/recover", token, body).body["id"] == started.body["id"]
    pipeline.run_until_quiet()
    assert len(receiver.deliveries) == 8


def test_replay_resends_every_event_of_the_type_in_the_range(api, tenant, pipeline, make_receiver) -> None:
    # Given a hook that received two deal events and a lead event
    receiver = make_receiver(lambda _d, _n: Answer())
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on=["deal.*", "lead.created"])
    updated = publish(api, token, "deal.updated", {}).body
    created = publish(api, token, "deal.created", {}).body
    publish(api, token, "lead.created", {})
    pipeline.run_until_quiet()
    # When the deal events of the last hour are replayed to it
    replay = api.post(f"/hooks/{hook['id']}/replay", token, {"event_type": "deal.*", "since": _an_hour_ago()})
    pipeline.run_until_quiet()
    # Then the two deal events arrived once more, and the replay says so
    assert replay.status == 202 and replay.body["kind"] == "replay"
    replayed = [d.headers["webhook-id"] for d in receiver.deliveries[3:]]
    assert sorted(replayed) == sorted([updated["id"], created["id"]])
    progress = api.get(f"/hooks/{hook['id']}/recoveries/{replay.body['id']}", token).body
    assert progress["status"] == "done" and progress["queued"] == 2


def test_recovery_requests_are_checked_naming_the_field(api, tenant, receiver) -> None:
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url)
    path = f"/hooks/{hook['id']}"
    now = datetime.now(UTC)
    cases = [
        (f"{path}/recover", {}, 422, "since"),
        (f"{path}/recover", {"since": "yesterday"}, 422, "since"),
        (f"{path}/recover", {"since": "2026-01-01T00:00:00"}, 422, "since"),  # no time zone
        (f"{path}/recover", {"since": (now + timedelta(hours=1)).isoformat()}, 422, "since"),  # after now
        (f"{path}/recover", {"since": (now - timedelta(days=40)).isoformat()}, 422, "since"),  # > 31 days
        (f"{path}/recover", {"since": _an_hour_ago(), "event_type": "x"}, 422, "event_type"),
        (f"{path}/replay", {"since": _an_hour_ago()}, 422, "event_type"),
        (f"{path}/replay", {"since": _an_hour_ago(), "event_type": "bad type!"}, 422, "event_type"),
        ("/hooks/hook_missing/recover", {"since": _an_hour_ago()}, 404, "hook_id"),
    ]
    for route, body, status, field in cases:
        reply = api.post(route, token, body)
        assert (reply.status, reply.body.get("field")) == (status, field), (body, reply.body)
    assert api.get(f"{path}/recoveries/rec_missing", token).status == 404
