"""`make run` for a newcomer: commands in the banner work, no secret on disk, a clear port-in-use error."""

import os
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from hookwire.cli.main import main as hookwire
from hookwire.client import HookwireClient
from hookwire.local.runtime import EXIT_PORT_IN_USE, LOCALHOST, LocalRuntime, free_port
from hookwire.local.state import LocalState

pytestmark = pytest.mark.slow
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def banner_commands(runtime: LocalRuntime) -> list[list[str]]:
    lines = [line.split("#")[0].strip() for line in runtime.banner().splitlines()]
    return [shlex.split(line)[1:] for line in lines if line.startswith(".venv/bin/hookwire")]


def test_the_banner_suggests_cli_commands_that_work(
    runtime: LocalRuntime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Given the two variables the banner says to export
    monkeypatch.setenv("HOOKWIRE_URL", runtime.url)
    monkeypatch.setenv("HOOKWIRE_TOKEN", runtime.admin_token)
    monkeypatch.setenv("HOOKWIRE_CONFIG", str(tmp_path / "config.json"))
    create, list_hooks = banner_commands(runtime)
    # When each suggested command runs (the tenant token placeholder filled in)
    assert hookwire(create) == 0
    assert "token" in capsys.readouterr().out
    tenant = HookwireClient(runtime.url, runtime.admin_token).call("POST", "/tenants", {"name": "banner"})
    filled = [tenant["token"] if part == "TENANT_TOKEN" else part for part in list_hooks]
    # Then each succeeds
    assert hookwire(filled) == 0
    assert "State is in memory only" in runtime.banner()


def test_the_state_file_holds_no_secret_and_still_finds_the_admin_token(runtime: LocalRuntime, tmp_path: Path) -> None:
    # Given the state file `make run` writes
    path = tmp_path / "state.json"
    runtime.state().write(path)
    # Then it holds no admin token, yet the admin token is found through the running runtime
    assert runtime.admin_token not in path.read_text()
    state = LocalState.read(path)
    assert state is not None
    assert state.url == runtime.url
    assert state.admin_token() == runtime.admin_token


def test_a_state_file_left_by_a_killed_runtime_yields_no_token(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    LocalState(f"http://{LOCALHOST}:{free_port()}", f"http://{LOCALHOST}:{free_port()}", "arn:secret").write(path)
    state = LocalState.read(path)
    assert state is not None
    assert state.admin_token() is None


def test_a_port_in_use_is_one_clear_line_and_its_own_exit_code() -> None:
    # Given the port `make run` would use is taken
    with socket.socket() as taken:
        taken.bind((LOCALHOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "HOOKWIRE_PORT": str(port), "PYTHONPATH": str(PROJECT_ROOT)}
        # When the runtime starts
        done = subprocess.run(
            [sys.executable, "-m", "hookwire.local.runtime"], env=env, capture_output=True, text=True, timeout=60
        )
    # Then it says so in one line, names the port and what to do, and exits with its own code
    assert done.returncode == EXIT_PORT_IN_USE
    assert done.stderr.strip().count("\n") == 0
    assert f"port {port}" in done.stderr
    assert "HOOKWIRE_PORT=" in done.stderr
    assert "Traceback" not in done.stderr
