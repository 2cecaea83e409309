"""Running `hookwire` in-process against a runtime, as the end-to-end tests do."""

from __future__ import annotations

import pytest

from hookwire.cli.main import main


def run_cli(capsys: pytest.CaptureFixture[str], url: str, token: str, *argv: str) -> tuple[int, str, str]:
    """`hookwire --api-url URL --token TOKEN ARGV...`: (exit code, stdout, stderr)."""
    try:
        code = main(["--api-url", url, "--token", token, *argv])
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out, captured.err
