"""A missing record reads the same for every aggregate: its own NotFound class, 404, `field` naming the id
the way paths and bodies name it, and the message "<record> <id> not found"."""

from __future__ import annotations

import pytest

from functions.common.errors import (
    EventNotFound,
    EventTypeNotFound,
    ExecutionNotFound,
    HookNotFound,
    NotFound,
    TenantNotFound,
    TokenNotFound,
)
from tests.conftest import ADMIN_TOKEN, create_hook

# (error class, method, path ({tenant} and {hook} are filled in), who asks, field, message)
MISSING = [
    (TenantNotFound, "GET", "/tenants/ten_gone", "admin", "tenant_id", "tenant ten_gone not found"),
    (TenantNotFound, "DELETE", "/tenants/ten_gone", "admin", "tenant_id", "tenant ten_gone not found"),
    (TokenNotFound, "DELETE", "/tenants/{tenant}/tokens/tok_gone", "admin", "token_id", "token tok_gone not found"),
    (TokenNotFound, "DELETE", "/admin/tokens/adm_gone", "admin", "token_id", "token adm_gone not found"),
    (EventTypeNotFound, "DELETE", "/event-types/gone.type", "admin", "event_type", "event type gone.type not found"),
    (HookNotFound, "GET", "/hooks/hook_gone", "tenant", "hook_id", "hook hook_gone not found"),
    (HookNotFound, "PATCH", "/hooks/hook_gone", "tenant", "hook_id", "hook hook_gone not found"),
    (HookNotFound, "DELETE", "/hooks/hook_gone", "tenant", "hook_id", "hook hook_gone not found"),
    (EventNotFound, "GET", "/events/evt_gone", "tenant", "event_id", "event evt_gone not found"),
    (EventNotFound, "POST", "/events/evt_gone/replay", "tenant", "event_id", "event evt_gone not found"),
    (
        ExecutionNotFound,
        "GET",
        "/hooks/{hook}/executions/exe_gone",
        "tenant",
        "execution_id",
        "execution exe_gone not found",
    ),
]


@pytest.mark.parametrize(("error", "method", "path", "who", "field", "message"), MISSING)
def test_a_missing_record_is_a_404_naming_its_id_field(api, tenant, receiver, error, method, path, who, field, message):
    # Given a tenant with one hook, and a record of the row's kind that does not exist
    hook = create_hook(api, tenant["token"], receiver.url)
    token = ADMIN_TOKEN if who == "admin" else tenant["token"]
    url = path.format(tenant=tenant["id"], hook=hook["id"])
    record_id = message.split()[-3]
    # When it is asked for
    reply = api.request(method, url, token=token, body={} if method in ("PATCH", "POST") else None)
    # Then the row's error class says the same as the answer: 404, the id's field, and the message
    raised = error(record_id)
    assert isinstance(raised, NotFound)
    assert (raised.status, raised.field, raised.message) == (404, field, message)
    assert reply.status == 404
    assert reply.body == {"code": "not_found", "field": field, "message": message}
