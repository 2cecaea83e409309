"""The delivery's outbound call is an X-Ray subsegment, also from the worker threads of a batch."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
from aws_xray_sdk.core import xray_recorder
from functions.common.http_client import WebhookHttpClient
from functions.common.observability import in_current_trace, tracer
from functions.common.ssrf import UrlGuard
from concurrent.futures import ThreadPoolExecutor
from hookwire.local.runtime import free_port

PORT = free_port()
sent = []
xray_recorder.emitter.send_entity = lambda entity: sent.append(entity)
assert not tracer.disabled
client = WebhookHttpClient(UrlGuard.from_settings(allow_http=True, allowed_cidrs="127.0.0.0/8"))
xray_recorder.get_trace_entity()  # the Lambda facade segment

def post(_):
    return client.post(f"http://127.0.0.1:{PORT}/x", {}, b"{}", 1).failure  # nothing listens: refused

with ThreadPoolExecutor(3) as pool:
    print(list(pool.map(in_current_trace(post), range(3))))
print(sorted({entity.name for entity in sent}), len(sent))
"""


def test_each_outbound_request_is_a_subsegment_of_the_invocation() -> None:
    env = {
        **os.environ,
        "AWS_LAMBDA_FUNCTION_NAME": "deliver",
        "LAMBDA_TASK_ROOT": str(ROOT),
        "POWERTOOLS_TRACE_DISABLED": "false",
        "AWS_XRAY_CONTEXT_MISSING": "RUNTIME_ERROR",
        "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "['connection', 'connection', 'connection']" in result.stdout
    assert "['## webhook POST'] 3" in result.stdout


def test_with_tracing_off_no_handler_imports_the_xray_sdk() -> None:
    """Given tracing off, when every handler is imported, then the X-Ray SDK's core was never loaded
    (it costs tens of milliseconds of each cold start)."""
    script = (
        "import sys, functions.api.handler, functions.fanout.handler, functions.deliver.handler\n"
        "from functions.common.observability import tracer\n"
        "print(tracer.disabled, 'aws_xray_sdk.core' in sys.modules)"
    )
    env = {**os.environ, "POWERTOOLS_TRACE_DISABLED": "true", "AWS_DEFAULT_REGION": "us-east-1"}
    result = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True)
    assert result.stdout.split() == ["True", "False"], result.stderr
