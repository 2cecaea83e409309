"""Headless Chromium for the portal's browser tests and `make screenshots`: Debian's `chromium` driven by
Playwright for Python. Never `playwright install`: nothing is downloaded at test time."""

from __future__ import annotations

import shutil
from typing import Any

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 375, "height": 812}


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def launch(playwright: Any) -> Any:
    """A Chromium browser from the system package (`make test` installs it when missing)."""
    path = chromium_path()
    if path is None:
        raise RuntimeError("chromium is not installed: apt-get install -y chromium (make test does this)")
    return playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
