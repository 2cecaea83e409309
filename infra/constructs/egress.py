"""Static egress IPs (opt-in, CDK context `static_egress_ips=true`): a VPC whose private subnets reach the
internet through one NAT gateway per availability zone, each with an Elastic IP the stack allocates and
outputs, so customers can allow-list every address a delivery can come from.

Only the deliver function runs in it (and the api's test deliveries keep their own addresses: they are sent by
the api function, outside the VPC, documented in docs/deploy.md). Nothing here exists in the default synth.
"""

from __future__ import annotations

from aws_cdk import Fn
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

VPC_CIDR = "10.80.0.0/16"
PUBLIC_SUBNET_MASK = 28  # holds a NAT gateway and nothing else
PRIVATE_SUBNET_MASK = 22  # ~1,000 addresses per AZ for the deliver function's network interfaces


class StaticEgress(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, az_count: int) -> None:
        super().__init__(scope, construct_id)
        # Our own Elastic IPs (not the ones the NAT provider would allocate) so their addresses can be output.
        self.elastic_ips = [
            ec2.CfnEIP(
                self, f"Ip{index + 1}", domain="vpc", tags=[{"key": "Name", "value": f"hookwire-egress-{index + 1}"}]
            )
            for index in range(az_count)
        ]
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(VPC_CIDR),
            max_azs=az_count,
            nat_gateways=az_count,
            nat_gateway_provider=ec2.NatProvider.gateway(
                eip_allocation_ids=[ip.attr_allocation_id for ip in self.elastic_ips]
            ),
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name="Nat",
                    subnet_type=ec2.SubnetType.PUBLIC,
                    cidr_mask=PUBLIC_SUBNET_MASK,
                    map_public_ip_on_launch=False,
                ),
                ec2.SubnetConfiguration(
                    name="Deliver", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=PRIVATE_SUBNET_MASK
                ),
            ],
            restrict_default_security_group=False,  # nothing uses it; restricting it would add a custom resource
        )
        # Free, and keeps deliver's DynamoDB traffic (hook and execution reads and writes) off the NAT's per-GB charge.
        self.vpc.add_gateway_endpoint("DynamoDb", service=ec2.GatewayVpcEndpointAwsService.DYNAMODB)
        if len(self.vpc.private_subnets) != az_count:
            raise ValueError(
                f"egress_az_count={az_count} but this stack knows {len(self.vpc.private_subnets)} availability "
                "zones: an environment-agnostic stack has 2; deploy with an explicit account and region for more"
            )
        self.security_group = ec2.SecurityGroup(
            self,
            "DeliverSecurityGroup",
            vpc=self.vpc,
            description="Hookwire deliver function: no inbound; outbound to receivers on any port",
            allow_all_outbound=True,
        )
        self.subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)

    @property
    def addresses(self) -> str:
        """The Elastic IPs, comma-separated (`Ref` of an EIP is its address), resolved at deploy time."""
        return Fn.join(",", [ip.ref for ip in self.elastic_ips])
