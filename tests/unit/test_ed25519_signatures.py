"""Ed25519 (`v1a`) signatures: the primitive against RFC 8032, the Standard Webhooks formats, hooks that choose
the scheme, rotation with grace, and hooks that don't choose it staying exactly as they were."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError

from functions.api.logic import hooks
from functions.api.schemas import CreateHook, RotateSecret, UpdateHook
from functions.common import ed25519, signing
from functions.common.delivery import build_request
from functions.common.delivery.attempt import live_secrets
from functions.common.signing import SignatureScheme
from hookwire.verify import verify_delivery
from tests.support.hook_fakes import FakeHookStore, PlainSecretBox, hooks_api_deps

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
BODY = b'{"id":"evt_1","type":"order.created","data":{"a":1}}'

# RFC 8032 section 7.1, tests 1 to 3: (private seed, public key, message, signature), hex.
RFC_8032_VECTORS = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
]


@pytest.mark.parametrize(("seed", "public", "message", "expected"), RFC_8032_VECTORS)
def test_ed25519_matches_the_rfc_8032_test_vectors(seed: str, public: str, message: str, expected: str) -> None:
    # Given an RFC 8032 test key and message
    seed_bytes, message_bytes = bytes.fromhex(seed), bytes.fromhex(message)
    # When the key is derived and the message signed
    # Then both are the RFC's, and the signature verifies only for that message
    assert ed25519.public_key(seed_bytes).hex() == public
    assert ed25519.sign(seed_bytes, message_bytes).hex() == expected
    assert ed25519.verify(bytes.fromhex(public), message_bytes, bytes.fromhex(expected))
    assert not ed25519.verify(bytes.fromhex(public), message_bytes + b"!", bytes.fromhex(expected))


def test_ed25519_agrees_with_the_cryptography_package_on_random_keys() -> None:
    for _ in range(5):
        # Given a random key and message
        seed, message = os.urandom(32), os.urandom(200)
        reference = Ed25519PrivateKey.from_private_bytes(seed)
        # When both implementations sign (Ed25519 is deterministic)
        # Then the signatures are identical and each verifies the other's
        assert ed25519.sign(seed, message) == reference.sign(message)
        reference.public_key().verify(ed25519.sign(seed, message), message)


def test_ed25519_refuses_a_signature_with_a_non_canonical_scalar() -> None:
    # Given a valid signature whose scalar half is pushed past the group order
    seed = bytes(range(32))
    valid = ed25519.sign(seed, b"m")
    order = 2**252 + 27742317777372353535851937790883648493
    forged = valid[:32] + (int.from_bytes(valid[32:], "little") + order).to_bytes(32, "little")
    # Then it does not verify (malleability)
    assert not ed25519.verify(ed25519.public_key(seed), b"m", forged)


def test_signing_key_and_public_key_have_the_standard_webhooks_shapes() -> None:
    # When an Ed25519 key is generated
    key = signing.generate_secret(SignatureScheme.ED25519)
    public = signing.public_key(key)
    # Then the private key is whsk_ + 32 bytes and the public key whpk_ + 32 bytes
    assert key.startswith("whsk_") and len(base64.b64decode(key.removeprefix("whsk_"))) == 32
    assert public.startswith("whpk_") and len(base64.b64decode(public.removeprefix("whpk_"))) == 32


def test_a_v1a_signature_is_ed25519_over_id_timestamp_body_and_verifies_with_the_public_key() -> None:
    # Given an Ed25519 key
    key = signing.generate_secret(SignatureScheme.ED25519)
    # When a delivery is signed
    header = signing.signature(key, "evt_1", 1700000000, BODY)
    # Then it is `v1a,<base64 64 bytes>` that the cryptography package verifies with the raw public key
    version, encoded = header.split(",")
    assert version == "v1a"
    raw_public = base64.b64decode(signing.public_key(key).removeprefix("whpk_"))
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    Ed25519PublicKey.from_public_bytes(raw_public).verify(base64.b64decode(encoded), b"evt_1.1700000000." + BODY)
    assert signing.verify(signing.public_key(key), "evt_1", 1700000000, BODY, header)
    assert not signing.verify(signing.public_key(key), "evt_1", 1700000001, BODY, header)


def test_a_public_key_never_accepts_an_hmac_signature_and_a_secret_never_accepts_a_v1a_one() -> None:
    # Given one HMAC secret and one Ed25519 key, and a header signed by both (a scheme switch in grace)
    secret, key = signing.generate_secret(), signing.generate_secret(SignatureScheme.ED25519)
    header = signing.signature_header([key, secret], "evt_1", 1700000000, BODY)
    # Then each verifies with its own key only
    assert [part.split(",")[0] for part in header.split()] == ["v1a", "v1"]
    assert signing.verify(signing.public_key(key), "evt_1", 1700000000, BODY, header)
    assert signing.verify(secret, "evt_1", 1700000000, BODY, header)
    other = signing.public_key(signing.generate_secret(SignatureScheme.ED25519))
    assert not signing.verify(other, "evt_1", 1700000000, BODY, header)
    assert not signing.verify(secret, "evt_1", 1700000000, BODY, header.split()[0])


def test_hookwire_verify_checks_v1a_with_a_public_key_and_names_a_bad_one() -> None:
    # Given a delivery signed with an Ed25519 key
    key = signing.generate_secret(SignatureScheme.ED25519)
    timestamp = 1700000000
    headers = {
        "webhook-id": "evt_1",
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signing.signature(key, "evt_1", timestamp, BODY),
    }
    # When `hookwire verify` checks it with the public key, another key, and a malformed key
    good = verify_delivery(signing.public_key(key), headers, BODY, now=timestamp)
    wrong = verify_delivery(signing.public_key(signing.generate_secret("ed25519")), headers, BODY, now=timestamp)
    malformed = verify_delivery("whpk_not-base64!", headers, BODY, now=timestamp)
    # Then only the right key verifies, and a malformed key is named as such
    assert good.valid and not wrong.valid and not malformed.valid
    assert "whpk_" in malformed.reason


def _create(store: FakeHookStore, box: PlainSecretBox, **fields: object) -> hooks.HookWithSecret:
    body = CreateHook.model_validate({"name": "n", "url": "https://r.example/h", "on": ["order.created"], **fields})
    return hooks.create_hook("ten_1", body, hooks_api_deps(store, box), NOW)


def test_an_ed25519_hook_shows_its_public_key_and_never_its_private_key() -> None:
    # Given a hook created with signature_scheme ed25519
    store, box = FakeHookStore(), PlainSecretBox()
    created = _create(store, box, signature_scheme="ed25519")
    stored = store.hooks[created.id]
    private_key = stored.secrets[0].ciphertext  # PlainSecretBox seals to the plaintext
    # Then the answer carries the public key (as `public_key` and as what to verify with), never the private key
    assert private_key.startswith("whsk_")
    assert created.signature_scheme is SignatureScheme.ED25519
    assert created.public_key == signing.public_key(private_key) == created.secret
    assert private_key not in created.model_dump_json()
    # And the stored secret keeps its public key beside the encrypted private key
    assert stored.secrets[0].public_key == created.public_key


def test_an_ed25519_hook_signs_its_deliveries_v1a() -> None:
    # Given an Ed25519 hook
    store, box = FakeHookStore(), PlainSecretBox()
    created = _create(store, box, signature_scheme="ed25519")
    hook = store.hooks[created.id]
    event = _event()
    # When its request is built
    request = build_request(hook, event, NOW, live_secrets(hook, box, NOW))
    # Then its signature header is one v1a signature that the public key verifies
    header = request.headers["webhook-signature"]
    assert header.startswith("v1a,") and len(header.split()) == 1
    timestamp = int(request.headers["webhook-timestamp"])
    assert signing.verify(created.public_key or "", event.id, timestamp, request.body, header)


def _event() -> hooks.Event:
    return hooks.Event(id="evt_1", tenant_id="ten_1", type="order.created", data='{"a":1}', created_at=NOW)


def test_rotation_with_grace_signs_with_both_ed25519_keys_until_the_old_one_expires() -> None:
    # Given an Ed25519 hook rotated with one hour of grace
    store, box = FakeHookStore(), PlainSecretBox()
    created = _create(store, box, signature_scheme="ed25519")
    rotated = hooks.rotate_secret("ten_1", created.id, RotateSecret(grace_seconds=3600), store, box, NOW)  # type: ignore[arg-type]
    hook = store.hooks[created.id]
    # When deliveries are signed during and after the grace period
    during = build_request(hook, _event(), NOW, live_secrets(hook, box, NOW)).headers["webhook-signature"]
    later = NOW + timedelta(hours=2)
    after = build_request(hook, _event(), later, live_secrets(hook, box, later)).headers["webhook-signature"]
    # Then during grace two v1a signatures (new key first) verify with either public key; after it, only the new
    assert rotated.public_key != created.public_key
    assert [part.split(",")[0] for part in during.split()] == ["v1a", "v1a"]
    timestamp = int(NOW.timestamp())
    assert signing.verify(created.public_key or "", "evt_1", timestamp, _body(hook), during)
    assert signing.verify(rotated.public_key or "", "evt_1", timestamp, _body(hook), during)
    assert len(after.split()) == 1


def _body(hook: hooks.Hook) -> bytes:
    return build_request(hook, _event(), NOW, []).body


def test_rotation_can_switch_an_hmac_hook_to_ed25519_with_both_signatures_in_grace() -> None:
    # Given a plain HMAC hook
    store, box = FakeHookStore(), PlainSecretBox()
    created = _create(store, box)
    # When it is rotated to ed25519 with grace
    body = RotateSecret(grace_seconds=600, signature_scheme=SignatureScheme.ED25519)
    rotated = hooks.rotate_secret("ten_1", created.id, body, store, box, NOW)  # type: ignore[arg-type]
    hook = store.hooks[created.id]
    header = build_request(hook, _event(), NOW, live_secrets(hook, box, NOW)).headers["webhook-signature"]
    # Then the hook is ed25519, the answer shows its public key, and receivers on either key verify in grace
    assert hook.signature_scheme is SignatureScheme.ED25519 and rotated.secret == rotated.public_key
    assert [part.split(",")[0] for part in header.split()] == ["v1a", "v1"]
    timestamp = int(NOW.timestamp())
    assert signing.verify(created.secret, "evt_1", timestamp, _body(hook), header)
    assert signing.verify(rotated.public_key or "", "evt_1", timestamp, _body(hook), header)
    # And a plain rotation afterwards keeps ed25519 with one KMS seal per rotation
    seals = box.seals
    again = hooks.rotate_secret("ten_1", created.id, RotateSecret(), store, box, NOW)  # type: ignore[arg-type]
    assert again.signature_scheme is SignatureScheme.ED25519 and box.seals == seals + 1


def test_a_hook_without_a_scheme_is_stored_and_shown_exactly_as_before() -> None:
    # Given a hook created without signature_scheme
    store, box = FakeHookStore(), PlainSecretBox()
    created = _create(store, box)
    document = store.hooks[created.id].model_dump_json()
    # Then its stored document has no new field (same size, same write units), and its answer shows the secret
    assert "signature_scheme" not in document and "public_key" not in document
    assert created.secret.startswith("whsec_") and created.public_key is None
    assert created.signature_scheme is SignatureScheme.HMAC_SHA256
    assert box.seals == 1


def test_an_unknown_scheme_is_refused_naming_the_field_and_update_cannot_change_it() -> None:
    # When a hook asks for a scheme Hookwire does not have, or an update tries to change it
    with pytest.raises(ValidationError) as unknown:
        CreateHook.model_validate({"name": "n", "url": "https://r/h", "on": ["a"], "signature_scheme": "rsa"})
    with pytest.raises(ValidationError) as on_update:
        UpdateHook.model_validate({"signature_scheme": "ed25519"})
    # Then both name signature_scheme (a scheme changes only by rotating, so receivers get a grace period)
    assert unknown.value.errors()[0]["loc"] == ("signature_scheme",)
    assert on_update.value.errors()[0]["loc"] == ("signature_scheme",)
