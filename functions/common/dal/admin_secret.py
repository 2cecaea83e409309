"""The operator's admin token, kept in Secrets Manager."""

from __future__ import annotations

from functions.common.dal.clients import AwsClients, aws
from functions.common.dal.sdk import call
from functions.common.errors import DependencyFailure


class AdminSecret:
    """The operator's admin token, read from Secrets Manager once per container."""

    def __init__(self, secret_arn: str, clients: AwsClients = aws) -> None:
        self.secret_arn = secret_arn
        self._clients = clients
        self._value: str | None = None

    def value(self) -> str:
        if self._value is None:
            response = call(self._clients.get("secretsmanager").get_secret_value, SecretId=self.secret_arn)
            self._value = response["SecretString"]
        if not self._value:
            raise DependencyFailure("the admin token secret is empty")
        return self._value
