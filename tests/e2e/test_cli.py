"""Every `hookwire` command against the local runtime in-process (no mocks of the API)."""

import json
import os
import signal
import socket
import stat
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from functions.common import signing
from hookwire.cli.errors import ExitCode
from hookwire.cli.main import main
from hookwire.client import HookwireClient
from hookwire.local.runtime import LocalRuntime, free_port
from hookwire.receiver import Answer, Receiver
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def cli(runtime: LocalRuntime, capsys, monkeypatch, tmp_path):
    """Runs `hookwire ARGS` with the given token; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("HOOKWIRE_CONFIG", str(tmp_path / "config.json"))
    monkeypatch.delenv("HOOKWIRE_URL", raising=False)
    monkeypatch.delenv("HOOKWIRE_TOKEN", raising=False)

    def run(*argv: str, token: str | None = None, url: str | None = runtime.url) -> tuple[int, str, str]:
        prefix = [*(["--api-url", url] if url else []), *(["--token", token] if token else [])]
        try:
            code = main([*prefix, *argv])
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture
def tenant_token(runtime: LocalRuntime, cli) -> str:
    code, out, _ = cli("--json", "tenants", "create", "cli-tenant", token=runtime.admin_token)
    assert code == 0
    return json.loads(out)["token"]


def _json(result: tuple[int, str, str]):
    code, out, err = result
    assert code == 0, err
    return json.loads(out)


def test_login_writes_a_private_profile_used_afterwards(runtime, cli, tenant_token, tmp_path) -> None:
    code, out, _ = cli("login", token=tenant_token)
    assert code == 0 and "saved_to" in out
    config = tmp_path / "config.json"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert json.loads(config.read_text())["default"]["token"] == tenant_token
    # with neither flags nor environment, the profile is used
    code, out, _ = cli("hooks", "list", url=None)
    assert code == 0 and "(none)" in out
    assert cli("login", token="wrong")[0] == ExitCode.AUTH


def test_environment_variables_are_read(runtime, cli, tenant_token, monkeypatch) -> None:
    monkeypatch.setenv("HOOKWIRE_URL", runtime.url)
    monkeypatch.setenv("HOOKWIRE_TOKEN", tenant_token)
    assert cli("--json", "event-types", "list", url=None)[0] == 0


def test_admin_commands(runtime, cli) -> None:
    admin = runtime.admin_token
    tenant = _json(cli("--json", "tenants", "create", "acme", token=admin))
    code, out, err = cli("tenants", "create", "globex", token=admin)
    assert code == 0 and "token" in out and "shown only once" in err
    assert "acme" in cli("tenants", "list", token=admin)[1]
    updated = _json(cli("tenants", "update", tenant["id"], "--format", "data", "--json", token=admin))
    assert updated["payload_format"] == "data" and updated["name"] == "acme"
    token = _json(cli("--json", "tokens", "create", tenant["id"], token=admin))
    assert cli("hooks", "list", token=token["token"])[0] == 0
    assert cli("tokens", "revoke", tenant["id"], token["id"], token=admin)[0] == 0
    code, _, err = cli("hooks", "list", token=token["token"])
    assert code == ExitCode.AUTH and "401" in err and "invalid or revoked token" in err
    assert cli("tenants", "delete", tenant["id"], token=admin)[0] == 2  # needs --yes
    assert cli("tenants", "delete", tenant["id"], "--yes", token=admin)[0] == 0


def test_hook_lifecycle(runtime, cli, tenant_token) -> None:
    t = tenant_token
    with Receiver() as receiver:
        code, out, err = cli(
            "webhooks", "register", "--name", "My Webhook", "--on", "order.*", "--on", "lead.created",
            "--url", receiver.url, "--header", "X-Team=crm", "--format", "data", token=t,
        )  # fmt: skip
        assert code == 0 and "whsec_" in out and "save the secret now" in err
        hook = _json(cli("--json", "hooks", "list", token=t))[0]
        assert hook["on"] == ["order.*", "lead.created"] and hook["headers"] == {"X-Team": "crm"}
        assert "My Webhook" in cli("hooks", "list", token=t)[1]
        assert _json(cli("--json", "hooks", "get", hook["id"], token=t))["payload_format"] == "data"
        assert _json(cli("--json", "hooks", "update", hook["id"], "--name", "Renamed", token=t))["name"] == "Renamed"
        assert _json(cli("--json", "hooks", "pause", hook["id"], token=t))["status"] == "paused"
        assert _json(cli("--json", "hooks", "resume", hook["id"], token=t))["status"] == "active"
        rotated = _json(cli("--json", "hooks", "rotate", hook["id"], "--grace", "24h", token=t))
        assert rotated["secret"].startswith("whsec_")
        code, out, _ = cli("hooks", "test", hook["id"], "--type", "lead.created", "--data", '{"id": "ld_1"}', token=t)
        assert code == 0 and "succeeded" in out
        assert receiver.deliveries[-1].body == b'{"id":"ld_1"}'
        assert len(receiver.deliveries[-1].headers["webhook-signature"].split()) == 2  # grace window
        executions = _json(cli("--json", "hooks", "executions", hook["id"], "--status", "succeeded", token=t))
        assert len(executions) == 1
        assert cli("hooks", "update", hook["id"], token=t)[0] == 2  # nothing to update
        assert cli("hooks", "delete", hook["id"], token=t)[0] == 2  # needs --yes without a terminal
        assert cli("hooks", "delete", hook["id"], "--yes", token=t)[0] == 0
        code, _, err = cli("hooks", "get", hook["id"], token=t)
        assert code == 1 and "404" in err


def test_events_publish_get_replay_and_retry(runtime, cli, tenant_token, tmp_path: Path) -> None:
    t = tenant_token
    with Receiver() as receiver:
        hook = _json(
            cli("--json", "hooks", "register", "--name", "e", "--on", "deal.*", "--url", receiver.url, token=t)
        )
        data = tmp_path / "deal.json"
        data.write_text('{\n  "id": "dl_1",  "price": 25000\n}')
        event = _json(
            cli("--json", "events", "publish", "deal.created", "--data", f"@{data}", "--id", "dl_1-created", token=t)
        )
        assert event["id"] == "dl_1-created"
        receiver.wait_for(1)
        assert json.loads(receiver.deliveries[0].body)["data"] == {"id": "dl_1", "price": 25000}
        assert runtime.wait_until_quiet(10)
        code, out, _ = cli("events", "get", "dl_1-created", token=t)
        assert code == 0 and "succeeded" in out and hook["id"] in out
        assert [line.split() for line in out.splitlines() if line.startswith("fanout")] == [["fanout", "done"]]
        assert cli("events", "replay", "dl_1-created", "--hook", hook["id"], token=t)[0] == 0
        receiver.wait_for(2)
        [execution, *_] = _json(cli("--json", "hooks", "executions", hook["id"], token=t))
        assert cli("hooks", "retry", execution["id"], token=t)[0] == 0  # the hook is found by itself
        receiver.wait_for(3)
    assert {d.headers["webhook-id"] for d in receiver.deliveries} == {"dl_1-created"}
    code, _, err = cli("events", "publish", "no.such.type", "--data", "{}", token=t)
    assert code == 1 and "422" in err and "catalogue" in err
    assert cli("events", "publish", "deal.created", "--data", "{not json", token=t)[0] == 2


def test_event_types(runtime, cli, tenant_token) -> None:
    admin = runtime.admin_token
    schema = '{"type": "object", "required": ["id"]}'
    put = _json(
        cli(
            "--json", "event-types", "put", "invoice.voided", "--description", "Voided", "--schema", schema, token=admin
        )
    )
    assert put["schema"]["required"] == ["id"]
    assert "invoice.voided" in cli("event-types", "list", token=tenant_token)[1]
    code, _, err = cli("event-types", "put", "x.y", "--description", "d", token=tenant_token)
    assert code == ExitCode.AUTH and "403" in err
    assert cli("event-types", "delete", "invoice.voided", token=admin)[0] == 0


def test_usage_errors_exit_2_and_api_errors_exit_1(runtime, cli, tenant_token) -> None:
    assert cli("hooks", "register", "--url", "http://x", "--on", "*", token=tenant_token)[0] == 2  # no --name
    assert (
        cli(
            "hooks",
            "register",
            "--name",
            "n",
            "--url",
            "http://x",
            "--on",
            "*",
            "--header",
            "novalue",
            token=tenant_token,
        )[0]
        == 2
    )
    assert cli("hooks", "list", url=None)[0] == 2  # nowhere to connect
    code, _, err = cli("hooks", "register", "--name", "n", "--url", "ftp://x", "--on", "*", token=tenant_token)
    assert code == 1 and "url must use https" in err
    code, _, err = cli("hooks", "list", token=tenant_token, url=f"http://127.0.0.1:{free_port()}")
    assert code == ExitCode.UNREACHABLE and "can't reach the API" in err


def _hook_registered(client: HookwireClient) -> Callable[[], bool]:
    return lambda: bool(client.call("GET", "/hooks")["items"])


def _accepting(port: int) -> Callable[[], bool]:
    def check() -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0

    return check


def _printed(*texts: str, stream: str = "stdout") -> Callable[[], bool]:
    """True once the running command has written every text (read from capsys's buffer without consuming it)."""
    return lambda: all(text in getattr(sys, stream).getvalue() for text in texts)


class CtrlC:
    """Ctrl-C for real: SIGINT to this process (Python raises it in the main thread, inside the command).
    `before` runs first (e.g. publish once the command listens); the signal goes once `ready` holds (the
    command has done what the test checks), within `timeout` seconds. It is sent only while the command still
    runs, and ignored once the command has returned, so a command that ended early can never interrupt pytest
    itself."""

    def __init__(
        self,
        ready: Callable[[], bool],
        before: Callable[[], object] | None = None,
        signum: int = signal.SIGINT,
        timeout: float = 60,
    ) -> None:
        self.signum = signum
        self.running = threading.Event()
        self.running.set()

        def fire() -> None:
            try:
                if before:
                    before()
                wait_until(lambda: not self.running.is_set() or ready(), timeout, "the command's output")
            finally:
                if self.running.is_set():
                    os.kill(os.getpid(), self.signum)

        self.timer = threading.Timer(0.5, fire)
        self.timer.start()

    def done(self) -> None:
        previous = signal.signal(self.signum, signal.SIG_IGN)
        self.running.clear()
        self.timer.join()
        signal.signal(self.signum, previous)


def test_executions_follow_prints_new_attempts_until_ctrl_c(runtime, cli, tenant_token) -> None:
    client = HookwireClient(runtime.url, tenant_token)
    with Receiver() as receiver:
        hook = client.call("POST", "/hooks", {"name": "f", "url": receiver.url, "on": "lead.*"})
        # publish -> fanout -> deliver crosses three worker processes: leave room on a busy machine
        ctrl_c = CtrlC(
            _printed("lead.updated", "succeeded"),
            lambda: client.call("POST", "/events", {"type": "lead.updated", "data": {}}),
        )
        code, out, err = cli("hooks", "executions", hook["id"], "--follow", "--interval", "0.2", token=tenant_token)
        ctrl_c.done()
    assert code == 0 and "stopped" in err
    assert "lead.updated" in out and "succeeded" in out


def test_listen_registers_itself_verifies_and_cleans_up(runtime, cli, tenant_token) -> None:
    client = HookwireClient(runtime.url, tenant_token)
    publish = {"type": "CUSTOMER_CREATE", "data": {"id": "c1"}}
    ctrl_c = CtrlC(
        _printed("CUSTOMER_CREATE", "signature: valid", "answered 500", "attempt=1", "attempt=2", '"id": "c1"'),
        lambda: (wait_until(_hook_registered(client), 30, "the hook"), client.call("POST", "/events", publish)),
    )
    code, out, err = cli(
        "listen", "--port", "0", "--register", "--on", "CUSTOMER_*", "--status", "500", token=tenant_token
    )
    ctrl_c.done()
    assert code == 0 and "registered hook" in err and "deleted hook" in err
    assert "CUSTOMER_CREATE" in out and "signature: valid" in out and "answered 500" in out
    assert "attempt=1" in out and "attempt=2" in out  # answering 500 made Hookwire retry
    assert '"id": "c1"' in out  # pretty body
    assert client.call("GET", "/hooks")["items"] == []


def test_listen_forwards_and_explains_bad_signatures(runtime, cli, tenant_token) -> None:
    port = free_port()
    with Receiver() as upstream:
        client = HookwireClient(runtime.url, tenant_token)
        hook = client.call("POST", "/hooks", {"name": "fw", "url": f"http://127.0.0.1:{port}/", "on": "lead.deleted"})
        test_path = f"/hooks/{hook['id']}/test"
        ctrl_c = CtrlC(
            lambda: bool(upstream.deliveries) and _printed("signature_valid")(),
            lambda: (
                wait_until(_accepting(port), 30, "listen's port"),
                client.call("POST", test_path, {"type": "lead.deleted"}),
            ),
        )
        wrong_secret = signing.generate_secret()
        code, out, _ = cli(
            "--json", "listen", "--port", str(port), "--secret", wrong_secret, "--forward-to", upstream.url,
            token=tenant_token,
        )  # fmt: skip
        ctrl_c.done()
    record = json.loads(out.splitlines()[0])
    assert code == 0 and record["signature_valid"] is False and "wrong secret" in record["signature"]
    assert record["answered"] == 200 and len(upstream.deliveries) == 1


def test_verify_says_why(cli, monkeypatch) -> None:
    import io

    secret, body, now = signing.generate_secret(), b'{"id":"evt_1"}', int(time.time())
    headers = ["--header", "webhook-id: evt_1", "--header", f"webhook-timestamp: {now}"]
    headers += ["--header", f"webhook-signature: {signing.signature_header([secret], 'evt_1', now, body)}"]

    def verify(payload: bytes, *extra: str) -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(payload)))
        return cli("verify", *extra, url=None)

    code, out, _ = verify(body, "--secret", secret, *headers)
    assert code == 0 and "valid: signature valid" in out
    code, out, _ = verify(body + b" ", "--secret", secret, *headers)
    assert code == 1 and "body was changed" in out
    code, out, _ = verify(body, "--secret", signing.generate_secret(), *headers)
    assert code == 1 and "wrong secret" in out
    code, out, _ = verify(body, "--secret", secret, *headers, "--now", str(now + 3600))
    assert code == 1 and "stale timestamp" in out
    code, out, _ = verify(body, "--secret", secret, "--header", "webhook-id: evt_1")
    assert code == 1 and "missing header" in out


def test_tenant_and_admin_token_commands(runtime, cli) -> None:
    admin = runtime.admin_token
    tenant = _json(cli("--json", "tenants", "create", "tokens-co", token=admin))
    # Given a read-only token besides the first one
    read_only = _json(cli("--json", "tokens", "create", tenant["id"], "--read-only", token=admin))
    assert read_only["read_only"] is True
    assert cli("hooks", "list", token=read_only["token"])[0] == 0
    code, _, err = cli("events", "publish", "invoice.paid", "--data", "{}", token=read_only["token"])
    assert code == ExitCode.AUTH and "read-only" in err
    # When the tokens are listed, then both ids show, never a token
    code, out, _ = cli("tokens", "list", tenant["id"], token=admin)
    assert code == 0 and tenant["token_id"] in out and read_only["id"] in out
    assert tenant["token"] not in out and read_only["token"] not in out
    # When the first token is revoked by id, then it stops working
    assert cli("tokens", "revoke", tenant["id"], tenant["token_id"], token=admin)[0] == 0
    assert cli("hooks", "list", token=tenant["token"])[0] == ExitCode.AUTH
    # And a scoped admin token can be issued, listed, used within its scope, and revoked
    scoped = _json(cli("--json", "admin-tokens", "create", "publisher", "--scope", "events:publish", token=admin))
    assert scoped["scopes"] == ["events:publish"]
    code, _, err = cli("tenants", "list", token=scoped["token"])
    assert code == ExitCode.AUTH and "read" in err
    listed = _json(cli("--json", "admin-tokens", "list", token=admin))
    assert [item["id"] for item in listed] == ["root", scoped["id"]]
    assert cli("admin-tokens", "revoke", scoped["id"], token=admin)[0] == 0
    assert cli("admin-tokens", "create", "x", "--scope", "everything", token=admin)[0] == ExitCode.USAGE


# --- a newcomer's path: options anywhere, errors that say what to do, scripts that can trust exit codes ---


def test_global_options_are_accepted_after_the_subcommand(runtime, cli, tenant_token) -> None:
    # Given no global option before the subcommand, When they all come after it
    code, out, err = cli("hooks", "list", "--json", "--api-url", runtime.url, "--token", tenant_token, url=None)
    # Then they apply as if given first
    assert code == 0, err
    assert json.loads(out) == []


def test_version_is_printed(cli, capsys) -> None:
    code, out, _ = cli("--version", url=None)
    assert code == 0 and out.startswith("hookwire ")


def test_login_is_non_interactive_with_api_url_and_token(runtime, cli, tenant_token, tmp_path) -> None:
    code, _, err = cli("login", "--api-url", runtime.url, "--token", tenant_token, url=None)
    assert code == 0, err
    assert json.loads((tmp_path / "config.json").read_text())["default"] == {"url": runtime.url, "token": tenant_token}


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def test_every_error_is_one_line_that_says_what_to_do_with_its_own_exit_code(runtime, cli, tenant_token) -> None:
    # A wrong token
    code, _, err = cli("hooks", "list", token="hwt_wrong")
    assert code == ExitCode.AUTH and "hookwire login" in _one_line(err)
    # A tenant token on an admin command
    code, _, err = cli("tenants", "list", token=tenant_token)
    assert code == ExitCode.AUTH and "admin token" in _one_line(err)
    # Nothing listening at the API URL
    code, _, err = cli("hooks", "list", token=tenant_token, url=f"http://127.0.0.1:{free_port()}")
    assert code == ExitCode.UNREACHABLE and "make run" in _one_line(err)
    # A --data file that does not exist is the user's mistake, not the network's
    code, _, err = cli("events", "publish", "lead.created", "--data", "@missing.json", token=tenant_token)
    assert code == ExitCode.USAGE and "file not found: missing.json" in _one_line(err)
    # An unknown hook
    code, _, err = cli("hooks", "get", "hook_missing", token=tenant_token)
    assert code == ExitCode.FAILED and "404" in _one_line(err)


def test_listen_on_a_port_in_use_says_so(runtime, cli, tenant_token) -> None:
    with Receiver() as taken:
        port = taken.server.server_address[1]
        code, _, err = cli("listen", "--port", str(port), token=tenant_token)
    assert code == ExitCode.PORT_IN_USE and f"port {port} is in use" in _one_line(err)


def test_hooks_test_exits_non_zero_when_the_delivery_fails(runtime, cli, tenant_token) -> None:
    client = HookwireClient(runtime.url, tenant_token)
    with Receiver(lambda _d, _n: Answer(status=500)) as failing, Receiver() as ok:
        bad = client.call("POST", "/hooks", {"name": "bad", "url": failing.url, "on": "lead.*"})
        good = client.call("POST", "/hooks", {"name": "good", "url": ok.url, "on": "lead.*"})
        failed = cli("hooks", "test", bad["id"], token=tenant_token)
        passed = cli("hooks", "test", good["id"], token=tenant_token)
    assert failed[0] == ExitCode.FAILED and "HTTP 500" in failed[2]
    assert passed[0] == 0


def test_listen_register_deletes_its_hook_on_sigterm(runtime, cli, tenant_token) -> None:
    client = HookwireClient(runtime.url, tenant_token)

    # SIGTERM only once listen has its handler (it registers after): before it, SIGTERM kills pytest.
    stop = CtrlC(_hook_registered(client), signum=signal.SIGTERM)
    code, _, err = cli("listen", "--port", "0", "--register", "--on", "lead.*", token=tenant_token)
    stop.done()
    assert code == 0 and "deleted hook" in err
    assert client.call("GET", "/hooks")["items"] == []


def test_listen_forward_to_prints_the_secret_the_app_verifies_with(runtime, cli, tenant_token) -> None:
    client = HookwireClient(runtime.url, tenant_token)
    with Receiver() as app:
        stop = CtrlC(_printed("listening on", stream="stderr"))
        code, _, err = cli(
            "listen", "--port", "0", "--register", "--on", "lead.*", "--forward-to", app.url, token=tenant_token
        )
        stop.done()
    assert code == 0
    secret = err.split("verify there with secret: ")[1].split()[0]
    assert secret.startswith("whsec_") and client.call("GET", "/hooks")["items"] == []


def test_trigger_publishes_the_catalogued_example(runtime, cli, tenant_token) -> None:
    # Given a hook on a seed type that has an example, in `data` format
    client = HookwireClient(runtime.url, tenant_token)
    example = next(t["example"] for t in client.call("GET", "/event-types")["items"] if t["type"] == "CUSTOMER_CREATE")
    with Receiver() as receiver:
        client.call(
            "POST", "/hooks", {"name": "t", "url": receiver.url, "on": "CUSTOMER_CREATE", "payload_format": "data"}
        )
        # When `trigger` names the type and nothing else
        code, out, err = cli("trigger", "CUSTOMER_CREATE", "--json", token=tenant_token)
        # Then the example is published and delivered
        assert code == 0, err
        delivered = receiver.wait_for(1)
    assert json.loads(out)["type"] == "CUSTOMER_CREATE"
    assert json.loads(delivered[0].body) == example
    code, _, err = cli("trigger", "CUSTOMER_DELETE", token=tenant_token)
    assert code == ExitCode.USAGE and "no example" in _one_line(err)


def test_tables_fit_100_columns_and_keep_both_ends_of_long_urls(runtime, cli, tenant_token) -> None:
    client = HookwireClient(runtime.url, tenant_token)
    with Receiver() as receiver:
        url = receiver.url + "/" + "x" * 150 + "/end"
        client.call("POST", "/hooks", {"name": "a hook with a long url", "url": url, "on": "lead.*"})
        code, out, _ = cli("hooks", "list", token=tenant_token)
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= 100
    assert "http://127.0" in out and "/end" in out and "…" in out


def test_execution_tables_fit_100_columns(runtime, cli, tenant_token) -> None:
    client = HookwireClient(runtime.url, tenant_token)
    with Receiver(lambda _d, _n: Answer(status=503)) as receiver:
        hook = client.call("POST", "/hooks", {"name": "e", "url": receiver.url, "on": "ORDER_*"})
        client.call("POST", f"/hooks/{hook['id']}/test", {"type": "ORDER_ITEM_UPDATE_STATUS"})
        code, out, _ = cli("hooks", "executions", hook["id"], token=tenant_token)
    assert code == 0 and "503" in out
    assert max(len(line) for line in out.splitlines()) <= 100


def test_delivery_controls_are_set_shown_and_cleared_from_the_cli(runtime, cli, tenant_token) -> None:
    # Given a hook registered with a rate limit
    t = tenant_token
    with Receiver() as receiver:
        hook = _json(cli("--json", "hooks", "register", "--name", "controlled", "--on", "lead.created",
                     "--url", receiver.url, "--rate-limit", "5", token=t))  # fmt: skip
    # Then `hooks get` shows it, in any order
    code, out, _ = cli("hooks", "get", hook["id"], token=t)
    assert code == 0 and "rate_limit_per_second  5" in out and "ordering               none" in out
    # When the limit is turned off and FIFO ordering chosen
    updated = _json(cli("--json", "hooks", "update", hook["id"], "--rate-limit", "off", "--ordering", "fifo", token=t))
    # Then the limit is gone and the ordering shown
    assert updated["rate_limit_per_second"] is None and updated["ordering"] == "fifo"
    # And a limit on a FIFO hook is refused naming the field; one that is not a number is a usage error
    code, _, err = cli("hooks", "update", hook["id"], "--rate-limit", "5", token=t)
    assert code == 1 and "rate_limit_per_second can't be combined with ordering fifo" in err
    assert cli("hooks", "update", hook["id"], "--rate-limit", "fast", token=t)[0] == ExitCode.USAGE
    # And one out of range is the API's error naming the field
    cli("hooks", "update", hook["id"], "--ordering", "none", token=t)
    code, _, err = cli("hooks", "update", hook["id"], "--rate-limit", "0", token=t)
    assert code == 1 and "rate_limit_per_second" in err
