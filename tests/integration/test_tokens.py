"""Scoped admin tokens and tenant tokens: issued once, listed without the secret, revoked by id, last use kept."""

from datetime import UTC, datetime, timedelta

from functions.api.logic import auth
from functions.api.logic.auth import TokenUsage
from functions.common.models import TokenRecord
from tests.conftest import ADMIN_TOKEN


def test_scoped_admin_token_does_what_its_scope_allows_and_gets_403_naming_the_scope_otherwise(api, tenant) -> None:
    # Given a token that may only publish
    created = api.post("/admin/tokens", ADMIN_TOKEN, {"name": "billing backend", "scopes": ["events:publish"]})
    assert created.status == 201
    assert set(created.body) >= {"id", "name", "scopes", "token"}
    assert created.body["scopes"] == ["events:publish"] and created.body["token"].startswith("hwa_")
    token = created.body["token"]
    # When it publishes for a tenant, then that works
    body = {"type": "invoice.paid", "data": {"n": 1}, "tenant_id": tenant["id"]}
    assert api.post("/events", token, body).status == 202
    # When it tries to delete the tenant or read, then 403 names the scope it lacks
    refused = api.delete(f"/tenants/{tenant['id']}", token)
    assert refused.status == 403 and "tenants:manage" in refused.body["message"]
    assert "read" in api.get("/tenants", token).body["message"]
    # And it can't mint tokens (root only)
    assert api.post("/admin/tokens", token, {"name": "x", "scopes": ["read"]}).status == 403


def test_admin_tokens_are_listed_without_the_token_and_revocable_by_id(api) -> None:
    token = api.post("/admin/tokens", ADMIN_TOKEN, {"name": "ops", "scopes": ["read", "read"]}).body
    assert token["scopes"] == ["read"]
    assert api.get("/tenants", token["token"]).status == 200
    # When the root token lists admin tokens
    listed = api.get("/admin/tokens", ADMIN_TOKEN).body["items"]
    # Then the root comes first with every scope, and no entry carries a token
    assert [item["id"] for item in listed] == ["root", token["id"]]
    assert sorted(listed[0]["scopes"]) == ["catalog:manage", "events:publish", "read", "tenants:manage"]
    assert all("token" not in item for item in listed)
    assert listed[0]["last_used_at"] is not None and listed[1]["last_used_at"] is not None
    # When it is revoked, then it stops working at once and can't be revoked twice
    assert api.delete(f"/admin/tokens/{token['id']}", ADMIN_TOKEN).status == 204
    assert api.get("/tenants", token["token"]).status == 401
    assert api.delete(f"/admin/tokens/{token['id']}", ADMIN_TOKEN).status == 404


def test_bad_admin_token_requests_name_the_field(api) -> None:
    assert api.post("/admin/tokens", ADMIN_TOKEN, {"name": "x", "scopes": []}).body["field"] == "scopes"
    assert api.post("/admin/tokens", ADMIN_TOKEN, {"name": "x", "scopes": ["root"]}).body["field"].startswith("scopes")
    assert api.post("/admin/tokens", ADMIN_TOKEN, {"scopes": ["read"]}).body["field"] == "name"


def test_the_first_tenant_token_is_listed_and_revocable_by_its_id(api, tenant) -> None:
    # Given a tenant whose creation returned its first token's id, and a second token
    assert tenant["token_id"].startswith("tok_")
    second = api.post(f"/tenants/{tenant['id']}/tokens", ADMIN_TOKEN)
    assert second.status == 201 and second.body["read_only"] is False
    assert api.get("/hooks", tenant["token"]).status == 200
    # When the admin lists the tenant's tokens
    listed = api.get(f"/tenants/{tenant['id']}/tokens", ADMIN_TOKEN)
    # Then both appear with created and last-used times, never the token
    assert listed.status == 200
    items = {item["id"]: item for item in listed.body["items"]}
    assert set(items) == {tenant["token_id"], second.body["id"]}
    assert items[tenant["token_id"]]["last_used_at"] is not None
    assert items[second.body["id"]]["last_used_at"] is None
    assert all(set(item) == {"id", "created_at", "last_used_at", "read_only"} for item in items.values())
    # When the first token is revoked by id, then it stops working and the second still works
    assert api.delete(f"/tenants/{tenant['id']}/tokens/{tenant['token_id']}", ADMIN_TOKEN).status == 204
    assert api.get("/hooks", tenant["token"]).status == 401
    assert api.get("/hooks", second.body["token"]).status == 200
    assert [item["id"] for item in api.get(f"/tenants/{tenant['id']}/tokens", ADMIN_TOKEN).body["items"]] == [
        second.body["id"]
    ]


def test_a_tenants_tokens_are_not_listed_for_another_tenant_or_a_missing_one(api, tenant, other_tenant) -> None:
    listed = api.get(f"/tenants/{other_tenant['id']}/tokens", ADMIN_TOKEN).body["items"]
    assert [item["id"] for item in listed] == [other_tenant["token_id"]]
    assert api.get("/tenants/ten_missing/tokens", ADMIN_TOKEN).status == 404
    revoke_other = api.delete(f"/tenants/{other_tenant['id']}/tokens/{tenant['token_id']}", ADMIN_TOKEN)
    assert revoke_other.status == 404
    assert api.get("/hooks", tenant["token"]).status == 200


def test_a_read_only_tenant_token_reads_but_every_write_is_403(api, tenant) -> None:
    read_only = api.post(f"/tenants/{tenant['id']}/tokens", ADMIN_TOKEN, {"read_only": True}).body
    assert read_only["read_only"] is True
    assert api.get("/hooks", read_only["token"]).status == 200
    assert api.get("/event-types", read_only["token"]).status == 200
    refused = api.post("/events", read_only["token"], {"type": "invoice.paid", "data": {}})
    assert refused.status == 403 and "read-only" in refused.body["message"]
    assert api.post("/hooks", read_only["token"], {"name": "x", "url": "http://127.0.0.1:1/", "on": "*"}).status == 403


class CountingTokens:
    """Records token-use writes instead of making them."""

    def __init__(self) -> None:
        self.writes: list[tuple[str, datetime]] = []

    def touch_token(self, token_hash: str, now: datetime) -> None:
        self.writes.append((token_hash, now))

    def touch_root(self, now: datetime) -> None:
        self.writes.append(("root", now))


def test_last_use_is_written_at_most_once_a_minute_per_token() -> None:
    # Given a token last used at t0 and a usage recorder
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    fake = CountingTokens()
    usage = TokenUsage(fake)  # type: ignore[arg-type]
    record = TokenRecord(id="tok_1", tenant_id="ten_1", token_hash="h", created_at=t0, last_used_at=t0)
    # When it is used again within the minute, then nothing is written
    usage.record(record, t0 + timedelta(seconds=59))
    assert fake.writes == []
    # When a minute has passed, then one write records it
    usage.record(record, t0 + auth.USAGE_INTERVAL)
    assert fake.writes == [("h", t0 + timedelta(minutes=1))]
    # And the root token (no stored record to read) writes once per minute per container
    for second in range(0, 120, 10):
        usage.record_root(t0 + timedelta(seconds=second))
    assert [when for who, when in fake.writes if who == "root"] == [t0, t0 + timedelta(minutes=1)]
