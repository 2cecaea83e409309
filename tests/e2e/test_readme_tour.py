"""The README's tour, run as written by bash against the local runtime.

Only what a reader fills in by hand is substituted: the URL and ports (tests never use 8080 or 9000), the
admin token, and the tenant token and hook id copied from earlier output (read from the saved output, as
the reader would). `listen`'s output goes to a file so the test can wait for the delivery it prints.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from hookwire.client import HookwireClient
from hookwire.local.runtime import LocalRuntime

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def _tour() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## A tour\n.*?```bash\n(.*?)```", readme, re.DOTALL).group(1)
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def _script(lines: list[str], url: str, admin_token: str, work: Path) -> str:
    """The tour as a bash script: each command's output kept in out.log (listen's in listen.log)."""
    out, listen_log = work / "out.log", work / "listen.log"
    script = ["set -euo pipefail"]
    for line in lines:
        command = line.split("  #")[0].strip()
        if command.startswith("source .venv/bin/activate"):
            continue  # the test puts its own `hookwire` on PATH
        command = command.replace("http://127.0.0.1:8080", url)
        command = command.replace("<admin token printed by make run>", admin_token)
        command = command.replace("hwt_...", f"$(grep -o 'hwt_[A-Za-z0-9_-]*' {out} | head -1)")
        command = command.replace("hook_...", f"$(grep -o 'hook_[a-z0-9]*' {listen_log} | head -1)")
        command = command.replace("--port 9000", "--port 0")
        if command.endswith("&"):
            script.append(f"{command[:-1].strip()} > {listen_log} 2>&1 &")
            script.append(f"until grep -q 'listening on' {listen_log}; do sleep 0.1; done")
        elif command.startswith("export "):
            script.append(command)  # in this shell, not in a pipeline's subshell
        elif command.startswith("kill"):
            script.append(command)
            script.append("wait || true")
        else:
            script.append(f"{command} | tee -a {out}")
            if command.startswith("hookwire trigger"):
                script.append(f"until grep -q 'answered' {listen_log}; do sleep 0.1; done")
    return "\n".join(script) + "\n"


def test_the_readme_tour_works_as_written(runtime: LocalRuntime, tmp_path: Path) -> None:
    # Given a `hookwire` on PATH and the tour's commands
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "hookwire"
    shim.write_text(f'#!/bin/sh\nexec {sys.executable} -m hookwire.cli.main "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    lines = _tour()
    assert len(lines) <= 10, "the tour is ten lines"
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "PYTHONPATH": str(ROOT)}
    env["HOOKWIRE_CONFIG"] = str(tmp_path / "config.json")
    # When bash runs them
    result = subprocess.run(
        ["bash", "-c", _script(lines, runtime.url, runtime.admin_token, tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # Then every step succeeded, the listener verified the delivery, and its hook is gone
    assert result.returncode == 0, result.stderr[-2000:]
    listened = (tmp_path / "listen.log").read_text()
    assert "CUSTOMER_CREATE  id=act-1  attempt=1  signature: valid  answered 200" in listened
    assert "deleted hook" in listened
    outputs = (tmp_path / "out.log").read_text()
    assert "succeeded" in outputs and "200" in outputs
    token = re.search(r"hwt_[A-Za-z0-9_-]*", outputs).group(0)
    assert HookwireClient(runtime.url, token).call("GET", "/hooks")["items"] == []
