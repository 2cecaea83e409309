"""What can go wrong on the command line, each kind with its own exit code (documented in docs/cli.md)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1  # the API refused the request (4xx), a test delivery failed, a signature did not verify
    USAGE = 2  # wrong arguments, unreadable --data/--schema file, invalid JSON, no API configured
    AUTH = 3  # the API refused the token (401) or the token may not do this (403)
    UNREACHABLE = 4  # nothing answered at the API URL (down, wrong URL, DNS, timeout)
    SERVER = 5  # the API answered 5xx
    PORT_IN_USE = 6  # `listen` could not bind its port


class CliError(Exception):
    """One line for the user: what went wrong and what to do; `code` is the exit status."""

    def __init__(self, message: str, code: ExitCode = ExitCode.FAILED) -> None:
        super().__init__(" ".join(message.split()))  # one line, whatever the cause's text held
        self.code = code


class UsageError(CliError):
    """Wrong use of the command line (exit 2)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, ExitCode.USAGE)
