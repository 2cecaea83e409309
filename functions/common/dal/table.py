"""What every DynamoDB repository holds (its table's name and the process's shared clients) and the item
operations they share: get, delete and conditional writes by key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from functions.common.dal import dynamo
from functions.common.dal.clients import AwsClients, aws
from functions.common.dal.dynamo import Item
from functions.common.errors import DependencyFailure


def condition_failed(exc: ClientError) -> bool:
    return exc.response["Error"].get("Code") == "ConditionalCheckFailedException"


class TableRepository:
    def __init__(self, table_name: str, clients: AwsClients = aws) -> None:
        self.table = table_name
        self._clients = clients

    @property
    def _db(self) -> Any:
        return self._clients.get("dynamodb")

    def _get(self, key: Item, *, consistent: bool = False) -> Item | None:
        response = dynamo.call(self._db.get_item, TableName=self.table, Key=key, ConsistentRead=consistent)
        return response.get("Item")

    def _delete(self, key: Item) -> Item | None:
        """Delete the item at `key`; returns what was stored there, None when nothing was."""
        response = dynamo.call(self._db.delete_item, TableName=self.table, Key=key, ReturnValues="ALL_OLD")
        return response.get("Attributes")

    def _conditional(self, operation: Callable[..., Any], **kwargs: Any) -> bool:
        """Run a conditional write (`operation` is the client's put_item or update_item); False when its
        condition failed, DependencyFailure when the call failed otherwise."""
        try:
            operation(TableName=self.table, **kwargs)
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise DependencyFailure(f"{exc.operation_name} failed: {exc.response['Error'].get('Code')}") from exc
        return True
