"""The data-access layer: every boto3 call, one repository per aggregate.

The subscriptions table (single-table design; every read is a GetItem, a BatchGetItem or a Query on one
partition, nothing scans) holds, each with its keys built in its own module:

| aggregate             | module            | pk                                | sk                       |
|-----------------------|-------------------|-----------------------------------|--------------------------|
| tenant                | `tenants.py`      | TENANTS                           | TENANT#{tenant}          |
| token (+ root use)    | `tokens.py`       | TOKEN#{sha256}, TENANT#{tenant}, ADMIN_TOKENS | TOKEN, TOKEN#{id}, ROOT |
| event type            | `event_types.py`  | EVENT_TYPES                       | TYPE#{type}              |
| hook (+ routes)       | `hooks.py`        | TENANT#{tenant}, ROUTE#{tenant}#{type} | HOOK#{hook_id}, {hook_id} |
| event                 | `events.py`       | EVENT#{tenant}#{event_id}         | EVENT                    |
| portal link / session | `portal_sessions.py` | PORTAL#{sha256}, TENANT#{tenant} | PORTAL, PORTAL#{id}     |

The executions table (`executions.py`): pk HOOK#{hook_id}, sk the execution id.

No per-event write lands on a per-tenant key: each event is its own partition. Per-tenant keys take only the
writes of hook and token changes. Deleting a tenant with everything it owns is the one write spanning
aggregates: `functions/api/logic/tenants.py` (`delete_tenant`).
"""
