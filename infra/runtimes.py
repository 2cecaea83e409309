"""Pins the Node.js runtime of the functions aws-cdk-lib adds on its own (custom-resource provider framework)."""

from __future__ import annotations

import jsii
from aws_cdk import IAspect
from aws_cdk import aws_lambda as lambda_
from constructs import IConstruct

from infra import constants


@jsii.implements(IAspect)
class SupportedNodeRuntime:
    """`cr.Provider` has no runtime property: it takes the region fact LATEST_NODE_RUNTIME, which older
    aws-cdk-lib releases set to Node 20 (end of life). Every Node.js function in the stack gets a supported one."""

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, lambda_.CfnFunction) and str(node.runtime or "").startswith("nodejs"):
            node.runtime = constants.CDK_NODE_RUNTIME
