"""The portal's payload filter field and its "Recover failed deliveries" action, in headless Chromium."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from hookwire.client import HookwireClient
from hookwire.receiver import Answer, Receiver
from tests.browser.conftest import new_tenant, portal_link
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _state(tenant: HookwireClient, event_id: str) -> str | None:
    deliveries = tenant.call("GET", f"/events/{event_id}")["deliveries"]
    return deliveries[0]["state"] if deliveries else None


def test_a_payload_filter_is_set_in_the_form_and_shown_on_the_webhook_page(page, admin, receiver) -> None:
    # Given a webhook without a filter
    tenant = new_tenant(admin, "Filters")
    hook = tenant.call("POST", "/hooks", {"name": "Shipped only", "url": receiver.url, "on": ["order.*"]})
    page.goto(portal_link(tenant))
    page.get_by_role("link", name="Shipped only").click()
    page.get_by_role("link", name="Edit").click()
    # When a filter is typed into the form and saved
    page.get_by_label("Payload filter").fill('{"data.status": {"$in": ["shipped"]}}')
    page.get_by_role("button", name="Save").click()
    # Then the webhook page shows it, and the hook carries it
    expect(page.get_by_text('"$in"')).to_be_visible()
    assert tenant.call("GET", f"/hooks/{hook['id']}")["filter"] == {"data.status": {"$in": ["shipped"]}}


def test_recover_failed_deliveries_resends_what_failed_and_shows_progress(page, admin) -> None:
    # Given a webhook whose receiver asked Hookwire to stop retrying a delivery, and now works
    fixed = {"now": False}

    def answer(_delivery: Any, _count: int) -> Answer:
        return Answer() if fixed["now"] else Answer(status=500, headers={"webhook-delivery": "abort"})

    with Receiver(answer) as flaky:
        tenant = new_tenant(admin, "Recover")
        tenant.call("POST", "/hooks", {"name": "Flaky", "url": flaky.url, "on": ["lead.*"]})
        event = tenant.call("POST", "/events", {"type": "lead.created", "data": {"id": "ld_9"}})
        wait_until(lambda: _state(tenant, event["id"]) == "failed", 20, "the event shown failed")
        fixed["now"] = True
        page.goto(portal_link(tenant))
        page.get_by_role("link", name="Flaky").click()
        # When "Recover failed deliveries" is confirmed with its default (the last 24 hours)
        page.get_by_role("button", name="Recover failed deliveries").click()
        dialog = page.get_by_role("dialog", name="Recover failed deliveries")
        expect(dialog.get_by_label("Failed since")).to_have_value(re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$"))
        dialog.get_by_role("button", name="Recover").click()
        # Then the page shows the recovery finishing, and the receiver got the delivery again
        expect(page.get_by_text("Recovery done: 1 of 1 failed deliveries re-sent")).to_be_visible()
        assert [d.headers["webhook-id"] for d in flaky.wait_for(2)] == [event["id"]] * 2
        wait_until(lambda: _state(tenant, event["id"]) == "succeeded", 20, "the event shown succeeded")
