"""Static egress IPs: nothing in the default synth; with the context, deliver in private subnets behind one NAT
gateway + Elastic IP per AZ, the addresses output and handed to the api."""

import json

import pytest
from aws_cdk.assertions import Template

from infra.scan import CHECKOV, scan
from tests.infrastructure.conftest import synth

EGRESS_KINDS = (
    "AWS::EC2::VPC",
    "AWS::EC2::VPCEndpoint",
    "AWS::EC2::NatGateway",
    "AWS::EC2::EIP",
    "AWS::EC2::Subnet",
    "AWS::EC2::SecurityGroup",
)


def _function(template: Template, prefix: str) -> dict:
    functions = template.find_resources("AWS::Lambda::Function")
    return next(f for name, f in functions.items() if name.startswith(prefix))


def test_the_default_synth_has_no_vpc_nat_or_elastic_ip(template: Template) -> None:
    # Given the default deployment
    # Then it has no network resources at all, no function in a VPC, and no egress output or setting
    for kind in EGRESS_KINDS:
        template.resource_count_is(kind, 0)
    functions = template.find_resources("AWS::Lambda::Function").values()
    assert all("VpcConfig" not in f["Properties"] for f in functions)
    assert "EgressIps" not in template.to_json()["Outputs"]
    assert "HOOKWIRE_EGRESS_IPS" not in _function(template, "ApiFunction")["Properties"]["Environment"]["Variables"]


@pytest.fixture(scope="module")
def egress_template() -> Template:
    return synth({"static_egress_ips": "true"})


def test_with_static_egress_deliver_runs_in_private_subnets_behind_one_nat_and_ip_per_az(
    egress_template: Template,
) -> None:
    # Given static_egress_ips=true (two AZs by default)
    resources = egress_template.to_json()["Resources"]
    deliver = _function(egress_template, "PipelineDeliverFunction")
    subnet_refs = [ref["Ref"] for ref in deliver["Properties"]["VpcConfig"]["SubnetIds"]]
    # Then deliver is in two subnets that route to the internet only through a NAT gateway
    assert len(subnet_refs) == 2
    for subnet in subnet_refs:
        assert resources[subnet]["Properties"]["MapPublicIpOnLaunch"] is False
        table = next(
            r["Properties"]["RouteTableId"]["Ref"]
            for r in resources.values()
            if r["Type"] == "AWS::EC2::SubnetRouteTableAssociation" and r["Properties"]["SubnetId"] == {"Ref": subnet}
        )
        [route] = [
            r["Properties"]
            for r in resources.values()
            if r["Type"] == "AWS::EC2::Route" and r["Properties"]["RouteTableId"] == {"Ref": table}
        ]
        assert "NatGatewayId" in route and "GatewayId" not in route
    # And each NAT gateway uses one of the stack's own Elastic IPs
    egress_template.resource_count_is("AWS::EC2::NatGateway", 2)
    egress_template.resource_count_is("AWS::EC2::EIP", 2)
    nat_allocations = [
        r["Properties"]["AllocationId"]["Fn::GetAtt"][0]
        for r in resources.values()
        if r["Type"] == "AWS::EC2::NatGateway"
    ]
    eips = sorted(name for name, r in resources.items() if r["Type"] == "AWS::EC2::EIP")
    assert sorted(nat_allocations) == eips
    # And DynamoDB traffic skips the NAT (a free gateway endpoint)
    egress_template.has_resource_properties("AWS::EC2::VPCEndpoint", {"VpcEndpointType": "Gateway"})
    # And only deliver is in the VPC (the other functions keep talking to AWS APIs directly)
    in_vpc = [
        name for name, f in resources.items() if f["Type"] == "AWS::Lambda::Function" and "VpcConfig" in f["Properties"]
    ]
    assert len(in_vpc) == 1 and in_vpc[0].startswith("PipelineDeliverFunction")


def test_the_elastic_ips_are_a_stack_output_and_reach_the_api(egress_template: Template) -> None:
    # Given static_egress_ips=true
    template = egress_template.to_json()
    eips = sorted(name for name, r in template["Resources"].items() if r["Type"] == "AWS::EC2::EIP")
    joined = {"Fn::Join": [",", [{"Ref": name} for name in eips]]}
    # Then the output and the api's setting are the addresses of the Elastic IPs
    assert template["Outputs"]["EgressIps"]["Value"] == joined
    api_environment = _function(egress_template, "ApiFunction")["Properties"]["Environment"]["Variables"]
    assert api_environment["HOOKWIRE_EGRESS_IPS"] == joined


def test_the_az_count_comes_from_context_and_an_impossible_one_is_refused() -> None:
    # Given one AZ (the cheapest: one NAT gateway)
    template = synth({"static_egress_ips": "true", "egress_az_count": "1"})
    # Then one NAT gateway and one address
    template.resource_count_is("AWS::EC2::NatGateway", 1)
    template.resource_count_is("AWS::EC2::EIP", 1)
    # And more AZs than an environment-agnostic stack knows is refused, saying why
    with pytest.raises(ValueError, match="egress_az_count=3"):
        synth({"static_egress_ips": "true", "egress_az_count": "3"})


def test_only_functions_outside_the_vpc_carry_the_no_vpc_checkov_skip(egress_template: Template) -> None:
    # Given static_egress_ips=true
    functions = egress_template.find_resources("AWS::Lambda::Function")
    # Then deliver (in the VPC) has no CKV_AWS_117 skip, and every other function still explains its own
    for name, function in functions.items():
        skipped = {skip["id"] for skip in function["Metadata"]["checkov"]["skip"]}
        assert ("CKV_AWS_117" in skipped) is ("VpcConfig" not in function["Properties"]), name


@pytest.mark.skipif(not CHECKOV.exists(), reason="checkov's virtualenv is missing: `make scan` creates it")
def test_checkov_finds_nothing_unexplained_with_static_egress(tmp_path, egress_template: Template) -> None:
    # Given the template with the VPC, NAT gateways and Elastic IPs
    path = tmp_path / "Hookwire.template.json"
    path.write_text(json.dumps(egress_template.to_json()))
    # When checkov scans it, then nothing fails and every skip carries its reason
    report = scan(path)
    assert [f"{check['check_id']} {check['resource']}" for check in report["results"]["failed_checks"]] == []
    assert all(check["check_result"]["suppress_comment"] for check in report["results"]["skipped_checks"])
