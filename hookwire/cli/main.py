"""`hookwire`: manage hooks, publish events, listen and verify locally. `hookwire --help` lists commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from functions.common.models import Scope
from hookwire.cli import commands as c
from hookwire.cli import output
from hookwire.cli.config import resolve
from hookwire.cli.listen import listen, verify
from hookwire.client import ApiError, HookwireClient

Command = Callable[[Any, argparse.Namespace], None]
OFFLINE = {"verify", "local"}  # commands that never call the API


def _command(parser: argparse.ArgumentParser, handler: Command) -> argparse.ArgumentParser:
    parser.set_defaults(handler=handler)
    return parser


def _hooks(sub: Any, name: str, aliases: list[str]) -> None:
    hooks = sub.add_parser(name, aliases=aliases, help="manage webhooks").add_subparsers(dest="action", required=True)
    register = _command(hooks.add_parser("register", help="register a hook (prints its secret once)"), c.hooks_register)
    register.add_argument("--name", required=True)
    register.add_argument("--url", required=True)
    register.add_argument("--on", required=True, action="append", help="event type or glob; repeatable")
    register.add_argument("--header", action="append", metavar="NAME=VALUE", help="custom header; repeatable")
    register.add_argument("--paused", action="store_true")
    register.add_argument("--format", choices=("envelope", "data"))
    register.add_argument("--description")
    _command(hooks.add_parser("list", help="list hooks"), c.hooks_list)
    for action, handler, text in (
        ("get", c.hooks_get, "show a hook"),
        ("pause", c.hooks_pause, "pause a hook"),
        ("resume", c.hooks_resume, "resume (or re-enable) a hook"),
    ):
        _command(hooks.add_parser(action, help=text), handler).add_argument("hook_id")
    update = _command(hooks.add_parser("update", help="change a hook"), c.hooks_update)
    update.add_argument("hook_id")
    update.add_argument("--name")
    update.add_argument("--url")
    update.add_argument("--on", action="append")
    update.add_argument("--header", action="append", metavar="NAME=VALUE", help="replaces all custom headers")
    update.add_argument("--format", choices=("envelope", "data"))
    update.add_argument("--description")
    delete = _command(hooks.add_parser("delete", help="delete a hook (asks unless --yes)"), c.hooks_delete)
    delete.add_argument("hook_id")
    delete.add_argument("--yes", "-y", action="store_true")
    rotate = _command(hooks.add_parser("rotate", help="rotate the signing secret"), c.hooks_rotate)
    rotate.add_argument("hook_id")
    rotate.add_argument("--grace", default="0s", help="how long the old secret keeps signing, e.g. 24h")
    test = _command(hooks.add_parser("test", help="send a signed test delivery now"), c.hooks_test)
    test.add_argument("hook_id")
    test.add_argument("--type")
    test.add_argument("--data", help="JSON object, or @file")
    executions = _command(hooks.add_parser("executions", help="execution history"), c.hooks_executions)
    executions.add_argument("hook_id")
    executions.add_argument("--status", choices=("succeeded", "failed", "retrying"))
    executions.add_argument("--event-type")
    executions.add_argument("--limit", type=int, default=20)
    executions.add_argument("--follow", "-f", action="store_true", help="keep printing new executions")
    executions.add_argument("--interval", type=float, default=2.0, help=argparse.SUPPRESS)
    execution = _command(hooks.add_parser("execution", help="one execution in detail"), c.hooks_execution)
    execution.add_argument("hook_id")
    execution.add_argument("execution_id")
    retry = _command(hooks.add_parser("retry", help="deliver an execution's event again now"), c.hooks_retry)
    retry.add_argument("execution_id")
    retry.add_argument("--hook", help="the hook (found automatically when left out)")


def _events(sub: Any) -> None:
    events = sub.add_parser("events", help="publish and inspect events").add_subparsers(dest="action", required=True)
    publish = _command(events.add_parser("publish", help="publish an event"), c.events_publish)
    publish.add_argument("type")
    publish.add_argument("--data", required=True, help="JSON object, or @file (sent byte for byte)")
    publish.add_argument("--id", help="idempotency id: the same id again delivers nothing new")
    publish.add_argument("--tenant", help="admin token only: the tenant to publish for")
    _command(events.add_parser("get", help="an event with each hook's delivery state"), c.events_get).add_argument(
        "event_id"
    )
    replay = _command(events.add_parser("replay", help="fan an event out again"), c.events_replay)
    replay.add_argument("event_id")
    replay.add_argument("--hook", action="append", help="only this hook; repeatable")
    types = sub.add_parser("event-types", help="the event-type catalogue").add_subparsers(dest="action", required=True)
    _command(types.add_parser("list"), c.event_types_list)
    put = _command(types.add_parser("put", help="add or replace a type (admin)"), c.event_types_put)
    put.add_argument("type")
    put.add_argument("--description")
    put.add_argument("--category")
    put.add_argument("--schema", help="JSON Schema, or @file")
    _command(types.add_parser("delete", help="remove a type (admin)"), c.event_types_delete).add_argument("type")


def _admin(sub: Any) -> None:
    tenants = sub.add_parser("tenants", help="tenants (admin)").add_subparsers(dest="action", required=True)
    _command(tenants.add_parser("create"), c.tenants_create).add_argument("name")
    _command(tenants.add_parser("list"), c.tenants_list)
    delete = _command(tenants.add_parser("delete"), c.tenants_delete)
    delete.add_argument("tenant_id")
    delete.add_argument("--yes", "-y", action="store_true")
    _tenant_tokens(sub)
    _admin_tokens(sub)


def _tenant_tokens(sub: Any) -> None:
    tokens = sub.add_parser("tokens", help="tenant tokens (admin)").add_subparsers(dest="action", required=True)
    create = _command(tokens.add_parser("create", help="issue a token (printed once)"), c.tokens_create)
    create.add_argument("tenant_id")
    create.add_argument("--read-only", action="store_true", help="the token may only read (GET)")
    listing = _command(tokens.add_parser("list", help="ids, created, last used; never the tokens"), c.tokens_list)
    listing.add_argument("tenant_id")
    revoke = _command(tokens.add_parser("revoke", help="revoke a token by id"), c.tokens_revoke)
    revoke.add_argument("tenant_id")
    revoke.add_argument("token_id")


def _admin_tokens(sub: Any) -> None:
    tokens = sub.add_parser("admin-tokens", help="scoped admin tokens (root token)").add_subparsers(
        dest="action", required=True
    )
    create = _command(tokens.add_parser("create", help="issue a scoped token (printed once)"), c.admin_tokens_create)
    create.add_argument("name")
    create.add_argument(
        "--scope", action="append", required=True, choices=[str(scope) for scope in Scope], help="repeatable"
    )
    _command(tokens.add_parser("list", help="ids, names, scopes, last used; never the tokens"), c.admin_tokens_list)
    _command(tokens.add_parser("revoke", help="revoke a scoped token by id"), c.admin_tokens_revoke).add_argument(
        "token_id"
    )


def _local_tools(sub: Any) -> None:
    _command(
        sub.add_parser("login", help="check --url/--token and store them as profile --profile (mode 0600)"), c.login
    )
    listen_parser = _command(sub.add_parser("listen", help="a local receiver that explains deliveries"), listen)
    listen_parser.add_argument("--port", type=int, default=9000)
    listen_parser.add_argument("--secret", help="whsec_... to verify signatures")
    listen_parser.add_argument("--status", type=int, default=200, help="status to answer (exercise retries)")
    listen_parser.add_argument("--forward-to", help="forward each delivery to this URL and answer with its status")
    listen_parser.add_argument("--register", action="store_true", help="create a hook pointing here; deleted on exit")
    listen_parser.add_argument("--on", action="append", help="with --register: event types or globs")
    verify_parser = _command(sub.add_parser("verify", help="verify a captured delivery (body on stdin)"), verify)
    verify_parser.add_argument("--secret", required=True)
    verify_parser.add_argument("--header", action="append", metavar="'NAME: VALUE'", help="repeatable")
    verify_parser.add_argument("--tolerance", type=int, default=300, help="seconds a timestamp may be off")
    verify_parser.add_argument("--now", type=float, help=argparse.SUPPRESS)
    _command(sub.add_parser("local", help="run the local runtime (what `make run` runs)"), _local)


def _local(_client: Any, _args: argparse.Namespace) -> None:
    from hookwire.local.runtime import main as run_local

    run_local()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hookwire", description=__doc__)
    # dest differs from `--url` of `hooks register` (the hook's URL), which would overwrite it
    parser.add_argument("--url", dest="api_url", help="API base URL (else HOOKWIRE_URL, else the profile)")
    parser.add_argument("--token", dest="api_token", help="bearer token (else HOOKWIRE_TOKEN, else the profile)")
    parser.add_argument("--profile", help="profile written by `hookwire login` (default: default)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    sub = parser.add_subparsers(dest="command", required=True)
    _hooks(sub, "webhooks", ["hooks"])
    _events(sub)
    _admin(sub)
    _local_tools(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    client = None
    if args.command not in OFFLINE:
        # login stores what it is given; it never reads the profile it is about to write
        connection = resolve(args.api_url, args.api_token, args.profile, use_profile=args.command != "login")
        if connection.url and connection.token:
            client = HookwireClient(connection.url, connection.token)
        elif args.command != "listen" or args.register:
            parser.error(
                "no API to talk to: pass --url and --token, set HOOKWIRE_URL/HOOKWIRE_TOKEN, or `hookwire login`"
            )
    try:
        args.handler(client, args)
    except c.UsageError as exc:
        parser.error(str(exc))
    except ApiError as exc:
        output.error(str(exc))
        return 1
    except OSError as exc:
        output.error(f"can't reach the API: {exc}")
        return 1
    return 0


def entry() -> None:
    sys.exit(main())
