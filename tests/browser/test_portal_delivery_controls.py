"""The portal's delivery controls (rate limit, ordering) in a real headless Chromium against the local runtime."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from hookwire.client import HookwireClient
from tests.browser.conftest import new_tenant, portal_link

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _edit_own_webhook(page, admin, receiver, tenant_name: str, hook_name: str) -> tuple[HookwireClient, dict]:
    """A new tenant with one webhook, signed in to its portal, with that webhook's edit form open."""
    tenant = new_tenant(admin, tenant_name)
    body = {"name": hook_name, "url": f"{receiver.url}/{tenant_name.lower()}", "on": ["order.*"]}
    hook = tenant.call("POST", "/hooks", body)
    page.goto(portal_link(tenant))
    page.get_by_role("link", name=hook_name).click()
    page.get_by_role("link", name="Edit").click()
    return tenant, hook


def test_a_rate_limit_set_in_the_form_is_shown_on_the_webhook_page_and_can_be_cleared(page, receiver, admin) -> None:
    # Given a tenant with one webhook without a rate limit, signed in to its portal, its edit form open
    tenant, hook = _edit_own_webhook(page, admin, receiver, "Throttled", "Orders")
    expect(page.get_by_label("Rate limit")).to_have_value("")

    # When the customer sets a limit of 5 per second
    page.get_by_label("Rate limit").fill("5")
    page.get_by_role("button", name="Save").click()

    # Then the webhook page shows it and the API has it
    expect(page.get_by_text("5 per second")).to_be_visible()
    assert tenant.call("GET", f"/hooks/{hook['id']}")["rate_limit_per_second"] == 5

    # When the field is emptied and saved
    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_label("Rate limit")).to_have_value("5")
    page.get_by_label("Rate limit").fill("")
    page.get_by_role("button", name="Save").click()

    # Then the limit is gone
    expect(page.get_by_role("heading", name="Orders")).to_be_visible()
    expect(page.get_by_text("per second")).to_have_count(0)
    assert tenant.call("GET", f"/hooks/{hook['id']}")["rate_limit_per_second"] is None


def test_an_out_of_range_rate_limit_is_refused_with_the_field_marked(page, receiver, admin) -> None:
    # Given a signed-in tenant with one webhook, its edit form open
    _edit_own_webhook(page, admin, receiver, "TooFast", "Fast")
    # When a limit above 1000 is saved
    page.get_by_label("Rate limit").fill("5000")
    page.get_by_role("button", name="Save").click()
    # Then the API's error shows and the field is marked invalid
    expect(page.get_by_role("alert")).to_contain_text("rate_limit_per_second")
    expect(page.get_by_label("Rate limit")).to_have_attribute("aria-invalid", "true")


def test_fifo_ordering_chosen_in_the_form_is_shown_on_the_webhook_page(page, receiver, admin) -> None:
    # Given a signed-in tenant with one webhook in any order, its edit form open
    tenant, hook = _edit_own_webhook(page, admin, receiver, "Ordered", "Ledger")
    expect(page.get_by_label("Delivery order")).to_have_value("none")
    # When FIFO delivery is chosen
    page.get_by_label("Delivery order").select_option("fifo")
    page.get_by_role("button", name="Save").click()
    # Then the webhook page shows it and the API has it
    expect(page.get_by_text("In publish order, one at a time (FIFO)")).to_be_visible()
    assert tenant.call("GET", f"/hooks/{hook['id']}")["ordering"] == "fifo"
