"""Checking a captured delivery the way a receiver should, with the reason when it fails."""

from __future__ import annotations

import time
from dataclasses import dataclass

from functions.common import signing

DEFAULT_TOLERANCE_SECONDS = 300


@dataclass(frozen=True)
class Verification:
    valid: bool
    reason: str


def verify_delivery(
    secret: str | None,
    headers: dict[str, str],
    body: bytes,
    now: float | None = None,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> Verification:
    lowered = {name.lower(): value for name, value in headers.items()}
    if not secret:
        return Verification(False, "not checked: no secret given (--secret whsec_... or whpk_...)")
    missing = [h for h in ("webhook-id", "webhook-timestamp", "webhook-signature") if not lowered.get(h)]
    if missing:
        return Verification(False, f"missing header(s): {', '.join(missing)}")
    try:
        timestamp = int(lowered["webhook-timestamp"])
    except ValueError:
        return Verification(False, "webhook-timestamp is not Unix seconds")
    try:
        matches = signing.verify(secret, lowered["webhook-id"], timestamp, body, lowered["webhook-signature"])
    except ValueError:
        return Verification(False, "the secret is not a valid whsec_ secret or whpk_ public key")
    age = (time.time() if now is None else now) - timestamp
    if abs(age) > tolerance:
        return Verification(False, f"stale timestamp: {int(age)} s old (tolerance {tolerance} s); a replay?")
    if not matches:
        return Verification(False, "no signature matches: wrong secret, or the body was changed")
    return Verification(True, "signature valid")
