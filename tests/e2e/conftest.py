from collections.abc import Iterator

import pytest

from hookwire.client import HookwireClient
from hookwire.local.runtime import LocalConfig, LocalRuntime


@pytest.fixture(scope="package")
def runtime() -> Iterator[LocalRuntime]:
    config = LocalConfig(
        port=0,
        admin_token="e2e-admin-token",
        retry_schedule="1s,1s",
        delivery_timeout_seconds=2,
        worker_init="tests.support.offline:refuse_name_lookups",
    )
    started = LocalRuntime(config).start()
    yield started
    started.stop()


@pytest.fixture
def tenant_client(runtime: LocalRuntime) -> HookwireClient:
    admin = HookwireClient(runtime.url, runtime.admin_token)
    tenant = admin.call("POST", "/tenants", {"name": "e2e"})
    return HookwireClient(runtime.url, tenant["token"])
