"""docs/deploy.md followed step by step against the synthesized template: the commands and context it
gives produce a stack with the outputs, secret, subscriptions and region handling it describes."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest

from infra import constants
from infra.config import DeployConfig
from tests.infrastructure.conftest import synth

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "deploy.md").read_text()
COMMANDS = [
    line.strip()
    for block in re.findall(r"```bash\n(.*?)```", GUIDE, re.DOTALL)
    for line in block.replace("\\\n", " ").splitlines()
    if line.strip() and not line.strip().startswith("#")
]
MAKE_COMMANDS = [command for command in COMMANDS if command.startswith("make ")]
REGIONS = {"us-east-1", "eu-west-1", "us-west-2", "ap-southeast-2"}


def _context(command: str) -> dict[str, str]:
    """The `-c key=value` pairs inside ARGS="..."."""
    (args,) = re.findall(r'ARGS="([^"]*)"', command)
    words = shlex.split(args)
    return dict(words[i + 1].split("=", 1) for i, word in enumerate(words) if word == "-c")


def _documented_outputs() -> set[str]:
    section = GUIDE.split("## 4. Deploy")[1].split("Read them again")[0]
    return set(re.findall(r"^\| `(\w+)` \|", section, re.MULTILINE))


def test_the_guide_bootstraps_deploys_and_destroys_through_make() -> None:
    # Given the make commands of the guide, in order
    targets = [command.split()[1] for command in MAKE_COMMANDS]
    # Then bootstrap comes before the first deploy, and destroy is there
    assert targets.index("bootstrap") < targets.index("deploy") and "destroy" in targets
    # And make hands each one's ARGS to the CDK CLI unchanged
    for command in MAKE_COMMANDS:
        target, args = command.split()[1], re.findall(r'ARGS="([^"]*)"', command)[0]
        dry_run = subprocess.run(
            ["make", "-n", target, f"ARGS={args}"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
        )
        assert f"node_modules/.bin/cdk {target} {args}" in dry_run.stdout


@pytest.mark.parametrize("command", [c for c in MAKE_COMMANDS if c.startswith("make deploy")])
def test_each_documented_deploy_has_the_outputs_the_guide_lists(command: str) -> None:
    # Given the context of a documented deploy command
    context = _context(command)
    DeployConfig.model_validate(context)  # every documented key is a real setting
    # When the stack is synthesized with it
    outputs = synth(context).to_json()["Outputs"]
    # Then every output the guide lists is there (the custom-domain one only with a domain)
    expected = _documented_outputs() - ({"CustomDomainTarget"} if "domain_name" not in context else set())
    assert expected <= set(outputs), expected - set(outputs)
    if "alarm_email" in context:
        assert synth(context).find_resources("AWS::SNS::Subscription", {"Properties": {"Protocol": "email"}})


def test_the_admin_token_and_url_commands_name_real_outputs_of_the_documented_stack() -> None:
    outputs = synth().to_json()["Outputs"]
    for key in re.findall(r"OutputKey=='(\w+)'", GUIDE):
        assert key in outputs
    assert set(re.findall(r"--stack-name (\w+)", GUIDE)) == {constants.STACK_NAME}
    admin = outputs["AdminSecretArn"]["Value"]
    assert admin == {"Ref": next(iter(synth().find_resources("AWS::SecretsManager::Secret")))}


def test_the_stack_takes_its_region_from_the_deploy_and_its_layer_from_the_pinned_release() -> None:
    template = synth().to_json()
    # No region is written into the template: the profile, AWS_REGION or --region decides
    text = str(template)
    assert not [region for region in REGIONS if region in text]
    # The SSM parameter the guide describes is the one the stack resolves, for the pinned version
    documented = "/aws/service/powertools/python/arm64/python3.13/<version>"
    assert documented in GUIDE and constants.pinned_powertools_version() in GUIDE
    defaults = {p.get("Default") for p in template["Parameters"].values()}
    assert documented.replace("<version>", constants.pinned_powertools_version()) in defaults


def test_the_context_table_lists_every_setting() -> None:
    section = GUIDE.split("Deploy-time configuration")[1].split("## 5.")[0]
    documented = {
        key for row in re.findall(r"^\| (`.*?) \|", section, re.MULTILINE) for key in re.findall(r"`(\w+)`", row)
    }
    assert documented == set(DeployConfig.model_fields)


def test_the_custom_domain_step_makes_the_domain_and_its_target() -> None:
    (command,) = [c for c in MAKE_COMMANDS if "domain_name" in c]
    template = synth(_context(command))
    template.resource_count_is("AWS::ApiGatewayV2::DomainName", 1)
    assert "CustomDomainTarget" in template.to_json()["Outputs"]


def test_destroy_keeps_what_the_guide_says_it_keeps() -> None:
    resources = synth().to_json()["Resources"].values()
    retained = {r["Type"] for r in resources if r.get("DeletionPolicy") == "Retain"}
    assert {"AWS::DynamoDB::GlobalTable", "AWS::KMS::Key"} <= retained
    assert "tables and the KMS key are **retained**" in GUIDE
