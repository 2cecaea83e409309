"""`make demo` (while `make run` is up): a tenant, a hook on a local receiver, one sample event from each
of the four seed products, and each delivery printed with its verified signature."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from functions.common import signing
from hookwire.client import HookwireClient
from hookwire.local.state import STATE_FILE, LocalState
from hookwire.receiver import Delivery, Receiver

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SAMPLES = PROJECT_ROOT / "samples"


def connection() -> tuple[str, str]:
    """HOOKWIRE_URL / HOOKWIRE_TOKEN, else what `make run` wrote for this checkout."""
    url, token = os.environ.get("HOOKWIRE_URL"), os.environ.get("HOOKWIRE_TOKEN")
    state = LocalState.read(STATE_FILE) if not url or not token else None
    if state:
        url, token = url or state.url, token or state.admin_token()
    if not url or not token:
        sys.exit("No running Hookwire found: start `make run` first (or set HOOKWIRE_URL and HOOKWIRE_TOKEN).")
    return url, token


def samples() -> list[tuple[str, str, str]]:
    """(product, event type, exact JSON text) for each seed product."""
    index = json.loads((SAMPLES / "index.json").read_text())
    return [(name, entry["type"], (SAMPLES / entry["file"]).read_text().strip()) for name, entry in index.items()]


def is_verified(delivery: Delivery, secret: str) -> bool:
    headers = delivery.headers
    timestamp = int(headers["webhook-timestamp"])
    return signing.verify(secret, headers["webhook-id"], timestamp, delivery.body, headers["webhook-signature"])


def describe(delivery: Delivery, secret: str) -> str:
    headers = delivery.headers
    valid = is_verified(delivery, secret)
    envelope = json.loads(delivery.body)
    preview = json.dumps(envelope["data"])[:100]
    return "\n".join(
        [
            f"  webhook-id        {headers['webhook-id']}",
            f"  type              {envelope['type']}",
            f"  webhook-signature {headers['webhook-signature'][:40]}...  {'VERIFIED' if valid else 'INVALID'}",
            f"  data              {preview}...",
        ]
    )


def run(url: str, admin_token: str, timeout: float = 20.0) -> int:
    admin = HookwireClient(url, admin_token)
    tenant = admin.call("POST", "/tenants", {"name": f"demo-{int(time.time())}"})
    print(f"tenant {tenant['id']} created")
    client = HookwireClient(url, tenant["token"])
    products = samples()
    with Receiver() as receiver:
        hook = client.call(
            "POST",
            "/hooks",
            {"name": "demo receiver", "url": receiver.url, "on": [event_type for _, event_type, _ in products]},
        )
        print(f"hook {hook['id']} -> {receiver.url} (secret shown once: {hook['secret'][:12]}...)\n")
        for product, event_type, raw in products:
            body = ('{"type":' + json.dumps(event_type) + ',"data":' + raw + "}").encode()
            accepted = client.call("POST", "/events", raw=body)
            print(f"published {event_type:<24} from {product:<14} as {accepted['id']}")
        deliveries = receiver.wait_for(len(products), timeout)
        print(f"\n{len(deliveries)} of {len(products)} deliveries received:\n")
        verified = 0
        for delivery in deliveries:
            print(describe(delivery, hook["secret"]) + "\n")
            verified += is_verified(delivery, hook["secret"])
    print(f"{verified} verified deliveries")
    return 0 if verified == len(products) else 1


def main() -> None:
    url, token = connection()
    sys.exit(run(url, token))


if __name__ == "__main__":
    main()
