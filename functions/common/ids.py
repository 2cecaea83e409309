"""Sortable random identifiers: 48-bit millisecond time + 80 random bits, Crockford base32 (ULID layout)."""

from __future__ import annotations

import secrets
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def sortable_id(now_ms: int | None = None) -> str:
    """26 characters that sort by creation time, then randomly within the same millisecond."""
    millis = int(time.time() * 1000) if now_ms is None else now_ms
    return _encode(millis, 10) + _encode(secrets.randbits(80), 16)


def new_id(prefix: str) -> str:
    return f"{prefix}_{sortable_id()}"


def random_token(prefix: str, nbytes: int = 32) -> str:
    return f"{prefix}_{secrets.token_urlsafe(nbytes)}"
