"""The customer portal in a real headless Chromium against the real local runtime and a 127.0.0.1 receiver."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from functions.common import signing
from functions.common.dal.portal_sessions import PortalSessionsRepository
from functions.common.models import PortalCredential, PortalCredentialKind
from functions.common.timeutil import utcnow
from tests.browser.conftest import new_tenant, portal_link

pytestmark = [pytest.mark.browser, pytest.mark.slow]
FIRST_LOAD_BUDGET_BYTES = 150 * 1024
XSS_NAME = '<img src=x onerror="window.__xss=1">'


def test_a_magic_link_signs_in_to_that_tenant_only_and_a_webhook_added_in_the_form_receives_its_test(
    page, runtime, receiver, admin
) -> None:
    # Given two tenants with one webhook each, and a magic link for the first
    acme = new_tenant(admin, "Acme")
    globex = new_tenant(admin, "Globex")
    acme.call("POST", "/hooks", {"name": "Acme orders", "url": f"{receiver.url}/acme", "on": ["order.*"]})
    theirs = globex.call("POST", "/hooks", {"name": "Globex secret hook", "url": f"{receiver.url}/g", "on": ["*"]})
    link = portal_link(acme)
    transferred: list[int] = []
    origins: set[str] = set()
    page.on("response", lambda response: transferred.append(len(response.body())))
    page.on("request", lambda request: origins.add(re.match(r"^[a-z]+://[^/]+", request.url).group(0)))

    # When the link is opened
    page.goto(link)

    # Then the tenant's portal shows, signed in, with only its own webhooks, and the code left the address bar
    expect(page.get_by_role("link", name="Acme orders")).to_be_visible()
    expect(page.get_by_test_id("tenant-name")).to_have_text("Acme")
    expect(page.get_by_text("Globex secret hook")).to_have_count(0)
    assert "code=" not in page.url
    # And the first load stayed small and never left this origin
    assert sum(transferred) < FIRST_LOAD_BUDGET_BYTES, sum(transferred)
    assert origins == {runtime.url}

    # When the customer adds a webhook through the form
    page.get_by_role("link", name="Add webhook").first.click()
    page.get_by_label("Name").fill("Portal hook")
    page.get_by_label("URL").fill(f"{receiver.url}/portal")
    page.get_by_label("Description").fill("added in the browser")
    page.get_by_label("Search event types").fill("invoice.paid")
    page.get_by_role("checkbox", name=re.compile(r"^invoice\.paid")).check()
    page.get_by_label("Payload format").select_option("envelope")
    page.get_by_role("button", name="Add header").click()
    page.get_by_label("Header name").fill("X-Api-Key")
    page.get_by_label("Header value").fill("k-123")
    page.get_by_role("button", name="Save").click()

    # Then its signing secret is shown once, with a copy button
    secret = page.get_by_test_id("secret").inner_text()
    assert secret.startswith("whsec_")
    expect(page.get_by_role("button", name="Copy secret")).to_be_visible()

    # When a test is sent from its page with the prefilled, editable payload
    page.get_by_role("link", name="Done").click()
    expect(page.get_by_role("heading", name="Portal hook")).to_be_visible()
    before = len(receiver.deliveries)
    page.get_by_role("button", name="Send test").click()
    dialog = page.get_by_role("dialog", name="Send test")
    expect(dialog.get_by_label("Event type")).to_have_value("invoice.paid")
    dialog.get_by_label("Payload").fill('{"order": "o_42"}')
    dialog.get_by_role("button", name="Send").click()

    # Then the receiver on 127.0.0.1 got it, signed with the secret shown, carrying the custom header
    expect(page.get_by_text(re.compile("Test delivery succeeded"))).to_be_visible()
    delivery = receiver.wait_for(before + 1)[-1]
    assert delivery.path == "/webhook/portal"
    assert delivery.headers["x-api-key"] == "k-123"
    assert b'"o_42"' in delivery.body
    headers = delivery.headers
    assert signing.verify(
        secret, headers["webhook-id"], int(headers["webhook-timestamp"]), delivery.body, headers["webhook-signature"]
    )
    expect(page.locator("table tbody tr")).to_have_count(1)

    # And another tenant's webhook id shows an error, never its data
    page.goto(f"{runtime.url}/portal#/hooks/{theirs['id']}")
    expect(page.get_by_role("alert")).to_contain_text("not found")
    expect(page.get_by_text("Globex secret hook")).to_have_count(0)


def test_pause_resume_rotate_and_retry_from_the_webhook_page(page, runtime, receiver, admin) -> None:
    # Given a webhook that received one published event
    tenant = new_tenant(admin, "Ops")
    hook = tenant.call("POST", "/hooks", {"name": "Ops hook", "url": f"{receiver.url}/ops", "on": ["lead.*"]})
    before = len(receiver.deliveries)
    tenant.call("POST", "/events", {"type": "lead.created", "data": {"id": "ld_7"}})
    receiver.wait_for(before + 1)
    assert runtime.wait_until_quiet()
    page.goto(portal_link(tenant))
    page.get_by_role("link", name="Ops hook").click()

    # When it is paused and resumed
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("button", name="Resume")).to_be_visible()
    assert tenant.call("GET", f"/hooks/{hook['id']}")["status"] == "paused"
    page.get_by_role("button", name="Resume").click()
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    assert tenant.call("GET", f"/hooks/{hook['id']}")["status"] == "active"

    # When its secret is rotated with a 24-hour grace period
    page.get_by_role("button", name="Rotate secret").click()
    dialog = page.get_by_role("dialog", name="Rotate signing secret")
    dialog.get_by_label("Keep the old secret valid for").select_option(label="24 hours")
    dialog.get_by_role("button", name="Rotate").click()
    # Then the new secret is shown once
    expect(page.get_by_test_id("secret")).to_have_text(re.compile(r"^whsec_"))

    # When the delivery is retried from its detail page, which shows the request sent
    before = len(receiver.deliveries)
    page.get_by_role("link", name=re.compile("succeeded, details")).first.click()
    expect(page.get_by_test_id("request-body")).to_contain_text("ld_7")
    page.get_by_role("button", name="Retry").click()
    # Then the retry is queued and the receiver gets it again, signed by both live secrets
    expect(page.get_by_text(re.compile("Retry queued"))).to_be_visible()
    retried = receiver.wait_for(before + 1)[-1]
    assert retried.path == "/webhook/ops"
    assert len(retried.headers["webhook-signature"].split()) == 2


def test_a_read_only_session_shows_no_write_controls_and_the_api_refuses_its_writes(page, admin, receiver) -> None:
    # Given a webhook with a delivery, and a read-only link
    tenant = new_tenant(admin, "Viewer")
    hook = tenant.call("POST", "/hooks", {"name": "Watched", "url": f"{receiver.url}/v", "on": ["*"]})
    tenant.call("POST", f"/hooks/{hook['id']}/test", {})
    page.goto(portal_link(tenant, read_only=True))

    # Then everything is visible but nothing can be changed
    expect(page.get_by_role("link", name="Watched")).to_be_visible()
    expect(page.get_by_text("Read-only")).to_be_visible()
    expect(page.get_by_role("link", name="Add webhook")).to_have_count(0)
    page.get_by_role("link", name="Watched").click()
    expect(page.get_by_role("heading", name="Delivery history")).to_be_visible()
    for name in ("Edit", "Pause", "Rotate secret", "Send test", "Delete"):
        expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)
    page.get_by_role("link", name=re.compile("details")).first.click()
    expect(page.get_by_test_id("request-body")).to_be_visible()
    expect(page.get_by_role("button", name="Retry")).to_have_count(0)

    # And a write sent with the session's own credential is refused by the API
    status = page.evaluate(
        """async (id) => {
            const token = JSON.parse(sessionStorage.getItem("hookwire.portal.session")).token;
            const headers = {Authorization: `Bearer ${token}`};
            const response = await fetch(`/hooks/${id}`, {method: "DELETE", headers});
            return response.status;
        }""",
        hook["id"],
    )
    assert status == 403
    assert tenant.call("GET", f"/hooks/{hook['id']}")["name"] == "Watched"


def test_expired_revoked_and_tampered_links_show_a_clear_message_and_no_tenant_data(
    page, runtime, admin, receiver
) -> None:
    # Given a tenant with a webhook
    tenant_id = admin.call("POST", "/tenants", {"name": "Expiring"})["id"]
    admin.call("POST", f"/hooks?tenant_id={tenant_id}", {"name": "Private hook", "url": receiver.url, "on": ["*"]})

    # When a tampered link is opened
    link = admin.call("POST", "/portal/sessions", {"tenant_id": tenant_id})["url"]
    page.goto(link[:-4] + "AAAA")
    # Then it says so, and shows no tenant data
    expect(page.get_by_role("heading", name="This link no longer works")).to_be_visible()
    expect(page.get_by_text("Private hook")).to_have_count(0)

    # When an expired link is opened (stored with an expiry in the past)
    code = "hwl_expired-link-code"
    now = utcnow()
    PortalSessionsRepository(runtime.resources.subscriptions_table).put(
        PortalCredential(
            id="pls_expired",
            tenant_id=tenant_id,
            kind=PortalCredentialKind.LINK,
            token_hash=hashlib.sha256(code.encode()).hexdigest(),
            read_only=False,
            created_at=now - timedelta(hours=2),
            expires_at=now - timedelta(hours=1),
        )
    )
    page.goto(f"{runtime.url}/portal#code={code}")
    expect(page.get_by_role("heading", name="This link no longer works")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("has expired, was revoked")
    expect(page.get_by_text("Private hook")).to_have_count(0)

    # When a valid link is open and the admin revokes the tenant's portal sessions
    page.goto(link)
    expect(page.get_by_role("link", name="Private hook")).to_be_visible()
    assert admin.call("DELETE", f"/tenants/{tenant_id}/portal-sessions")["revoked"] >= 2
    page.get_by_role("link", name="Private hook").click()
    # Then the next request ends the session, the data is gone, and the link no longer works either
    expect(page.get_by_role("heading", name="Your session has ended")).to_be_visible()
    expect(page.get_by_text("Private hook")).to_have_count(0)
    page.goto(link)
    expect(page.get_by_role("heading", name="This link no longer works")).to_be_visible()


def test_markup_in_user_text_is_shown_as_text_and_the_csp_blocks_inline_script(page, admin, receiver) -> None:
    # Given a webhook whose name, description and URL carry markup
    tenant = new_tenant(admin, '<b id="tenant-markup">Evil</b>')
    tenant.call(
        "POST",
        "/hooks",
        {
            "name": XSS_NAME,
            "description": "<script>window.__xss=2</script>",
            "url": f"{receiver.url}/<svg/onload=alert(1)>",
            "on": ["*"],
        },
    )

    # When the portal shows it in the list and on its page
    response = page.goto(portal_link(tenant))
    expect(page.get_by_role("link", name=XSS_NAME)).to_be_visible()
    page.get_by_role("link", name=XSS_NAME).click()
    expect(page.get_by_role("heading", name=XSS_NAME)).to_be_visible()

    # Then it is text: no element was made from it and no script ran
    expect(page.get_by_text("<script>window.__xss=2</script>")).to_be_visible()
    assert page.locator("main img, main svg, main script, #tenant-markup").count() == 0
    assert page.evaluate("window.__xss") is None
    expect(page.get_by_test_id("tenant-name")).to_have_text('<b id="tenant-markup">Evil</b>')

    # And the page's CSP allows scripts from this origin only: an injected inline script does not run
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    page.evaluate(
        """() => { const s = document.createElement("script"); s.textContent = "window.__inline = 1";
                   document.body.append(s); }"""
    )
    assert page.evaluate("window.__inline") is None
