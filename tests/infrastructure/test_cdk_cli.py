"""`make synth` works with no AWS credentials: the pinned CDK CLI writes a template."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CDK = ROOT / "node_modules" / ".bin" / "cdk"


@pytest.mark.skipif(not CDK.exists() or shutil.which("node") is None, reason="the CDK CLI is installed by make test")
@pytest.mark.timeout(360)  # the CDK CLI is allowed 300 s
def test_cdk_synth_writes_a_template_without_credentials(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["CDK_DISABLE_VERSION_CHECK"] = "1"
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    result = subprocess.run(
        [
            str(CDK),
            "synth",
            "--quiet",
            "--no-notices",
            "--output",
            str(tmp_path),
            "--app",
            f"{os.sys.executable} app.py",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    template = json.loads((tmp_path / "Hookwire.template.json").read_text())
    assert "AWS::ApiGatewayV2::Api" in {r["Type"] for r in template["Resources"].values()}


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
@pytest.mark.parametrize("target", ["synth", "bootstrap", "deploy", "diff", "destroy"])
def test_make_passes_args_through_to_the_cdk_cli(target: str) -> None:
    # Given context, profile and region in ARGS
    args = "-c alarm_email=ops@example.com --profile prod --region eu-west-1"
    # When make prints what it would run
    result = subprocess.run(
        ["make", "-n", target, f"ARGS={args}"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    # Then the CDK CLI gets them unchanged
    assert f"node_modules/.bin/cdk {target}" in result.stdout
    assert [line for line in result.stdout.splitlines() if line.startswith("node_modules/.bin/cdk")][-1].endswith(args)
