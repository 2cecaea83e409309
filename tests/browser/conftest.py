"""One local runtime, one receiver and one headless Chromium per module; a fresh browser context per test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from hookwire.client import HookwireClient
from hookwire.local.runtime import LocalConfig, LocalRuntime
from hookwire.receiver import Receiver

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def runtime() -> Iterator[LocalRuntime]:
    started = LocalRuntime(LocalConfig(port=0, admin_token="browser-admin-token", retry_schedule="1s,1s")).start()
    yield started
    started.stop()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with Receiver() as started:
        yield started


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from hookwire.browser import launch

    with playwright_api.sync_playwright() as playwright:
        launched = launch(playwright)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture(scope="module")
def admin(runtime: LocalRuntime) -> HookwireClient:
    return HookwireClient(runtime.url, runtime.admin_token)


def new_tenant(admin: HookwireClient, name: str) -> HookwireClient:
    created = admin.call("POST", "/tenants", {"name": name})
    return HookwireClient(admin.base_url, created["token"])


def portal_link(tenant: HookwireClient, **body: Any) -> str:
    return tenant.call("POST", "/portal/sessions", body)["url"]
