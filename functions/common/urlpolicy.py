"""Which webhook URLs Hookwire accepts. The deployed stack refuses plain http unless configured to allow it."""

from __future__ import annotations

from urllib.parse import urlsplit

from functions.common.errors import ValidationFailed


def check_url(url: str, allow_http: bool) -> str:
    """Returns the URL unchanged, or raises ValidationFailed naming the rule it broke."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValidationFailed(f"url is not a valid URL: {exc}", field="url") from exc
    if parts.scheme not in ("http", "https"):
        raise ValidationFailed("url must use https (or http where allowed)", field="url")
    if parts.scheme == "http" and not allow_http:
        raise ValidationFailed("url must use https: plain http is not allowed on this deployment", field="url")
    if not parts.hostname:
        raise ValidationFailed("url has no host", field="url")
    if parts.username or parts.password:
        raise ValidationFailed("url must not contain credentials; use custom headers instead", field="url")
    if port == 0:
        raise ValidationFailed("url has an invalid port", field="url")
    if parts.fragment:
        raise ValidationFailed("url must not contain a #fragment", field="url")
    return url
