"""Seeds the event-type catalogue at deploy time from the catalogue files bundled with the code."""

from __future__ import annotations

import hashlib

from aws_cdk import CustomResource
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import custom_resources as cr
from constructs import Construct

from functions.common import contract
from infra import constants
from infra.config import DeployConfig
from infra.constructs.function import HookwireFunction
from infra.constructs.lambda_code import stage


def _catalog_digest(catalog: str) -> str:
    """Changes whenever a catalogue file changes, so the resource re-seeds on the next deploy."""
    digest = hashlib.sha256()
    for path in sorted((stage(catalog) / "catalogs").glob("*.json")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


class CatalogSeeder(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: DeployConfig, table: dynamodb.TableV2) -> None:
        super().__init__(scope, construct_id)
        self.function = HookwireFunction(
            self,
            "Seed",
            handler=constants.SEED_HANDLER,
            memory_mb=constants.SEED_MEMORY_MB,
            timeout_seconds=constants.SEED_TIMEOUT_SECONDS,
            environment={contract.Env.SUBSCRIPTIONS_TABLE: table.table_name},
            config=config,
            description="Hookwire catalogue seeding",
        ).function
        self.function.add_to_role_policy(
            iam.PolicyStatement(actions=["dynamodb:BatchWriteItem"], resources=[table.table_arn])
        )
        provider = cr.Provider(self, "Provider", on_event_handler=self.function)
        CustomResource(
            self,
            "Catalog",
            service_token=provider.service_token,
            properties={"CatalogDigest": _catalog_digest(config.catalog)},
        )
