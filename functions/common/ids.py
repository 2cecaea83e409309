"""Sortable random identifiers: 48-bit millisecond time + 80 random bits, Crockford base32 (ULID layout)."""

from __future__ import annotations

import hashlib
import os
import random
import secrets
import time
from datetime import datetime

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
# The random part of an attempt id only keeps ids apart, it guards nothing: a seeded generator, not the OS's
# (one getrandom system call per attempt, which also hands the GIL to another delivery thread).
_ATTEMPT_BITS = random.Random(secrets.randbits(128))
os.register_at_fork(after_in_child=lambda: _ATTEMPT_BITS.seed(secrets.randbits(128)))  # worker processes differ
# The bit offset of each character, by id length (ids are at most 26 characters).
_SHIFTS = {length: tuple(range(5 * (length - 1), -1, -5)) for length in range(1, 27)}


def _encode(value: int, length: int) -> str:
    """The low `length * 5` bits of `value` as `length` characters, most significant first."""
    return "".join([_ALPHABET[(value >> shift) & 31] for shift in _SHIFTS[length]])


def sortable_id(now_ms: int | None = None) -> str:
    """26 characters that sort by creation time, then randomly within the same millisecond."""
    millis = int(time.time() * 1000) if now_ms is None else now_ms
    return _encode(millis, 10) + _encode(secrets.randbits(80), 16)


def new_id(prefix: str) -> str:
    return f"{prefix}_{sortable_id()}"


def random_token(prefix: str, nbytes: int = 32) -> str:
    return f"{prefix}_{secrets.token_urlsafe(nbytes)}"


def event_group(event_id: str, event_created_at: datetime) -> str:
    """14 characters shared by every execution of one event: the event's publish time (so executions sort
    by event), then a hash of its id (so one event's executions sit together under a hook)."""
    # 20 bits of hash: two events of one millisecond at one hook rarely share a group, and when they do,
    # reading one event's attempts filters the other's out.
    digest = int.from_bytes(hashlib.sha256(event_id.encode()).digest()[:4], "big") >> 12
    return _encode(int(event_created_at.timestamp() * 1000), 10) + _encode(digest, 4)


def execution_id(event_id: str, event_created_at: datetime | None) -> str:
    """`exe_` + the event's group + a sortable id: under a hook, one event's executions are adjacent and in
    attempt order, so both the hook's history and one event's attempts are one key-range read. Without the
    event's publish time (the event could not be read) the id is a plain sortable one: GET /events/{id}
    can't list that attempt, but the hook's history does."""
    if event_created_at is None:
        return new_id("exe")
    # The attempt part is shorter than a full sortable id (ms time + 30 random bits): ids stay printable in
    # one CLI table row, and one event's attempts at one hook within one millisecond still differ.
    attempt = _encode(int(time.time() * 1000), 10) + _encode(_ATTEMPT_BITS.getrandbits(30), 6)
    return f"exe_{event_group(event_id, event_created_at)}{attempt}"


def execution_range(since: datetime, until: datetime) -> tuple[str, str]:
    """The first and last execution id (inclusive bounds) of the executions of events published in
    [since, until): their ids start with the event's publish time (`event_group`)."""
    first = int(since.timestamp() * 1000)
    last = int(until.timestamp() * 1000) - 1
    return f"exe_{_encode(first, 10)}", f"exe_{_encode(last, 10)}~"  # "~" sorts after every id character


def recovery_id(*request_parts: str) -> str:
    """The same recovery request always gets the same id: asking again finds the first one (idempotency)."""
    digest = int.from_bytes(hashlib.sha256("\x1f".join(request_parts).encode()).digest()[:16], "big")
    return f"rec_{_encode(digest, 26)}"
