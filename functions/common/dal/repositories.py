"""The one place that builds the repositories from the storage settings; every function's dependency
factory takes the ones it needs from here, so no two places build the same repository."""

from __future__ import annotations

from dataclasses import dataclass

from functions.common.dal.event_types import EventTypesRepository
from functions.common.dal.events import EventsRepository
from functions.common.dal.executions import ExecutionsRepository
from functions.common.dal.hooks import HooksRepository
from functions.common.dal.portal_sessions import PortalSessionsRepository
from functions.common.dal.recoveries import RecoveriesRepository
from functions.common.dal.tenants import TenantsRepository
from functions.common.dal.tokens import TokensRepository
from functions.common.settings import StorageSettings


@dataclass
class Repositories:
    tenants: TenantsRepository
    tokens: TokensRepository
    event_types: EventTypesRepository
    hooks: HooksRepository
    events: EventsRepository
    portal_sessions: PortalSessionsRepository
    executions: ExecutionsRepository
    recoveries: RecoveriesRepository


def build_repositories(settings: StorageSettings) -> Repositories:
    table = settings.subscriptions_table
    return Repositories(
        tenants=TenantsRepository(table),
        tokens=TokensRepository(table),
        event_types=EventTypesRepository(table),
        hooks=HooksRepository(table),
        events=EventsRepository(table),
        portal_sessions=PortalSessionsRepository(table),
        executions=ExecutionsRepository(settings.executions_table, settings.execution_retention_days),
        recoveries=RecoveriesRepository(table),
    )
