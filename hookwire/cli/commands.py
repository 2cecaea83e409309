"""The API commands: hooks, events, event types, tenants, tokens, login."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from functions.common.retry import parse_duration
from hookwire.cli import output
from hookwire.cli.config import save_profile
from hookwire.cli.errors import CliError, UsageError
from hookwire.client import HookwireClient

HOOK_COLUMNS = ("id", "name", "status", "on", "url", "payload_format")
EXECUTION_COLUMNS = ("id", "created_at", "event_type", "attempt", "status", "response_status", "error")


def _argument_text(text: str) -> str:
    """The argument itself, or the contents of the file named after `@`."""
    if not text.startswith("@"):
        return text
    path = Path(text[1:])
    try:
        return path.read_text()
    except FileNotFoundError as exc:
        raise UsageError(f"file not found: {path} (give JSON inline, or @ and an existing file)") from exc
    except OSError as exc:
        raise UsageError(f"can't read {path}: {exc.strerror}") from exc


def json_argument(text: str) -> Any:
    """A JSON value, or @path to read it from a file."""
    source = _argument_text(text)
    try:
        return json.loads(source)
    except json.JSONDecodeError as exc:
        raise UsageError(f"not valid JSON: {exc}") from exc


def raw_json_argument(text: str) -> str:
    """The exact JSON text (so `data` hooks get it byte for byte), validated."""
    source = _argument_text(text)
    json_argument(source)
    return source.strip()


def headers_argument(pairs: list[str] | None) -> dict[str, str] | None:
    if not pairs:
        return None
    headers = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"--header takes NAME=VALUE, not {pair!r}")
        headers[name.strip()] = value
    return headers


RATE_LIMIT_OFF = "off"


def rate_limit_argument(text: str) -> int | None:
    """`--rate-limit`: deliveries per second, or `off` (no limit). The API checks the range."""
    if text == RATE_LIMIT_OFF:
        return None
    try:
        return int(text)
    except ValueError as exc:
        raise UsageError(f"--rate-limit takes a whole number of deliveries per second or {RATE_LIMIT_OFF}") from exc


def grace_seconds(text: str) -> int:
    try:
        return int(parse_duration(text))
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def show(args: argparse.Namespace, value: Any, columns: tuple[str, ...] | None = None) -> None:
    if args.json:
        output.emit_json(value)
    elif columns is not None:
        output.table(value, columns)
    elif isinstance(value, dict):
        output.record(value)


# --- hooks ----------------------------------------------------------------------------------------
def destination_argument(args: argparse.Namespace) -> dict[str, Any] | None:
    """--queue / --event-bus with --role-arn and --external-id as the API's `destination` (it checks them)."""
    if args.queue is None and args.event_bus is None:
        if args.role_arn or args.external_id:
            raise UsageError("--role-arn and --external-id go with --queue or --event-bus")
        return None
    target = (
        {"type": "sqs", "queue_url": args.queue}
        if args.queue
        else {"type": "eventbridge", "event_bus_arn": args.event_bus}
    )
    return {**target, "role_arn": args.role_arn, "external_id": args.external_id}


def hooks_register(client: HookwireClient, args: argparse.Namespace) -> None:
    body: dict[str, Any] = {"name": args.name, "on": args.on}
    if args.url:
        body["url"] = args.url
    if destination := destination_argument(args):
        body["destination"] = destination
    if args.paused:
        body["status"] = "paused"
    if args.format:
        body["payload_format"] = args.format
    if args.description:
        body["description"] = args.description
    if headers := headers_argument(args.header):
        body["headers"] = headers
    if args.filter:
        body["filter"] = json_argument(args.filter)
    if args.rate_limit is not None:
        body["rate_limit_per_second"] = rate_limit_argument(args.rate_limit)
    if args.ordering:
        body["ordering"] = args.ordering
    if args.signature_scheme:
        body["signature_scheme"] = args.signature_scheme
    hook = client.call("POST", "/hooks", body)
    show(args, hook)
    _warn_about_secret(args, hook, "save the secret now: it is shown only once (rotate it if it is lost)")


def _warn_about_secret(args: argparse.Namespace, hook: dict[str, Any], hmac_warning: str) -> None:
    if args.json:
        return
    if hook.get("public_key"):
        output.warn("receivers verify v1a signatures with public_key (hookwire hooks get shows it again)")
    else:
        output.warn(hmac_warning)


def hooks_list(client: HookwireClient, args: argparse.Namespace) -> None:
    items, cursor = [], None
    while True:
        page = client.call("GET", "/hooks", query={"limit": 100, "cursor": cursor})
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    show(args, items, HOOK_COLUMNS)


def hooks_get(client: HookwireClient, args: argparse.Namespace) -> None:
    show(args, client.call("GET", f"/hooks/{args.hook_id}"))


def _patch(client: HookwireClient, args: argparse.Namespace, body: dict[str, Any]) -> None:
    show(args, client.call("PATCH", f"/hooks/{args.hook_id}", body))


def hooks_update(client: HookwireClient, args: argparse.Namespace) -> None:
    body = {
        key: value
        for key, value in {
            "name": args.name,
            "url": args.url,
            "on": args.on,
            "payload_format": args.format,
            "ordering": args.ordering,
            "description": args.description,
            "headers": headers_argument(args.header),
            "destination": destination_argument(args),
        }.items()
        if value is not None
    }
    if args.filter or args.no_filter:
        body["filter"] = json_argument(args.filter) if args.filter else None
    if args.rate_limit is not None:
        body["rate_limit_per_second"] = rate_limit_argument(args.rate_limit)
    if not body:
        raise UsageError(
            "nothing to update: give at least one of --name --url --on --format --description --header --filter "
            "--no-filter --rate-limit --ordering --queue --event-bus"
        )
    _patch(client, args, body)


def hooks_pause(client: HookwireClient, args: argparse.Namespace) -> None:
    _patch(client, args, {"status": "paused"})


def hooks_resume(client: HookwireClient, args: argparse.Namespace) -> None:
    _patch(client, args, {"status": "active"})


def hooks_delete(client: HookwireClient, args: argparse.Namespace) -> None:
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError("refusing to delete without confirmation: add --yes")
        if input(f"Delete hook {args.hook_id}? [y/N] ").strip().lower() not in ("y", "yes"):
            output.error("not deleted")
            raise SystemExit(1)
    client.call("DELETE", f"/hooks/{args.hook_id}")
    show(args, {"deleted": args.hook_id})


def hooks_rotate(client: HookwireClient, args: argparse.Namespace) -> None:
    body: dict[str, Any] = {"grace_seconds": grace_seconds(args.grace)}
    if args.signature_scheme:
        body["signature_scheme"] = args.signature_scheme
    hook = client.call("POST", f"/hooks/{args.hook_id}/rotate", body)
    show(args, hook)
    _warn_about_secret(args, hook, "save the new secret now: it is shown only once")


def hooks_test(client: HookwireClient, args: argparse.Namespace) -> None:
    body: dict[str, Any] = {}
    if args.type:
        body["type"] = args.type
    if args.data:
        body["data"] = json_argument(args.data)
    execution = client.call("POST", f"/hooks/{args.hook_id}/test", body)
    if args.json:
        output.emit_json(execution)
    else:
        fields = ("id", "status", "response_status", "duration_ms", "error", "response_body")
        output.record({key: execution.get(key) for key in fields})
    if execution["status"] != "succeeded":
        reason = execution.get("error") or f"HTTP {execution.get('response_status')}"
        raise CliError(f"the test delivery failed: {reason} (fix the receiver, then run `hookwire hooks test` again)")


def hooks_executions(client: HookwireClient, args: argparse.Namespace) -> None:
    query = {"limit": args.limit, "status": args.status, "event_type": args.event_type}
    page = client.call("GET", f"/hooks/{args.hook_id}/executions", query=query)
    show(args, page["items"], EXECUTION_COLUMNS)
    if args.follow:
        _follow(client, args, query, {e["id"] for e in page["items"]})


def _follow(client: HookwireClient, args: argparse.Namespace, query: dict[str, Any], seen: set[str]) -> None:
    """New executions as they happen, until Ctrl-C."""
    try:
        while True:
            time.sleep(args.interval)
            items = client.call("GET", f"/hooks/{args.hook_id}/executions", query=query)["items"]
            fresh = [e for e in reversed(items) if e["id"] not in seen]
            seen |= {e["id"] for e in fresh}
            for execution in fresh:
                if args.json:
                    sys.stdout.write(json.dumps(execution) + "\n")
                else:
                    output.table([execution], EXECUTION_COLUMNS)
            sys.stdout.flush()
    except KeyboardInterrupt:
        sys.stderr.write("stopped\n")


def hooks_execution(client: HookwireClient, args: argparse.Namespace) -> None:
    show(args, client.call("GET", f"/hooks/{args.hook_id}/executions/{args.execution_id}"))


def _hook_of_execution(client: HookwireClient, execution_id: str) -> str:
    """Which of the tenant's hooks recorded this execution (so `retry` needs only the execution id)."""
    page: dict[str, Any] = {"next_cursor": None}
    while True:
        page = client.call("GET", "/hooks", query={"limit": 100, "cursor": page["next_cursor"]})
        for hook in page["items"]:
            if client.request("GET", f"/hooks/{hook['id']}/executions/{execution_id}").ok:
                return hook["id"]
        if not page["next_cursor"]:
            raise CliError(f"no hook of this tenant has execution {execution_id} (check the id, or pass --hook)")


def hooks_retry(client: HookwireClient, args: argparse.Namespace) -> None:
    hook_id = args.hook or _hook_of_execution(client, args.execution_id)
    show(args, client.call("POST", f"/hooks/{hook_id}/executions/{args.execution_id}/retry"))


def time_argument(text: str, now: datetime | None = None) -> str:
    """RFC 3339 as is, or a duration (`24h`, `30m`, `7d`) meaning that long ago."""
    try:
        ago = parse_duration(text)
    except ValueError:
        return text
    return ((now or datetime.now(UTC)) - timedelta(seconds=ago)).isoformat()


def _range_body(args: argparse.Namespace) -> dict[str, Any]:
    body = {"since": time_argument(args.since)}
    if args.until:
        body["until"] = time_argument(args.until)
    return body


def _recovery_started(client: HookwireClient, args: argparse.Namespace, action: str, body: dict[str, Any]) -> None:
    recovery = client.call("POST", f"/hooks/{args.hook_id}/{action}", body)
    if args.wait:
        path = f"/hooks/{args.hook_id}/recoveries/{recovery['id']}"
        while recovery["status"] == "running":
            time.sleep(args.interval)
            recovery = client.call("GET", path)
    show(args, recovery)
    if not args.json and recovery["status"] == "running":
        output.warn(f"see its progress with: hookwire hooks recovery {args.hook_id} {recovery['id']}")


def hooks_recover(client: HookwireClient, args: argparse.Namespace) -> None:
    _recovery_started(client, args, "recover", _range_body(args))


def hooks_replay(client: HookwireClient, args: argparse.Namespace) -> None:
    _recovery_started(client, args, "replay", {"event_type": args.type, **_range_body(args)})


def hooks_recovery(client: HookwireClient, args: argparse.Namespace) -> None:
    show(args, client.call("GET", f"/hooks/{args.hook_id}/recoveries/{args.recovery_id}"))


# --- events and catalogue -------------------------------------------------------------------------
def _publish(client: HookwireClient, args: argparse.Namespace, data: str) -> None:
    """POST /events with `data` spliced in as text, so it arrives byte for byte."""
    if not data.startswith("{"):
        raise UsageError("--data must be a JSON object")
    fields = '{"type":' + json.dumps(args.type)
    if args.id:
        fields += ',"id":' + json.dumps(args.id)
    if args.tenant:
        fields += ',"tenant_id":' + json.dumps(args.tenant)
    show(args, client.call("POST", "/events", raw=(fields + ',"data":' + data + "}").encode()))


def events_publish(client: HookwireClient, args: argparse.Namespace) -> None:
    _publish(client, args, raw_json_argument(args.data))


def trigger(client: HookwireClient, args: argparse.Namespace) -> None:
    """Publishes a catalogue type with its example payload (`--data` replaces the example)."""
    if args.data:
        _publish(client, args, raw_json_argument(args.data))
        return
    catalogue = {item["type"]: item for item in client.call("GET", "/event-types")["items"]}
    if args.type not in catalogue:
        raise CliError(f"no event type {args.type!r} in the catalogue (see `hookwire event-types list`)")
    example = catalogue[args.type].get("example")
    if example is None:
        raise UsageError(f"{args.type} has no example payload: give one with --data JSON or --data @file")
    _publish(client, args, json.dumps(example))


def events_get(client: HookwireClient, args: argparse.Namespace) -> None:
    event = client.call("GET", f"/events/{args.event_id}")
    if args.json:
        output.emit_json(event)
        return
    summary = {key: event[key] for key in ("id", "type", "created_at", "fanout")}
    if event.get("fanout_error"):
        summary["fanout_error"] = event["fanout_error"]  # nothing was sent: replay the event
    output.record(summary)
    sys.stdout.write("\n")
    output.table(event["deliveries"], ("hook_id", "state", "attempts", "last_status", "last_error", "next_attempt_at"))


def events_replay(client: HookwireClient, args: argparse.Namespace) -> None:
    body = {"hook_ids": args.hook} if args.hook else {}
    show(args, client.call("POST", f"/events/{args.event_id}/replay", body))


def event_types_list(client: HookwireClient, args: argparse.Namespace) -> None:
    show(args, client.call("GET", "/event-types")["items"], ("type", "category", "description"))


def event_types_put(client: HookwireClient, args: argparse.Namespace) -> None:
    body: dict[str, Any] = {"description": args.description or ""}
    if args.category:
        body["category"] = args.category
    if args.schema:
        body["schema"] = json_argument(args.schema)
    if args.example:
        body["example"] = json_argument(args.example)
    if args.format:
        body["payload_format"] = args.format
    show(args, client.call("PUT", f"/event-types/{args.type}", body))


def event_types_delete(client: HookwireClient, args: argparse.Namespace) -> None:
    client.call("DELETE", f"/event-types/{args.type}")
    show(args, {"deleted": args.type})


# --- admin ----------------------------------------------------------------------------------------
def tenants_create(client: HookwireClient, args: argparse.Namespace) -> None:
    body = {"name": args.name, **({"payload_format": args.format} if args.format else {})}
    tenant = client.call("POST", "/tenants", body)
    show(args, tenant)
    if not args.json:
        output.warn("save the tenant token now: it is shown only once")


def tenants_update(client: HookwireClient, args: argparse.Namespace) -> None:
    body = {key: value for key, value in {"name": args.name, "payload_format": args.format}.items() if value}
    if not body:
        raise UsageError("nothing to update: give --name or --format")
    show(args, client.call("PATCH", f"/tenants/{args.tenant_id}", body))


def tenants_list(client: HookwireClient, args: argparse.Namespace) -> None:
    show(args, client.call("GET", "/tenants", query={"limit": 100})["items"], ("id", "name", "created_at"))


def tenants_delete(client: HookwireClient, args: argparse.Namespace) -> None:
    if not args.yes:
        raise UsageError("deleting a tenant removes its hooks and tokens: add --yes")
    client.call("DELETE", f"/tenants/{args.tenant_id}")
    show(args, {"deleted": args.tenant_id})


def _shown_once(args: argparse.Namespace, token: dict[str, Any]) -> None:
    show(args, token)
    if not args.json:
        output.warn("save the token now: it is shown only once")


def tokens_create(client: HookwireClient, args: argparse.Namespace) -> None:
    _shown_once(args, client.call("POST", f"/tenants/{args.tenant_id}/tokens", {"read_only": args.read_only}))


def tokens_list(client: HookwireClient, args: argparse.Namespace) -> None:
    tokens = client.call("GET", f"/tenants/{args.tenant_id}/tokens")["items"]
    show(args, tokens, ("id", "created_at", "last_used_at", "read_only"))


def tokens_revoke(client: HookwireClient, args: argparse.Namespace) -> None:
    client.call("DELETE", f"/tenants/{args.tenant_id}/tokens/{args.token_id}")
    show(args, {"revoked": args.token_id})


def admin_tokens_create(client: HookwireClient, args: argparse.Namespace) -> None:
    _shown_once(args, client.call("POST", "/admin/tokens", {"name": args.name, "scopes": args.scope}))


def admin_tokens_list(client: HookwireClient, args: argparse.Namespace) -> None:
    tokens = client.call("GET", "/admin/tokens")["items"]
    show(args, tokens, ("id", "name", "scopes", "created_at", "last_used_at"))


def admin_tokens_revoke(client: HookwireClient, args: argparse.Namespace) -> None:
    client.call("DELETE", f"/admin/tokens/{args.token_id}")
    show(args, {"revoked": args.token_id})


def egress_ips(client: HookwireClient, args: argparse.Namespace) -> None:
    answer = client.call("GET", "/egress-ips")
    if args.json:
        output.emit_json(answer)
    elif answer["static"]:
        sys.stdout.write("\n".join(answer["ips"]) + "\n")
    else:
        output.warn("no static egress IPs: deliveries come from AWS Lambda's shared addresses (docs/deploy.md)")


def login(client: HookwireClient, args: argparse.Namespace) -> None:
    """Checks the token against the API, then stores it in the profile file (mode 0600)."""
    client.call("GET", "/event-types")
    path = save_profile(args.profile or "default", client.base_url, client.token or "")
    show(args, {"profile": args.profile or "default", "url": client.base_url, "saved_to": str(path)})
