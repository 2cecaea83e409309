"""Signing edges the mutation run showed untested: a secret given without its `whsec_` prefix."""

from __future__ import annotations

import base64

from functions.common.signing import signature, verify

KEY = base64.b64encode(b"k" * 32).decode()
BODY = b'{"id":"evt_1"}'


def test_a_secret_without_the_whsec_prefix_is_the_same_key() -> None:
    # Given one key written with and without the whsec_ prefix
    # When a message is signed with each
    bare = signature(KEY, "evt_1", 1700000000, BODY)
    prefixed = signature("whsec_" + KEY, "evt_1", 1700000000, BODY)
    # Then the signatures are identical, and each verifies with the other form
    assert bare == prefixed
    assert verify("whsec_" + KEY, "evt_1", 1700000000, BODY, bare) is True
    assert verify(KEY, "evt_1", 1700000000, BODY, prefixed) is True
