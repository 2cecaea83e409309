"""`hookwire`: manage hooks, publish events, listen and verify locally. `hookwire --help` lists commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import Any, NoReturn

from functions.common.models import Scope
from functions.common.signing import SignatureScheme
from hookwire.cli import commands as c
from hookwire.cli import output
from hookwire.cli.config import resolve
from hookwire.cli.errors import CliError, ExitCode
from hookwire.cli.listen import listen, verify
from hookwire.client import ApiError, ApiUnreachable, HookwireClient

Command = Callable[[Any, argparse.Namespace], None]
OFFLINE = {"verify", "local"}  # commands that never call the API
FILTER_HELP = 'payload filter (JSON, or @file), e.g. \'{"data.status": {"$in": ["shipped"]}}\''
ORDERINGS = ("none", "fifo")
SCHEMES = tuple(scheme.value for scheme in SignatureScheme)


def _command(parser: argparse.ArgumentParser, handler: Command) -> argparse.ArgumentParser:
    parser.set_defaults(handler=handler)
    return parser


def _destination_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("destination in your AWS account (instead of --url)")
    target = group.add_mutually_exclusive_group()
    target.add_argument("--queue", metavar="URL_OR_ARN", help="deliver into this SQS queue")
    target.add_argument("--event-bus", metavar="ARN", help="put deliveries on this EventBridge bus")
    group.add_argument("--role-arn", help="the role (named hookwire-*) Hookwire assumes to send there")
    group.add_argument("--external-id", help="the external id that role's trust policy requires")


def _hooks(sub: Any, name: str, aliases: list[str]) -> None:
    hooks = sub.add_parser(name, aliases=aliases, help="manage webhooks").add_subparsers(dest="action", required=True)
    register = _command(hooks.add_parser("register", help="register a hook (prints its secret once)"), c.hooks_register)
    register.add_argument("--name", required=True)
    register.add_argument("--url", help="where deliveries are POSTed (not with --queue or --event-bus)")
    register.add_argument("--on", required=True, action="append", help="event type or glob; repeatable")
    register.add_argument("--header", action="append", metavar="NAME=VALUE", help="custom header; repeatable")
    register.add_argument("--paused", action="store_true")
    register.add_argument("--format", choices=("envelope", "data"))
    register.add_argument("--description")
    register.add_argument("--filter", help=FILTER_HELP)
    register.add_argument("--rate-limit", metavar="PER_SECOND", help="at most this many deliveries per second")
    register.add_argument("--ordering", choices=ORDERINGS, help="fifo: in publish order, one at a time")
    register.add_argument("--signature-scheme", choices=SCHEMES, help="default hmac-sha256; ed25519 signs v1a")
    _destination_options(register)
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
    hook_filter = update.add_mutually_exclusive_group()
    hook_filter.add_argument("--filter", help=FILTER_HELP)
    hook_filter.add_argument("--no-filter", action="store_true", help="remove the payload filter")
    update.add_argument("--rate-limit", metavar="PER_SECOND|off", help="deliveries per second, or off")
    update.add_argument("--ordering", choices=ORDERINGS)
    _destination_options(update)
    delete = _command(hooks.add_parser("delete", help="delete a hook (asks unless --yes)"), c.hooks_delete)
    delete.add_argument("hook_id")
    delete.add_argument("--yes", "-y", action="store_true")
    rotate = _command(hooks.add_parser("rotate", help="rotate the signing secret"), c.hooks_rotate)
    rotate.add_argument("hook_id")
    rotate.add_argument("--grace", default="0s", help="how long the old secret keeps signing, e.g. 24h")
    rotate.add_argument("--signature-scheme", choices=SCHEMES, help="switch the hook's scheme (default: keep it)")
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
    _recoveries(hooks)


def _recoveries(hooks: Any) -> None:
    since_help = "RFC 3339 time, or how long ago (24h, 7d)"
    recover = _command(
        hooks.add_parser("recover", help="re-send every failed delivery to a hook since a time"), c.hooks_recover
    )
    replay = _command(
        hooks.add_parser("replay", help="re-send every event of a type in a time range to a hook"), c.hooks_replay
    )
    replay.add_argument("--type", required=True, help="event type or glob (order.*)")
    for parser in (recover, replay):
        parser.add_argument("hook_id")
        parser.add_argument("--since", required=True, help=since_help)
        parser.add_argument("--until", help=f"{since_help}; default now")
        parser.add_argument("--wait", action="store_true", help="wait until it is done, then print it")
        parser.add_argument("--interval", type=float, default=1.0, help=argparse.SUPPRESS)
    recovery = _command(hooks.add_parser("recovery", help="progress of a recover or replay"), c.hooks_recovery)
    recovery.add_argument("hook_id")
    recovery.add_argument("recovery_id")


def _events(sub: Any) -> None:
    events = sub.add_parser("events", help="publish and inspect events").add_subparsers(dest="action", required=True)
    publish = _command(events.add_parser("publish", help="publish an event"), c.events_publish)
    publish.add_argument("type")
    publish.add_argument("--data", required=True, help="JSON object, or @file (sent byte for byte)")
    publish.add_argument("--id", help="idempotency id: the same id again delivers nothing new")
    publish.add_argument("--tenant", help="admin token only: the tenant to publish for")
    trigger = _command(sub.add_parser("trigger", help="publish a catalogue type with its example payload"), c.trigger)
    trigger.add_argument("type")
    trigger.add_argument("--data", help="JSON object, or @file, instead of the example")
    trigger.add_argument("--id", help="idempotency id")
    trigger.add_argument("--tenant", help="admin token only: the tenant to publish for")
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
    put.add_argument("--example", help="a sample data object (JSON, or @file), used by trigger and hooks test")
    put.add_argument("--format", choices=("envelope", "data"), help="default payload_format of hooks on it")
    _command(types.add_parser("delete", help="remove a type (admin)"), c.event_types_delete).add_argument("type")


def _admin(sub: Any) -> None:
    tenants = sub.add_parser("tenants", help="tenants (admin)").add_subparsers(dest="action", required=True)
    create = _command(tenants.add_parser("create"), c.tenants_create)
    create.add_argument("name")
    create.add_argument("--format", choices=("envelope", "data"), help="default payload_format of its hooks")
    update = _command(tenants.add_parser("update", help="rename, or set the default payload format"), c.tenants_update)
    update.add_argument("tenant_id")
    update.add_argument("--name")
    update.add_argument("--format", choices=("envelope", "data"), help="default payload_format of its new hooks")
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
        sub.add_parser("login", help="check --api-url/--token and store them as profile --profile (mode 0600)"),
        c.login,
    )
    listen_parser = _command(sub.add_parser("listen", help="a local receiver that explains deliveries"), listen)
    listen_parser.add_argument("--port", type=int, default=9000)
    listen_parser.add_argument("--secret", help="whsec_... or whpk_... to verify signatures")
    listen_parser.add_argument("--status", type=int, default=200, help="status to answer (exercise retries)")
    listen_parser.add_argument("--forward-to", help="forward each delivery to this URL and answer with its status")
    listen_parser.add_argument("--register", action="store_true", help="create a hook pointing here; deleted on exit")
    listen_parser.add_argument("--on", action="append", help="with --register: event types or globs")
    verify_parser = _command(sub.add_parser("verify", help="verify a captured delivery (body on stdin)"), verify)
    verify_parser.add_argument("--secret", required=True, help="the whsec_ secret, or the whpk_ public key")
    verify_parser.add_argument("--header", action="append", metavar="'NAME: VALUE'", help="repeatable")
    verify_parser.add_argument("--tolerance", type=int, default=300, help="seconds a timestamp may be off")
    verify_parser.add_argument("--now", type=float, help=argparse.SUPPRESS)
    _command(sub.add_parser("local", help="run the local runtime (what `make run` runs)"), _local)
    _command(sub.add_parser("egress-ips", help="the IP addresses deliveries come from, to allow-list"), c.egress_ips)


def _local(_client: Any, _args: argparse.Namespace) -> None:
    from hookwire.local.runtime import main as run_local

    run_local()


def _global_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """Accepted before or after the subcommand. Below the top level they default to SUPPRESS, so an option
    given before the subcommand is not reset by the subcommand's parser."""
    default: dict[str, Any] = {} if top else {"default": argparse.SUPPRESS}
    group = parser.add_argument_group("global options")
    group.add_argument("--api-url", metavar="URL", help="API base URL (else HOOKWIRE_URL, else the profile)", **default)
    group.add_argument("--token", help="bearer token (else HOOKWIRE_TOKEN, else the profile)", **default)
    group.add_argument("--profile", help="profile written by `hookwire login` (default: default)", **default)
    json_default = {"default": False} if top else default
    group.add_argument("--json", action="store_true", help="machine-readable output", **json_default)


class _Parser(argparse.ArgumentParser):
    """Every subcommand parser takes the global options too, and usage errors stay one line."""

    def add_subparsers(self, **kwargs: Any) -> Any:
        kwargs.setdefault("parser_class", _SubParser)
        return super().add_subparsers(**kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(ExitCode.USAGE, f"error: {message} (see `{self.prog} --help`)\n")


class _SubParser(_Parser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _global_options(self, top=False)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="hookwire", description=__doc__)
    parser.add_argument("--version", action="version", version=f"hookwire {_version()}")
    _global_options(parser, top=True)
    sub = parser.add_subparsers(dest="command", required=True)
    _hooks(sub, "webhooks", ["hooks"])
    _events(sub)
    _admin(sub)
    _local_tools(sub)
    return parser


def _version() -> str:
    try:
        return metadata.version("hookwire")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def _api_failure(exc: ApiError, url: str) -> CliError:
    """The API's own message, and what to do about it, by status."""
    status, reason = exc.response.status, str(exc)
    if status == 401:
        return CliError(
            f"{reason}: the API at {url} refused the token; pass --token, set HOOKWIRE_TOKEN or run `hookwire login`",
            ExitCode.AUTH,
        )
    if status == 403:
        return CliError(f"{reason}: this token may not do that (admin commands need the admin token)", ExitCode.AUTH)
    if status >= 500:
        return CliError(f"{reason}: the API failed; try again, and if it persists see its logs", ExitCode.SERVER)
    return CliError(reason)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    client = None
    if args.command not in OFFLINE:
        # login stores what it is given; it never reads the profile it is about to write
        connection = resolve(args.api_url, args.token, args.profile, use_profile=args.command != "login")
        if connection.url and connection.token:
            client = HookwireClient(connection.url, connection.token)
        elif args.command != "listen" or args.register:
            parser.error(
                "no API to talk to: pass --api-url and --token, set HOOKWIRE_URL and HOOKWIRE_TOKEN, "
                "or run `hookwire login --api-url URL --token TOKEN`"
            )
    try:
        args.handler(client, args)
    except ApiError as exc:
        return _fail(_api_failure(exc, client.base_url if client else "?"))
    except ApiUnreachable as exc:
        return _fail(CliError(f"{exc}; is it running (`make run`) and is the URL right?", ExitCode.UNREACHABLE))
    except CliError as exc:
        return _fail(exc)
    return ExitCode.OK


def _fail(error: CliError) -> int:
    output.error(str(error))
    return error.code


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
