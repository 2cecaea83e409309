"""Structured logs carry tenant_id, hook_id, event_id and execution_id, and never payload bodies."""

from tests.conftest import create_hook, publish
from tests.support.logs import captured_logs, log_lines


def test_delivery_and_api_log_lines_carry_the_ids(api, tenant, pipeline, receiver) -> None:
    with captured_logs("DEBUG") as stream:
        token = tenant["token"]
        hook = create_hook(api, token, receiver.url, on="lead.created")
        event = publish(api, token, "lead.created", {"secret_payload_marker": "do-not-log"}).body
        pipeline.run_until_quiet()
        api.get(f"/hooks/{hook['id']}/executions", token)
    out = stream.getvalue()
    lines = log_lines(out)
    attempt = next(line for line in lines if line["message"] == "delivery attempt")
    assert attempt["tenant_id"] == tenant["id"] and attempt["hook_id"] == hook["id"]
    assert attempt["event_id"] == event["id"] and attempt["execution_id"].startswith("exe_")
    fanned = next(line for line in lines if line["message"] == "event fanned out")
    assert fanned["tenant_id"] == tenant["id"] and fanned["event_id"] == event["id"]
    # CloudWatch bills every byte: a successful attempt and fan-out are details at DEBUG, a batch is one
    # INFO line
    assert (attempt["level"], fanned["level"]) == ("DEBUG", "DEBUG")
    batch = next(line for line in lines if line["message"] == "delivery batch")
    assert (batch["level"], batch["succeeded"]) == ("INFO", 1)
    assert "do-not-log" not in out
