"""The portal's static files and the headers they are served with. Nothing here ever sees user data:
the page fetches that from the JSON API and renders it as text."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from functions.common.errors import NotFound

STATIC_DIR = Path(__file__).resolve().parents[1] / "portal_static"
INDEX = "index.html"
ASSET_TYPES = {
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    "icon.svg": "image/svg+xml",
}
VERSION_PLACEHOLDER = "__ASSET_VERSION__"


@dataclass(frozen=True)
class StaticFile:
    body: str
    content_type: str
    cache_control: str


def content_security_policy(frame_ancestors: str) -> str:
    """Scripts and styles from this origin only (no inline script or style), API calls to this origin only,
    images also from https (a tenant's logo), and embedding only by the origins the operator allows."""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data: https:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            f"frame-ancestors {frame_ancestors}",
        ]
    )


def security_headers(frame_ancestors: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(frame_ancestors),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
    }


@lru_cache(maxsize=1)
def asset_version() -> str:
    """Changes whenever an asset does, so assets can be cached for good and the page still sees new ones."""
    digest = hashlib.sha256()
    for name in sorted(ASSET_TYPES):
        digest.update((STATIC_DIR / name).read_bytes())
    return digest.hexdigest()[:12]


@lru_cache(maxsize=1)
def index_page() -> StaticFile:
    html = (STATIC_DIR / INDEX).read_text().replace(VERSION_PLACEHOLDER, asset_version())
    return StaticFile(html, "text/html; charset=utf-8", "no-cache")


@lru_cache(maxsize=len(ASSET_TYPES))
def asset(name: str) -> StaticFile:
    if name not in ASSET_TYPES:
        raise NotFound(f"no portal asset {name}", field="path")
    return StaticFile((STATIC_DIR / name).read_text(), ASSET_TYPES[name], "public, max-age=31536000, immutable")
