"""The portal's delivery controls from issue 16 items 4 and 7: the Ed25519 signature choice and its public key,
and a destination in the customer's AWS account, in a real headless Chromium against the local runtime."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import new_tenant, portal_link

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROLE_ARN = "arn:aws:iam::111122223333:role/hookwire-delivery"
QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/111122223333/orders"


def _add_webhook_form(page, admin, tenant_name: str) -> None:
    page.goto(portal_link(new_tenant(admin, tenant_name)))
    page.get_by_role("link", name="Add webhook").first.click()
    page.get_by_label("Name", exact=True).fill(f"{tenant_name} hook")
    page.get_by_label("Search event types").fill("invoice.paid")
    page.get_by_role("checkbox", name="invoice.paid").first.check()


def test_an_ed25519_webhook_shows_its_public_key_after_adding_and_on_its_page(page, runtime, receiver, admin) -> None:
    # Given the add-webhook form
    _add_webhook_form(page, admin, "Ed25519 Co")
    page.get_by_label(re.compile(r"^URL")).fill(f"{receiver.url}/ed")
    # When the customer picks an Ed25519 signature and saves
    page.get_by_label("Signature").select_option("ed25519")
    page.get_by_role("button", name="Save").click()
    # Then the public key is shown (not a secret), and the webhook's page shows the same key and scheme
    public_key = page.get_by_test_id("public-key")
    expect(public_key).to_contain_text("whpk_")
    shown = public_key.inner_text()
    page.get_by_role("link", name="Done").click()
    expect(page.get_by_test_id("hook-public-key")).to_have_text(shown)
    expect(page.get_by_text("Ed25519 (v1a)")).to_be_visible()


def test_a_webhook_can_deliver_into_an_sqs_queue_in_the_customers_account(page, runtime, admin) -> None:
    # Given the add-webhook form
    _add_webhook_form(page, admin, "Queue Co")
    # When the customer picks an SQS queue, the URL field gives way to the queue, role and external id
    page.get_by_label("Deliver to").select_option("sqs")
    expect(page.get_by_label(re.compile(r"^URL"))).to_be_hidden()
    page.get_by_label("SQS queue").fill(QUEUE_URL)
    page.get_by_label("Role ARN").fill(ROLE_ARN)
    page.get_by_label("External ID").fill("queue-co-1")
    page.get_by_role("button", name="Save").click()
    # Then the webhook's page says where it delivers, as which role
    page.get_by_role("link", name="Done").click()
    expect(page.get_by_text(f"SQS queue {QUEUE_URL}, as {ROLE_ARN} (external ID queue-co-1)")).to_be_visible()


def test_a_role_the_api_refuses_is_named_in_the_form(page, runtime, admin) -> None:
    # Given the add-webhook form with an EventBridge bus and a role Hookwire may not assume
    _add_webhook_form(page, admin, "Bus Co")
    page.get_by_label("Deliver to").select_option("eventbridge")
    page.get_by_label("Event bus ARN").fill("arn:aws:events:us-east-1:111122223333:event-bus/orders")
    page.get_by_label("Role ARN").fill("arn:aws:iam::111122223333:role/Admin")
    page.get_by_label("External ID").fill("bus-co-1")
    # When it is saved, then the error says which field and why
    page.get_by_role("button", name="Save").click()
    expect(
        page.get_by_text("destination.role_arn must be an IAM role ARN whose name starts with hookwire-")
    ).to_be_visible()
