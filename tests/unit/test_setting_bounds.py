"""The delivery and storage settings have one definition each: the deploy configuration (infra/config.py)
and the functions' settings (functions/common/settings.py) accept and refuse the same values."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from functions.common import contract
from functions.common.settings import DeliverySettings, StorageSettings
from infra.config import DeployConfig

TABLES = {"subscriptions_table": "s", "executions_table": "e"}

# (field, value, accepted)
BOUNDS = [
    ("retry_schedule", "5s,5m,2h", True),
    ("retry_schedule", "250ms", True),
    ("retry_schedule", "", False),
    ("retry_schedule", "soon", False),
    ("retry_schedule", "-1s", False),
    ("retry_jitter", 0, True),
    ("retry_jitter", 1, True),
    ("retry_jitter", 1.01, False),
    ("retry_jitter", -0.1, False),
    ("delivery_timeout_seconds", contract.MAX_DELIVERY_TIMEOUT_SECONDS, True),
    ("delivery_timeout_seconds", contract.MAX_DELIVERY_TIMEOUT_SECONDS + 0.5, False),
    ("delivery_timeout_seconds", 0, False),
    ("event_retention_days", 1, True),
    ("event_retention_days", contract.MAX_RETENTION_DAYS, True),
    ("event_retention_days", contract.MAX_RETENTION_DAYS + 1, False),
    ("event_retention_days", 0, False),
    ("execution_retention_days", contract.MAX_RETENTION_DAYS + 1, False),
]


def _function_settings(field: str, value: Any) -> None:
    if field.endswith("retention_days"):
        StorageSettings.model_validate({**TABLES, field: value})
    else:
        DeliverySettings.model_validate({field: value})


@pytest.mark.parametrize(("field", "value", "accepted"), BOUNDS)
def test_the_stack_and_the_functions_accept_the_same_values(field: str, value: Any, accepted: bool) -> None:
    # Given a value for a setting both the deploy configuration and the functions read
    for validate in (lambda: DeployConfig.model_validate({field: value}), lambda: _function_settings(field, value)):
        # When each validates it, Then both accept it or both refuse it, naming the field
        if accepted:
            validate()
        else:
            with pytest.raises(ValidationError, match=field):
                validate()
