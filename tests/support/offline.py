"""Worker-process setup for end-to-end runs: tests never ask a real resolver for a name."""

from __future__ import annotations


def refuse_name_lookups() -> None:
    """Fuzzed hook URLs name random hosts: `localhost` resolves, every other name is NXDOMAIN."""
    from functions.common import ssrf

    def offline_resolver(host: str, _port: int) -> list[str]:
        if host.rstrip(".").lower() == "localhost":
            return ["127.0.0.1"]
        raise OSError(f"{host}: no such host (tests never resolve names)")

    ssrf.default_resolver = offline_resolver
