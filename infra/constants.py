"""Constants of the CDK app. Queue, table and environment names come from functions.common.contract."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
STACK_NAME = "Hookwire"

# The Powertools v3 layer published by AWS. Layer version 27 is Powertools 3.24.0, the version
# requirements.txt pins; change both together (context key `powertools_layer_version` overrides).
POWERTOOLS_ACCOUNT = "017000801446"
POWERTOOLS_LAYER_NAME = "AWSLambdaPowertoolsPythonV3-python313-arm64"
POWERTOOLS_LAYER_VERSION = 27

API_MEMORY_MB = 512
FANOUT_MEMORY_MB = 512
DELIVER_MEMORY_MB = 1024  # network-bound, but more memory buys more CPU for TLS and JSON
DEAD_LETTERS_MEMORY_MB = 256
SEED_MEMORY_MB = 256
SEED_TIMEOUT_SECONDS = 60

API_THROTTLE_RATE = 1000
API_THROTTLE_BURST = 2000

# Handlers (module paths inside the Lambda asset, which keeps the repo's `functions/` package layout).
API_HANDLER = "functions.api.handler.lambda_handler"
FANOUT_HANDLER = "functions.fanout.handler.lambda_handler"
DELIVER_HANDLER = "functions.deliver.handler.lambda_handler"
DEAD_LETTERS_HANDLER = "functions.dlq.handler.lambda_handler"
SEED_HANDLER = "functions.seed.handler.lambda_handler"
