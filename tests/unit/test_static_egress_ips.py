"""GET /egress-ips: the deployment's Elastic IPs, or an honest 'not static'."""

from functions.api.logic.egress import egress_ips


def test_configured_addresses_are_listed_as_static() -> None:
    # Given a deployment with static egress (the stack joins its Elastic IPs with commas)
    answer = egress_ips("203.0.113.10, 203.0.113.11")
    # Then customers see both addresses, marked static
    assert answer.static is True
    assert answer.ips == ["203.0.113.10", "203.0.113.11"]


def test_without_static_egress_there_are_no_addresses_to_allow_list() -> None:
    # Given the default deployment (no addresses configured)
    answer = egress_ips("")
    # Then the answer says so instead of listing Lambda's shared, changing addresses
    assert answer.static is False and answer.ips == []
