"""Which layer a test runs on, as pytest markers, so the suite can be counted: `pytest --collect-only -q -m moto`
(AWS on moto, in-process or through the local runtime) against `-m fakes` (the in-memory fakes of
tests/support/fakes.py and state_fakes.py). Tests with neither are pure (no AWS boundary at all)."""

from __future__ import annotations

import pytest

MOTO_FIXTURES = frozenset({"aws_env", "runtime"})
FAKE_MODULES = frozenset({"tests.support.fakes", "tests.support.state_fakes"})
MARKERS = {
    "moto": "runs against AWS on moto (the aws_env or runtime fixture, or mock_aws)",
    "fakes": "runs the logic against the in-memory fakes of tests/support/",
}


def register(config: pytest.Config) -> None:
    for name, meaning in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {meaning}")


def mark(items: list[pytest.Item]) -> None:
    for item in items:
        if _on_moto(item):
            item.add_marker(pytest.mark.moto)
        elif _on_fakes(item):
            item.add_marker(pytest.mark.fakes)


def _on_moto(item: pytest.Item) -> bool:
    module = getattr(item, "module", None)
    return bool(MOTO_FIXTURES & set(getattr(item, "fixturenames", ()))) or "mock_aws" in vars(module or object)


def _on_fakes(item: pytest.Item) -> bool:
    module = getattr(item, "module", None)
    return any(getattr(value, "__module__", None) in FAKE_MODULES for value in vars(module or object).values())
