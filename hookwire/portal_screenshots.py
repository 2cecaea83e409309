"""`make screenshots`: the customer portal at desktop (1440 px) and phone (375 px) width, into docs/img/.

Starts the local runtime and a receiver on 127.0.0.1, creates a tenant with a few webhooks and deliveries,
opens a magic link in headless Chromium and captures the pages the README and docs/portal.md show.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hookwire.browser import DESKTOP, PHONE, launch
from hookwire.client import HookwireClient
from hookwire.local.runtime import PROJECT_ROOT, LocalConfig, LocalRuntime
from hookwire.receiver import Answer, Delivery, Receiver

OUTPUT = PROJECT_ROOT / "docs" / "img"


def _answer(delivery: Delivery, count: int) -> Answer:
    """Mostly successes, one failure, so the history shows both."""
    return Answer(status=500 if count % 4 == 3 else 200, body=b'{"received": true}')


def seed(runtime: LocalRuntime, receiver: Receiver) -> str:
    """A tenant with three webhooks and some deliveries; returns a magic link to its portal."""
    admin = HookwireClient(runtime.url, runtime.admin_token)
    tenant = HookwireClient(runtime.url, admin.call("POST", "/tenants", {"name": "Acme Tailoring"})["token"])
    orders = tenant.call(
        "POST",
        "/hooks",
        {"name": "Order updates", "url": f"{receiver.url}/orders", "on": ["order.*"], "description": "ERP sync"},
    )
    tenant.call("POST", "/hooks", {"name": "CRM leads", "url": f"{receiver.url}/crm", "on": ["lead.created"]})
    paused = tenant.call("POST", "/hooks", {"name": "Staging", "url": f"{receiver.url}/staging", "on": ["*"]})
    tenant.call("PATCH", f"/hooks/{paused['id']}", {"status": "paused"})
    for number in range(4):
        tenant.call("POST", f"/hooks/{orders['id']}/test", {"data": {"order": number}})
    tenant.call("POST", "/events", {"type": "lead.created", "data": {"id": "ld_1", "name": "Ada"}})
    runtime.wait_until_quiet()
    return tenant.call("POST", "/portal/sessions", {"ttl_seconds": 3600})["url"]


def capture(link: str, output: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    output.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page = browser.new_page(viewport=viewport, color_scheme="light")
            page.goto(link)
            page.get_by_role("link", name="Order updates").wait_for()
            page.get_by_text("None yet").wait_for()  # the last-delivery column has filled in
            saved.append(_shot(page, output / f"portal-hooks-{label}.png"))
            page.get_by_role("link", name="Order updates").click()
            page.get_by_role("heading", name="Delivery history").wait_for()
            page.locator("table tbody tr").first.wait_for()
            saved.append(_shot(page, output / f"portal-hook-{label}.png"))
            page.get_by_role("link", name="Webhooks", exact=True).click()
            page.get_by_role("link", name="Add webhook").first.click()
            page.get_by_label("Name").wait_for()
            saved.append(_shot(page, output / f"portal-add-{label}.png"))
            page.close()
        browser.close()
    return saved


def _shot(page: Any, path: Path) -> Path:
    page.screenshot(path=str(path), full_page=True)
    return path


def main() -> None:
    runtime = LocalRuntime(LocalConfig(port=0, admin_token="screenshots-admin")).start()
    try:
        with Receiver(_answer) as receiver:
            link = seed(runtime, receiver)
            for path in capture(link, OUTPUT):
                print(path.relative_to(PROJECT_ROOT))
    finally:
        runtime.stop()


if __name__ == "__main__":
    main()
