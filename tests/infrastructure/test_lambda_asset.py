"""The functions' code asset carries their bytecode: /var/task is read-only, so a module without it is
compiled from source at every cold start."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from infra.constructs.lambda_code import stage


def test_every_module_of_the_asset_has_bytecode_for_this_python() -> None:
    # Given the staged asset
    root = stage()
    # When we look for each module's bytecode where this interpreter loads it from
    modules = sorted((root / "functions").rglob("*.py"))
    missing = [
        str(m.relative_to(root)) for m in modules if not Path(importlib.util.cache_from_source(str(m))).is_file()
    ]
    # Then none is missing (and the handlers are among the modules)
    assert root / "functions" / "deliver" / "handler.py" in modules
    assert missing == [], f"no bytecode for {missing} (python {sys.version_info[:2]})"
