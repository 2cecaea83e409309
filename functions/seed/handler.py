"""seed λ: the CloudFormation custom resource that loads the bundled catalogue into the table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.catalog import catalog_files, load_catalog
from functions.common.dal.event_types import EventTypesRepository
from functions.common.observability import logger
from functions.common.settings import seed_settings

BUNDLED_CATALOG = Path(__file__).resolve().parents[2] / "catalogs"


def seed(event_types: EventTypesRepository, catalog_dir: Path) -> int:
    """Upserts every catalogued type. Types removed from the files stay until deleted through the API,
    because hooks may still name them."""
    catalogue = load_catalog(catalog_files(str(catalog_dir), catalog_dir))
    event_types.put_event_types(catalogue)
    return len(catalogue)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("RequestType") == "Delete":
        return {"PhysicalResourceId": event.get("PhysicalResourceId", "catalog")}
    count = seed(EventTypesRepository(seed_settings().subscriptions_table), BUNDLED_CATALOG)
    logger.info("catalogue seeded", extra={"event_types": count})
    return {"PhysicalResourceId": "catalog", "Data": {"EventTypes": count}}
