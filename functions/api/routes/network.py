"""The addresses deliveries come from, for customers to allow-list."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.api.logic.egress import egress_ips
from functions.api.routes.context import deps
from functions.api.schemas import EgressIps

router = APIGatewayHttpRouter()


@router.get("/egress-ips", summary="The IP addresses deliveries come from (static only when deployed with them)")
def get_egress_ips() -> EgressIps:
    return egress_ips(deps().settings.egress_ips)
