"""Secrets hygiene, proven: an end-to-end flow's log lines and everything it stores (every DynamoDB write,
every SQS message, the final table contents) hold hashes and ids, never a token, signing secret or credential."""

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from functions.api.logic.auth import hash_token
from functions.common.dal.clients import aws
from functions.common.observability import logger
from tests.conftest import ADMIN_TOKEN, create_hook, publish

RECEIVER_CREDENTIAL = "Bearer receiver-credential-7f3a9c"


class Recorder:
    """Every request parameter sent to DynamoDB and SQS (writes, messages), as text."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def __call__(self, params: dict[str, Any], **_: Any) -> None:
        self.sent.append(json.dumps(params, default=str))


@pytest.fixture
def captured(aws_env, caplog, capsys) -> Iterator[tuple[Recorder, Callable[[], str]]]:
    """Records AWS requests; yields a function returning every log line so far (handler, stdout, std logging)."""
    recorder = Recorder()
    for service in ("dynamodb", "sqs"):
        aws.get(service).meta.events.register(f"before-parameter-build.{service}", recorder)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    logger.setLevel("DEBUG")
    caplog.set_level(logging.INFO)

    def log_text() -> str:
        records = "\n".join(record.getMessage() for record in caplog.records)
        return "\n".join((stream.getvalue(), capsys.readouterr().out, records))

    try:
        yield recorder, log_text
    finally:
        logger.setLevel("ERROR")
        logger.removeHandler(handler)


def _table_contents(*tables: str) -> str:
    return json.dumps([aws.get("dynamodb").scan(TableName=table)["Items"] for table in tables])


def test_no_token_secret_or_credential_is_logged_or_stored(api, pipeline, receiver, captured, aws_env) -> None:
    recorder, log_text = captured
    # Given a tenant, a read-only token and a scoped admin token
    tenant = api.post("/tenants", ADMIN_TOKEN, {"name": "hygiene"}).body
    token = tenant["token"]
    read_only = api.post(f"/tenants/{tenant['id']}/tokens", ADMIN_TOKEN, {"read_only": True}).body["token"]
    scoped = api.post("/admin/tokens", ADMIN_TOKEN, {"name": "pub", "scopes": ["events:publish", "read"]}).body
    # And a hook that sends its receiver a credential
    hook = create_hook(api, token, receiver.url, on="lead.created", headers={"Authorization": RECEIVER_CREDENTIAL})
    # When events are published (by the tenant and by the scoped token), delivered, the secret rotated,
    # a test delivery sent, and everything read back
    publish(api, token, "lead.created", {"n": 1})
    assert api.post("/events", scoped["token"], {"type": "lead.created", "data": {"n": 2}, "tenant_id": tenant["id"]})
    pipeline.run_until_quiet()
    rotated = api.post(f"/hooks/{hook['id']}/rotate", token, {"grace_seconds": 3600}).body
    publish(api, token, "lead.created", {"n": 3})
    pipeline.run_until_quiet()
    tested = api.post(f"/hooks/{hook['id']}/test", token).body
    executions = api.get(f"/hooks/{hook['id']}/executions", read_only).body["items"]
    detail = api.get(f"/hooks/{hook['id']}/executions/{tested['id']}", token).body
    api.get(f"/tenants/{tenant['id']}/tokens", scoped["token"])
    api.get("/admin/tokens", ADMIN_TOKEN)
    api.get("/hooks", "hwt_wrong-token-attempt")
    # ... and a portal link opened: its code exchanged for a session that reads the hooks
    link = api.post("/portal/sessions", token, {"ttl_seconds": 600}).body["url"]
    portal_code = link.split("#code=", 1)[1]
    portal_session = api.post("/portal/sessions/exchange", None, {"code": portal_code}).body["token"]
    assert api.get("/hooks", portal_session).status == 200
    delivered = receiver.wait_for(4)
    assert len(delivered) >= 4 and len(executions) >= 4
    # Then none of them appears in a log line, a write, a message or the tables
    secrets = {
        "root admin token": ADMIN_TOKEN,
        "tenant token": token,
        "read-only tenant token": read_only,
        "scoped admin token": scoped["token"],
        "wrong token": "hwt_wrong-token-attempt",
        "signing secret": hook["secret"],
        "signing secret key": hook["secret"].removeprefix("whsec_"),
        "rotated signing secret": rotated["secret"],
        "portal link code": portal_code,
        "portal session credential": portal_session,
    }
    corpus = {"logs": log_text(), "writes and messages": "\n".join(recorder.sent)}
    corpus["tables"] = _table_contents(aws_env.subscriptions_table, aws_env.executions_table)
    for where, text in corpus.items():
        leaked = [name for name, secret in secrets.items() if secret in text]
        assert leaked == [], f"{leaked} found in {where}"
    # And the receiver credential lives only in the hook item that must send it (docs/security.md, I-3):
    # never in a log line, a queue message or an execution
    messages = "\n".join(sent for sent in recorder.sent if '"QueueUrl"' in sent)
    for text in (corpus["logs"], messages, _table_contents(aws_env.executions_table)):
        assert RECEIVER_CREDENTIAL not in text
    # And what is there instead: hashes and ids (the capture is not empty)
    assert hash_token(token) in corpus["tables"] and hash_token(scoped["token"]) in corpus["tables"]
    assert hash_token(portal_session) in corpus["tables"]
    assert hook["id"] in corpus["logs"] and tenant["id"] in corpus["writes and messages"]
    # And the execution records the credential header without its value
    assert detail["request_headers"]["Authorization"] == "[redacted]"
    sent = {value for d in delivered for name, value in d.headers.items() if name.lower() == "authorization"}
    assert sent == {RECEIVER_CREDENTIAL}
