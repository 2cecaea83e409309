import base64

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from functions.common import signing

BODY = b'{"id":"evt_1","type":"order.status.changed","data":{"a":1}}'


def _headers(header: str, message_id: str = "evt_1", timestamp: int | None = None) -> dict[str, str]:
    import time

    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp or int(time.time())),
        "webhook-signature": header,
    }


def test_secret_is_whsec_plus_32_random_bytes() -> None:
    # When a secret is generated
    secret = signing.generate_secret()
    # Then it has the Standard Webhooks shape
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert signing.generate_secret() != secret


def test_signature_verifies_with_standardwebhooks_package() -> None:
    # Given a secret and a signed body
    secret = signing.generate_secret()
    headers = _headers("")
    timestamp = int(headers["webhook-timestamp"])
    headers["webhook-signature"] = signing.signature_header([secret], "evt_1", timestamp, BODY)
    # When the reference implementation verifies it
    payload = Webhook(secret).verify(BODY, headers)
    # Then it accepts it
    assert payload["id"] == "evt_1"


def test_signature_is_v1_base64_hmac_of_id_timestamp_body() -> None:
    import hashlib
    import hmac

    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    expected = base64.b64encode(hmac.new(b"k" * 32, b"evt_1.1700000000." + BODY, hashlib.sha256).digest()).decode()
    assert signing.signature(secret, "evt_1", 1700000000, BODY) == f"v1,{expected}"


def test_several_secrets_give_space_separated_signatures_each_verifying() -> None:
    # Given two live secrets (a rotation grace window)
    old, new = signing.generate_secret(), signing.generate_secret()
    headers = _headers("")
    header = signing.signature_header([new, old], "evt_1", int(headers["webhook-timestamp"]), BODY)
    headers["webhook-signature"] = header
    # Then the header carries two v1 signatures and a receiver holding either verifies
    assert len(header.split(" ")) == 2
    Webhook(old).verify(BODY, headers)
    Webhook(new).verify(BODY, headers)


def test_tampered_body_or_wrong_secret_fails() -> None:
    secret = signing.generate_secret()
    headers = _headers("")
    headers["webhook-signature"] = signing.signature_header([secret], "evt_1", int(headers["webhook-timestamp"]), BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY + b" ", headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.generate_secret()).verify(BODY, headers)
    assert not signing.verify(
        secret, "evt_1", int(headers["webhook-timestamp"]), BODY + b"x", headers["webhook-signature"]
    )
    assert signing.verify(secret, "evt_1", int(headers["webhook-timestamp"]), BODY, headers["webhook-signature"])
