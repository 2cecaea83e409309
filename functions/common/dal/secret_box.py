"""Hook signing secrets at rest: encrypted with the stack's KMS key, decrypted only to sign.

Direct KMS encryption (a secret is 50 bytes, far below KMS's 4 KiB limit). The encryption context names
the tenant and hook, so a ciphertext copied onto another hook does not decrypt. Decrypted secrets are
cached in memory for a few minutes (keyed by ciphertext), so a busy hook costs one Decrypt per container
per TTL, not one per delivery. Plaintext never reaches a log or an API answer but create and rotate.
"""

from __future__ import annotations

import base64
import threading
import time
from typing import Any

from functions.common.dal.clients import AwsClients, aws
from functions.common.dal.sdk import call

CACHE_TTL_SECONDS = 300
CACHE_MAX_ENTRIES = 2048


def encryption_context(tenant_id: str, hook_id: str) -> dict[str, str]:
    return {"service": "hookwire", "tenant_id": tenant_id, "hook_id": hook_id}


class SecretBox:
    def __init__(self, key_id: str, clients: AwsClients = aws, ttl_seconds: float = CACHE_TTL_SECONDS) -> None:
        self.key_id = key_id
        self._clients = clients
        self._ttl = ttl_seconds
        self._cache: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    @property
    def _kms(self) -> Any:
        return self._clients.get("kms")

    def seal(self, plaintext: str, context: dict[str, str]) -> str:
        response = call(self._kms.encrypt, KeyId=self.key_id, Plaintext=plaintext.encode(), EncryptionContext=context)
        return base64.b64encode(response["CiphertextBlob"]).decode()

    def open(self, ciphertext: str, context: dict[str, str]) -> str:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(ciphertext)
            if cached and cached[1] > now:
                return cached[0]
        response = call(self._kms.decrypt, CiphertextBlob=base64.b64decode(ciphertext), EncryptionContext=context)
        plaintext = response["Plaintext"].decode()
        with self._lock:
            if len(self._cache) >= CACHE_MAX_ENTRIES:
                self._cache.clear()
            self._cache[ciphertext] = (plaintext, now + self._ttl)
        return plaintext
