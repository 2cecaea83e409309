"""boto3 clients, created lazily once per container and replaceable in tests."""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4}, max_pool_connections=50)


class AwsClients:
    def __init__(self) -> None:
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def get(self, service: str) -> Any:
        client = self._clients.get(service)
        if client is None:
            with self._lock:  # client creation is not thread-safe; using a client is
                client = self._clients.get(service)
                if client is None:
                    client = boto3.session.Session().client(service, config=_CONFIG)
                    self._clients[service] = client
        return client

    def inject(self, service: str, client: Any) -> None:
        self._clients[service] = client

    def reset(self) -> None:
        self._clients.clear()


aws = AwsClients()
