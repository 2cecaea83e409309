"""Static egress IPs: the addresses deliveries come from, as the deployment configured them."""

from __future__ import annotations

from functions.api.schemas import EgressIps


def egress_ips(configured: str) -> EgressIps:
    """`configured` is the deployment's comma-separated Elastic IPs; empty when deliveries leave from
    Lambda's shared, changing addresses."""
    ips = [address.strip() for address in configured.split(",") if address.strip()]
    return EgressIps(static=bool(ips), ips=ips)
