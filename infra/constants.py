"""Constants of the CDK app. Queue, table and environment names come from functions.common.contract."""

from __future__ import annotations

import re
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
STACK_NAME = "Hookwire"

# The Powertools v3 layer published by AWS, found through the public SSM parameter Powertools writes for
# every release in every partition it publishes to. CloudFormation resolves it at deploy time, so the layer
# always matches the version requirements.txt pins (the only place the version is written) and the region's
# publishing account. Context `powertools_layer_arn` names an explicit layer instead.
POWERTOOLS_LAYER_PARAMETER = "/aws/service/powertools/python/arm64/python3.13/{version}"
POWERTOOLS_REQUIREMENT = re.compile(r"^aws-lambda-powertools(?:\[[^\]]*\])?==(?P<version>[0-9][^\s;#]*)", re.MULTILINE)

# Runtime of the Node.js functions aws-cdk-lib adds (the custom-resource provider framework). aws-cdk-lib picks
# it from a region fact with no property to set it, so an aspect pins it to a supported release.
CDK_NODE_RUNTIME = "nodejs24.x"  # supported until 2028-04-30

API_MEMORY_MB = 512
FANOUT_MEMORY_MB = 512
DELIVER_MEMORY_MB = 1024  # network-bound, but more memory buys more CPU for TLS and JSON
DEAD_LETTERS_MEMORY_MB = 256
SEED_MEMORY_MB = 256
SEED_TIMEOUT_SECONDS = 60

# Lambda's own log lines (START, END, REPORT) are INFO-level system logs: at WARN they are not written.
LAMBDA_SYSTEM_LOG_LEVEL = "WARN"

API_THROTTLE_RATE = 1000
API_THROTTLE_BURST = 2000

# Handlers (module paths inside the Lambda asset, which keeps the repo's `functions/` package layout).
API_HANDLER = "functions.api.handler.lambda_handler"
FANOUT_HANDLER = "functions.fanout.handler.lambda_handler"
DELIVER_HANDLER = "functions.deliver.handler.lambda_handler"
DEAD_LETTERS_HANDLER = "functions.dlq.handler.lambda_handler"
SEED_HANDLER = "functions.seed.handler.lambda_handler"


def pinned_powertools_version() -> str:
    """The Powertools release requirements.txt pins: the layer the stack deploys is derived from it."""
    match = POWERTOOLS_REQUIREMENT.search((PROJECT_ROOT / "requirements.txt").read_text())
    if match is None:
        raise ValueError("requirements.txt must pin aws-lambda-powertools==X.Y.Z")
    return match.group("version")


def powertools_layer_parameter() -> str:
    return POWERTOOLS_LAYER_PARAMETER.format(version=pinned_powertools_version())
