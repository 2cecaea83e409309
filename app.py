#!/usr/bin/env python3
"""CDK entry point: `make synth` / `make deploy`."""

from __future__ import annotations

import aws_cdk as cdk

from infra.config import DeployConfig
from infra.constants import STACK_NAME
from infra.nag import add_checks
from infra.stack import HookwireStack


def build_app() -> cdk.App:
    app = cdk.App()
    config = DeployConfig.from_context(app.node.try_get_context)
    add_checks(app)  # cdk-nag AwsSolutions: synth fails on any finding not acknowledged in infra/nag.py
    HookwireStack(app, STACK_NAME, config=config, description="Hookwire: webhook delivery as a service")
    return app


if __name__ == "__main__":
    build_app().synth()
