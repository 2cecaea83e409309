"""Where the CLI finds the API: --api-url/--token, else HOOKWIRE_URL/HOOKWIRE_TOKEN, else the login profile."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PROFILE = "default"


def config_path() -> Path:
    custom = os.environ.get("HOOKWIRE_CONFIG")
    if custom:
        return Path(custom)
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "hookwire" / "config.json"


@dataclass(frozen=True)
class Connection:
    url: str | None
    token: str | None


def _profiles() -> dict[str, dict[str, str]]:
    path = config_path()
    return json.loads(path.read_text()) if path.exists() else {}


def save_profile(name: str, url: str, token: str) -> Path:
    """The file holds tokens: it is created with mode 0600 and kept that way."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    profiles = _profiles()
    profiles[name] = {"url": url.rstrip("/"), "token": token}
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(profiles, handle, indent=2)
    path.chmod(0o600)
    return path


def resolve(url: str | None, token: str | None, profile: str | None, use_profile: bool = True) -> Connection:
    name = profile or os.environ.get("HOOKWIRE_PROFILE") or DEFAULT_PROFILE
    stored = _profiles().get(name, {}) if use_profile else {}
    return Connection(
        url=url or os.environ.get("HOOKWIRE_URL") or stored.get("url"),
        token=token or os.environ.get("HOOKWIRE_TOKEN") or stored.get("token"),
    )
