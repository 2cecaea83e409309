"""Portal sessions through the real api handler on moto: links, the exchange, scoping, read-only, revocation."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from functions.api.handler import app
from functions.common.timeutil import utcnow
from tests.conftest import ADMIN_TOKEN, create_hook

READ_METHODS = {"GET", "HEAD", "OPTIONS"}
# Path parameters filled with ids that exist, so a refusal cannot be a 404 in disguise.
PLACEHOLDER = re.compile(r"<(\w+)>")


def open_link(api, token: str, **body) -> dict:
    created = api.post("/portal/sessions", token, body)
    assert created.status == 201, created.body
    code = created.body["url"].split("#code=", 1)[1]
    exchanged = api.post("/portal/sessions/exchange", None, {"code": code})
    assert exchanged.status == 200, exchanged.body
    return {**exchanged.body, "code": code, "url": created.body["url"]}


@pytest.mark.parametrize(("ttl", "status"), [(59, 422), (60, 201), (604800, 201), (604801, 422)])
def test_the_link_lifetime_is_bounded_to_one_minute_through_seven_days(api, tenant, ttl, status) -> None:
    # When a link is asked for with this TTL
    # Given a tenant
    reply = api.post("/portal/sessions", tenant["token"], {"ttl_seconds": ttl})
    # Then only 60..604800 is accepted, and the error names the field
    assert reply.status == status, reply.body
    if status == 422:
        assert reply.body["field"] == "ttl_seconds"


def test_a_link_defaults_to_one_hour_and_keeps_its_secret_out_of_path_and_query(api, tenant) -> None:
    # Given a tenant
    before = utcnow()
    # When it asks for a link without a lifetime
    reply = api.post("/portal/sessions", tenant["token"], {})
    # Then the link lasts an hour, is not read-only, and carries its code in the fragment only
    assert reply.status == 201
    expires = datetime.fromisoformat(reply.body["expires_at"])
    assert timedelta(minutes=59) < expires - before <= timedelta(hours=1, seconds=5)
    assert reply.body["read_only"] is False
    # The code travels in the fragment, which browsers never send to the server
    assert re.fullmatch(r"http://127\.0\.0\.1/portal#code=hwl_[\w-]+", reply.body["url"])


def test_the_admin_names_the_tenant_and_a_portal_session_cannot_mint_links_or_publish(api, tenant) -> None:
    # Given the admin asking for a link: without a tenant it is refused naming tenant_id
    assert api.post("/portal/sessions", ADMIN_TOKEN, {}).body["field"] == "tenant_id"
    # When it names the tenant, then the session is that tenant's
    session = open_link(api, ADMIN_TOKEN, tenant_id=tenant["id"])
    assert session["tenant_id"] == tenant["id"] and session["tenant_name"] == "acme"
    # Then the session can neither mint links nor publish events
    # A session is for managing webhooks: it can neither extend itself nor sign events in the producer's name
    assert api.post("/portal/sessions", session["token"], {}).status == 403
    assert api.post("/events", session["token"], {"type": "lead.created", "data": {}}).status == 403


def test_a_session_sees_only_its_own_tenant(api, tenant, other_tenant, receiver) -> None:
    # Given a hook of each tenant, and a session of the first
    mine = create_hook(api, tenant["token"], receiver.url)
    theirs = create_hook(api, other_tenant["token"], receiver.url)
    session = open_link(api, tenant["token"])["token"]
    # Then the session lists and reads only its own tenant's hooks
    assert [hook["id"] for hook in api.get("/hooks", session).body["items"]] == [mine["id"]]
    assert api.get(f"/hooks/{mine['id']}", session).status == 200
    # And the other tenant's ids are 404, even when it names that tenant explicitly
    for path in (f"/hooks/{theirs['id']}", f"/hooks/{theirs['id']}/executions"):
        assert api.get(path, session).status == 404
    assert api.get(f"/hooks?tenant_id={other_tenant['id']}", session).body["items"][0]["id"] == mine["id"]
    assert api.patch(f"/hooks/{theirs['id']}", session, {"status": "paused"}).status == 404
    # And admin routes stay closed to it
    assert api.get("/tenants", session).status == 403


def test_links_are_not_bearer_tokens_and_bad_codes_are_refused(api, tenant) -> None:
    # Given a portal link
    link = open_link(api, tenant["token"])
    # When its code is used as a bearer token, or a wrong code is exchanged
    assert api.get("/hooks", link["code"]).status == 401
    # Then each is 401, the exchange naming the code field
    for code in (link["code"][:-3] + "abc", "hwt_not-a-link", link["token"]):
        reply = api.post("/portal/sessions/exchange", None, {"code": code})
        assert reply.status == 401 and reply.body["field"] == "code"


def test_expired_links_and_sessions_stop_working(api, tenant, monkeypatch) -> None:
    # Given a one-minute link exchanged for a session
    session = open_link(api, tenant["token"], ttl_seconds=60)
    assert datetime.fromisoformat(session["expires_at"]) - utcnow() <= timedelta(seconds=60)
    # When the clock passes the link's expiry
    later = utcnow() + timedelta(seconds=61)
    monkeypatch.setattr("functions.api.handler.now", lambda: later)
    monkeypatch.setattr("functions.api.routes.portal.now", lambda: later)
    # Then the session and the link are both refused
    reply = api.get("/hooks", session["token"])
    assert reply.status == 401 and "expired" in reply.body["message"]
    assert api.post("/portal/sessions/exchange", None, {"code": session["code"]}).status == 401


def test_the_admin_revokes_every_link_and_session_of_one_tenant(api, tenant, other_tenant) -> None:
    # Given two sessions of the tenant and one of another
    first, second = open_link(api, tenant["token"]), open_link(api, tenant["token"])
    bystander = open_link(api, other_tenant["token"])
    # When the admin revokes the tenant's portal sessions
    assert api.delete(f"/tenants/{tenant['id']}/portal-sessions", tenant["token"]).status == 403
    reply = api.delete(f"/tenants/{tenant['id']}/portal-sessions", ADMIN_TOKEN)
    # Then its links and sessions all stop working, and the other tenant's do not
    assert reply.status == 200 and reply.body == {"revoked": 4}
    for session in (first, second):
        assert api.get("/hooks", session["token"]).status == 401
        assert api.post("/portal/sessions/exchange", None, {"code": session["code"]}).status == 401
    assert api.get("/hooks", bystander["token"]).status == 200
    assert api.delete("/tenants/ten_missing/portal-sessions", ADMIN_TOKEN).status == 404


def test_deleting_a_tenant_ends_its_portal_sessions(api, tenant) -> None:
    # Given an open portal session
    session = open_link(api, tenant["token"])
    # When its tenant is deleted
    assert api.delete(f"/tenants/{tenant['id']}", ADMIN_TOKEN).status == 204
    # Then the session token stops working
    assert api.get("/hooks", session["token"]).status == 401


def test_a_read_only_session_is_refused_on_every_write_route_of_the_api(api, tenant, receiver, pipeline) -> None:
    # Given a read-only session of a tenant with a hook, an event and an execution
    hook = create_hook(api, tenant["token"], receiver.url, on="lead.*")
    event = api.post("/events", tenant["token"], {"type": "lead.created", "data": {}}).body
    pipeline.run_until_quiet()
    execution = api.get(f"/hooks/{hook['id']}/executions", tenant["token"]).body["items"][0]
    read_only = open_link(api, tenant["token"], read_only=True)
    assert read_only["read_only"] is True
    values = {
        "hook_id": hook["id"],
        "execution_id": execution["id"],
        "event_id": event["id"],
        "tenant_id": tenant["id"],
        "token_id": "tok_x",
        "type_name": "lead.created",
    }
    # When it calls every route that is not a read (walked from the API's own route table)
    routes = [route for route in app._static_routes + app._dynamic_routes if route.method not in READ_METHODS]
    public = {"/portal/sessions/exchange"}
    checked = []
    for route in routes:
        path = PLACEHOLDER.sub(lambda match: values[match.group(1)], route.path)
        if path in public:
            continue
        reply = api.request(route.method, path, read_only["token"], {})
        # Then each one is 403 with the field that explains it, and nothing changed
        assert reply.status == 403, (route.method, path, reply.body)
        assert reply.body["field"] == "authorization"
        checked.append((route.method, route.path))
    assert len(checked) >= 15
    assert api.get(f"/hooks/{hook['id']}", read_only["token"]).body["status"] == "active"
    # And reads work
    assert api.get(f"/hooks/{hook['id']}/executions/{execution['id']}", read_only["token"]).status == 200


def test_the_portal_page_is_public_static_and_sent_with_a_strict_csp(api, monkeypatch) -> None:
    # When the portal page is fetched without a token
    page = api.invoke(_get("/portal"))
    # Then it is HTML with a strict CSP, its script is cacheable, and nothing outside its assets is served
    assert page["statusCode"] == 200
    assert page["headers"]["Content-Type"].startswith("text/html")
    policy = page["headers"]["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    script = api.invoke(_get(re.search(r'src="(/portal/assets/app\.js\?v=\w+)"', page["body"]).group(1)))
    assert script["statusCode"] == 200 and "immutable" in script["headers"]["Cache-Control"]
    assert api.invoke(_get("/portal/assets/secrets.txt"))["statusCode"] == 404
    assert api.invoke(_get("/portal/assets/..%2Fhandler.py"))["statusCode"] == 422  # the asset name pattern refuses it


def test_frame_ancestors_and_branding_come_from_the_deployment(api, tenant, monkeypatch) -> None:
    from functions.common.contract import Env
    from hookwire.local.runtime import _reset_function_caches

    # Given a deployment allowing one embedding origin, with its own product name and colour
    monkeypatch.setenv(Env.PORTAL_FRAME_ANCESTORS, "'self' https://app.example.com")
    monkeypatch.setenv(Env.PORTAL_PRODUCT_NAME, "Acme Cloud")
    monkeypatch.setenv(Env.PORTAL_ACCENT_COLOR, "#0f766e")
    _reset_function_caches()
    # When the portal page and branding are read
    page = api.invoke(_get("/portal"))
    # Then the CSP and branding are the deployment's
    assert page["headers"]["Content-Security-Policy"].endswith("frame-ancestors 'self' https://app.example.com")
    deployment = {"product_name": "Acme Cloud", "logo_url": None, "accent_color": "#0f766e"}
    assert api.get("/portal/branding").body == deployment
    # And a tenant's link may override part of it
    branding = {"product_name": "Acme for Globex", "logo_url": "https://cdn.example.com/logo.svg"}
    session = open_link(api, tenant["token"], branding=branding)
    assert session["branding"] == {**branding, "accent_color": "#0f766e"}
    bad = api.post("/portal/sessions", tenant["token"], {"branding": {"logo_url": "javascript:alert(1)"}})
    assert bad.status == 422 and bad.body["field"] == "branding.logo_url"


def _get(path: str) -> dict:
    from hookwire.local.lambda_emulation import http_api_event

    raw_path, _, query = path.partition("?")
    return http_api_event("GET", raw_path, query, {}, b"")
