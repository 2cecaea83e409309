"""Per-tenant abuse limits from deployment configuration: publish rate and hook count, 429 with Retry-After."""

import pytest

from functions.common.contract import Env
from hookwire.local.runtime import _reset_function_caches
from tests.conftest import ADMIN_TOKEN


@pytest.fixture
def limited(aws_env, monkeypatch):
    """Given an API configured for one event per 50 s per tenant (burst 1) on one container, and 2 hooks per tenant.
    The slow rate keeps the bucket from refilling while the test runs, however loaded the machine is."""
    monkeypatch.setenv(Env.TENANT_PUBLISH_RATE, "0.02")
    monkeypatch.setenv(Env.MAX_HOOKS_PER_TENANT, "2")
    _reset_function_caches()
    return aws_env


def test_publishing_past_the_tenants_rate_is_429_with_retry_after_and_other_tenants_go_on(
    limited, api, tenant, other_tenant
) -> None:
    event = {"type": "invoice.paid", "data": {"n": 1}}
    assert api.post("/events", tenant["token"], event).status == 202
    refused = api.post("/events", tenant["token"], event)
    assert refused.status == 429 and refused.body["code"] == "too_many_requests"
    assert 1 <= int(refused.headers["Retry-After"]) <= 50
    assert api.post("/events", other_tenant["token"], event).status == 202


def test_creating_a_hook_past_the_tenants_limit_is_429_and_deleting_one_frees_a_place(limited, api, tenant) -> None:
    hook = {"name": "h", "url": "http://127.0.0.1:9/", "on": "*"}
    first = api.post("/hooks", tenant["token"], hook)
    assert first.status == 201 and api.post("/hooks", tenant["token"], hook).status == 201
    refused = api.post("/hooks", tenant["token"], hook)
    assert refused.status == 429 and "limit of 2 hooks" in refused.body["message"]
    assert refused.headers["Retry-After"] == "60"
    assert api.post("/hooks", ADMIN_TOKEN, hook | {"name": "as admin"}).status == 422  # admin names no tenant
    assert api.delete(f"/hooks/{first.body['id']}", tenant["token"]).status == 204
    assert api.post("/hooks", tenant["token"], hook).status == 201
