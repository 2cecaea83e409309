"""Standard Webhooks signing: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` with a `whsec_` secret,
or `v1a,<base64 Ed25519 signature of the same bytes>` with a `whsk_` private key (verified with its `whpk_`
public key). The key's prefix picks the scheme, so rotation, grace and storage treat both alike."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from enum import StrEnum

from functions.common import ed25519

SECRET_PREFIX = "whsec_"
SIGNING_KEY_PREFIX = "whsk_"
PUBLIC_KEY_PREFIX = "whpk_"
SIGNATURE_VERSION = "v1"
ASYMMETRIC_SIGNATURE_VERSION = "v1a"


class SignatureScheme(StrEnum):
    HMAC_SHA256 = "hmac-sha256"
    ED25519 = "ed25519"


def generate_secret(scheme: SignatureScheme = SignatureScheme.HMAC_SHA256) -> str:
    """A new `whsec_` secret, or a new `whsk_` Ed25519 private key (32-byte seed)."""
    prefix = SIGNING_KEY_PREFIX if scheme == SignatureScheme.ED25519 else SECRET_PREFIX
    return prefix + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _key(secret: str) -> bytes:
    encoded = secret[len(SECRET_PREFIX) :] if secret.startswith(SECRET_PREFIX) else secret
    return base64.b64decode(encoded)


def _prefixed_bytes(key: str, prefix: str) -> bytes:
    return base64.b64decode(key[len(prefix) :], validate=True)


def public_key(signing_key: str) -> str:
    """The `whpk_` public key of a `whsk_` private key: what a receiver verifies `v1a` signatures with."""
    raw = ed25519.public_key(_prefixed_bytes(signing_key, SIGNING_KEY_PREFIX))
    return PUBLIC_KEY_PREFIX + base64.b64encode(raw).decode("ascii")


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    if secret.startswith(SIGNING_KEY_PREFIX):
        signed_bytes = ed25519.sign(_prefixed_bytes(secret, SIGNING_KEY_PREFIX), signed)
        return f"{ASYMMETRIC_SIGNATURE_VERSION},{base64.b64encode(signed_bytes).decode('ascii')}"
    digest = hmac.digest(_key(secret), signed, hashlib.sha256)  # one call into OpenSSL, no HMAC object
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode('ascii')}"


def signature_header(secrets_in_use: Iterable[str], message_id: str, timestamp: int, body: bytes) -> str:
    """One signature per live secret, space-separated, newest first; a receiver with any of them verifies."""
    return " ".join(signature(secret, message_id, timestamp, body) for secret in secrets_in_use)


def _verify_asymmetric(public: str, signed: bytes, header: str) -> bool:
    raw_key = _prefixed_bytes(public, PUBLIC_KEY_PREFIX)
    tag = ASYMMETRIC_SIGNATURE_VERSION + ","
    for candidate in header.split():
        if candidate.startswith(tag):
            try:
                raw_signature = base64.b64decode(candidate[len(tag) :], validate=True)
            except ValueError:
                continue
            if ed25519.verify(raw_key, signed, raw_signature):
                return True
    return False


def verify(secret: str, message_id: str, timestamp: int, body: bytes, header: str) -> bool:
    """Whether `header` holds a signature made with `secret`: a `whsec_` secret checks `v1` signatures, a
    `whpk_` public key (or its `whsk_` private key) checks `v1a` ones."""
    if secret.startswith(SIGNING_KEY_PREFIX):
        secret = public_key(secret)
    if secret.startswith(PUBLIC_KEY_PREFIX):
        return _verify_asymmetric(secret, f"{message_id}.{timestamp}.".encode() + body, header)
    expected = signature(secret, message_id, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in header.split())
