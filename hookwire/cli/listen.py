"""`hookwire listen` (a local receiver that explains every delivery) and `hookwire verify`."""

from __future__ import annotations

import argparse
import errno
import json
import signal
import sys
import threading
import time
from collections import Counter

import urllib3

from hookwire.cli import output
from hookwire.cli.errors import CliError, ExitCode, UsageError
from hookwire.client import HookwireClient
from hookwire.receiver import Answer, Delivery, Receiver
from hookwire.verify import verify_delivery


def _pretty(body: bytes) -> str:
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body.decode(errors="replace")


class Listener:
    """Prints each delivery (type, id, attempt, signature verdict, body) and answers as asked."""

    def __init__(self, secret: str | None, status: int, forward_to: str | None, as_json: bool) -> None:
        self.secret = secret
        self.status = status
        self.forward_to = forward_to
        self.as_json = as_json
        self.attempts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._http = urllib3.PoolManager(retries=False) if forward_to else None

    def __call__(self, delivery: Delivery, _count: int) -> Answer:
        webhook_id = delivery.headers.get("webhook-id", "?")
        with self._lock:
            self.attempts[webhook_id] += 1
            attempt = self.attempts[webhook_id]
        verdict = verify_delivery(self.secret, delivery.headers, delivery.body)
        answer = self._forward(delivery) if self._http else Answer(status=self.status)
        self._print(delivery, webhook_id, attempt, verdict.valid, verdict.reason, answer.status)
        return answer

    def _forward(self, delivery: Delivery) -> Answer:
        assert self._http and self.forward_to
        headers = {k: v for k, v in delivery.headers.items() if k not in ("host", "content-length")}
        try:
            response = self._http.request("POST", self.forward_to, body=delivery.body, headers=headers, timeout=10)
        except urllib3.exceptions.HTTPError as exc:
            output.error(f"forwarding to {self.forward_to} failed: {exc}")
            return Answer(status=502, body=b"forward failed")
        return Answer(status=response.status, body=response.data[:16384])

    def _print(self, delivery: Delivery, webhook_id: str, attempt: int, valid: bool, reason: str, status: int) -> None:
        try:
            event_type = json.loads(delivery.body).get("type", "-")
        except (ValueError, AttributeError):
            event_type = "-"
        if self.as_json:
            record = {
                "webhook_id": webhook_id,
                "type": event_type,
                "attempt": attempt,
                "signature_valid": valid,
                "signature": reason,
                "answered": status,
                "body": delivery.body.decode(errors="replace"),
            }
            sys.stdout.write(json.dumps(record) + "\n")
        else:
            mark = "valid" if valid else f"INVALID ({reason})" if self.secret else reason
            sys.stdout.write(
                f"--> {time.strftime('%H:%M:%S')} {event_type}  id={webhook_id}  attempt={attempt}  "
                f"signature: {mark}  answered {status}\n{_pretty(delivery.body)}\n\n"
            )
        sys.stdout.flush()


def _bind(listener: Listener, port: int) -> Receiver:
    try:
        return Receiver(listener, port=port).start()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise CliError(
                f"port {port} is in use: pick another with --port (0 takes a free one) or stop what holds it",
                ExitCode.PORT_IN_USE,
            ) from exc
        raise CliError(f"can't listen on port {port}: {exc.strerror}", ExitCode.PORT_IN_USE) from exc


def _stop_on_sigterm(_signum: int, _frame: object) -> None:
    """`kill` (SIGTERM) ends `listen` like Ctrl-C, so the finally clause still deletes the registered hook."""
    raise KeyboardInterrupt


def listen(client: HookwireClient | None, args: argparse.Namespace) -> None:
    listener = Listener(args.secret, args.status, args.forward_to, args.json)
    receiver = _bind(listener, args.port)
    hook_id = None
    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        url = f"http://127.0.0.1:{receiver.server.server_address[1]}/"
        if args.register:
            if client is None:
                raise UsageError("--register needs --api-url and --token (or HOOKWIRE_URL and HOOKWIRE_TOKEN)")
            hook = client.call("POST", "/hooks", {"name": "hookwire listen", "url": url, "on": args.on or ["*"]})
            hook_id, listener.secret = hook["id"], hook["secret"]
            sys.stderr.write(f"registered hook {hook_id} for {', '.join(hook['on'])}; it is deleted on exit\n")
        if args.forward_to:
            # Deliveries are relayed with their signature headers unchanged: the app verifies them with the
            # secret of the hook that sent them.
            known = listener.secret or "the secret of the hook that sends here (`hookwire hooks rotate` makes one)"
            sys.stderr.write(f"forwarding to {args.forward_to}; verify there with secret: {known}\n")
        sys.stderr.write(f"listening on {url} (Ctrl-C stops)\n")
        sys.stderr.flush()
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sys.stderr.write("stopping\n")
    finally:
        signal.signal(signal.SIGTERM, previous)
        receiver.stop()
        if hook_id and client is not None:
            client.request("DELETE", f"/hooks/{hook_id}")
            sys.stderr.write(f"deleted hook {hook_id}\n")


def verify(_client: HookwireClient | None, args: argparse.Namespace) -> None:
    headers: dict[str, str] = {}
    for line in args.header or []:
        name, sep, value = line.partition(":")
        if not sep:
            raise UsageError(f"--header takes 'name: value', not {line!r}")
        headers[name.strip().lower()] = value.strip()
    body = sys.stdin.buffer.read()
    result = verify_delivery(args.secret, headers, body, now=args.now, tolerance=args.tolerance)
    if args.json:
        output.emit_json({"valid": result.valid, "reason": result.reason})
    else:
        sys.stdout.write(("valid: " if result.valid else "invalid: ") + result.reason + "\n")
    if not result.valid:
        raise SystemExit(ExitCode.FAILED)
