"""Ed25519 signatures (RFC 8032, section 5.1) in pure Python, for Standard Webhooks `v1a` signatures.

Pure Python because the deliver function ships without bundled dependencies: the Lambda runtime and the
Powertools layer are all it has, and neither is guaranteed to carry `cryptography` for the function's Python
version. Signing multiplies the base point through a table of its powers of two built once per container
(about 130 point additions, ~1.5 ms); verifying (used by the CLI only) does a full double-and-add.

Python integers are not constant-time. A network observer sees one signature per HTTP request, mixed with
the receiver's latency, so a timing attack on the key would need far finer timing than a webhook delivery
offers; the docs say so (docs/delivery-controls.md).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493  # order of the base point
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)

SEED_BYTES = 32
PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64

type _Point = tuple[int, int, int, int]  # extended homogeneous coordinates (X, Y, Z, T), x = X/Z, y = Y/Z
_IDENTITY: _Point = (0, 1, 1, 0)


def _add(p: _Point, q: _Point) -> _Point:
    """Point addition on the twisted Edwards curve (RFC 8032, 5.1.4); also doubles."""
    a = (p[1] - p[0]) * (q[1] - q[0]) % _P
    b = (p[1] + p[0]) * (q[1] + q[0]) % _P
    c = 2 * p[3] * q[3] * _D % _P
    d = 2 * p[2] * q[2] % _P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _multiply(scalar: int, point: _Point) -> _Point:
    result = _IDENTITY
    while scalar:
        if scalar & 1:
            result = _add(result, point)
        point = _add(point, point)
        scalar >>= 1
    return result


def _recover_x(y: int, sign: int) -> int | None:
    if y >= _P:
        return None
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P:
        return None
    return _P - x if (x & 1) != sign else x


def _encode(point: _Point) -> bytes:
    z_inverse = pow(point[2], _P - 2, _P)
    x, y = point[0] * z_inverse % _P, point[1] * z_inverse % _P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def _decode(encoded: bytes) -> _Point | None:
    y = int.from_bytes(encoded, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % _P)


def _same(p: _Point, q: _Point) -> bool:
    return (p[0] * q[2] - q[0] * p[2]) % _P == 0 and (p[1] * q[2] - q[1] * p[2]) % _P == 0


def _base_point() -> _Point:
    y = 4 * pow(5, _P - 2, _P) % _P
    x = _recover_x(y, 0)
    assert x is not None  # the curve's base point always decodes
    return (x, y, 1, x * y % _P)


@lru_cache(maxsize=1)
def _base_powers() -> tuple[_Point, ...]:
    """B, 2B, 4B, ... 2^255 B: a scalar times B is then one addition per set bit."""
    powers = [_base_point()]
    for _ in range(255):
        powers.append(_add(powers[-1], powers[-1]))
    return tuple(powers)


def _times_base(scalar: int) -> _Point:
    result = _IDENTITY
    for power in _base_powers():
        if scalar & 1:
            result = _add(result, power)
        scalar >>= 1
        if not scalar:
            break
    return result


def _hash_to_scalar(*parts: bytes) -> int:
    return int.from_bytes(hashlib.sha512(b"".join(parts)).digest(), "little") % _L


@lru_cache(maxsize=1024)
def _expanded(seed: bytes) -> tuple[int, bytes, bytes]:
    """(secret scalar, nonce prefix, public key) of a 32-byte seed; cached: a hook signs with the same key."""
    if len(seed) != SEED_BYTES:
        raise ValueError(f"an Ed25519 private key is {SEED_BYTES} bytes, not {len(seed)}")
    digest = hashlib.sha512(seed).digest()
    scalar = int.from_bytes(digest[:32], "little")
    scalar &= (1 << 254) - 8
    scalar |= 1 << 254
    return scalar, digest[32:], _encode(_times_base(scalar))


def public_key(seed: bytes) -> bytes:
    return _expanded(seed)[2]


def sign(seed: bytes, message: bytes) -> bytes:
    scalar, prefix, public = _expanded(seed)
    nonce = _hash_to_scalar(prefix, message)
    commitment = _encode(_times_base(nonce))
    challenge = _hash_to_scalar(commitment, public, message)
    return commitment + ((nonce + challenge * scalar) % _L).to_bytes(32, "little")


def verify(public: bytes, message: bytes, signature: bytes) -> bool:
    if len(public) != PUBLIC_KEY_BYTES or len(signature) != SIGNATURE_BYTES:
        return False
    key_point, commitment_point = _decode(public), _decode(signature[:32])
    response = int.from_bytes(signature[32:], "little")
    if key_point is None or commitment_point is None or response >= _L:
        return False
    challenge = _hash_to_scalar(signature[:32], public, message)
    return _same(_times_base(response), _add(commitment_point, _multiply(challenge, key_point)))
