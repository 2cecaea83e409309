"""What every DynamoDB repository holds: its table's name and the process's shared clients."""

from __future__ import annotations

from typing import Any

from functions.common.dal.clients import AwsClients, aws


class TableRepository:
    def __init__(self, table_name: str, clients: AwsClients = aws) -> None:
        self.table = table_name
        self._clients = clients

    @property
    def _db(self) -> Any:
        return self._clients.get("dynamodb")
