"""checkov on the synthesized template: `python -m infra.scan` (what `make scan` and `make test` run).

checkov lives in its own virtualenv (.venv-checkov, made by the Makefile) because its many dependencies
would fight the project's pins. Exit status 1 when any check fails: every accepted finding must be skipped
with its reason in the resource's metadata (infra/checkov.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
TEMPLATE = ROOT / "cdk.out" / "scan" / "Hookwire.template.json"


def write_template(context: dict[str, Any] | None = None) -> Path:
    from aws_cdk import App
    from aws_cdk.assertions import Template

    from infra.config import DeployConfig
    from infra.stack import HookwireStack

    app = App(context=context or {})
    stack = HookwireStack(app, "Hookwire", config=DeployConfig.from_context(app.node.try_get_context))
    TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
    TEMPLATE.write_text(json.dumps(Template.from_stack(stack).to_json(), indent=1))
    return TEMPLATE


def scan(template: Path) -> dict[str, Any]:
    """checkov's JSON report (offline: --skip-download keeps it from calling the vendor's API)."""
    command = [str(CHECKOV), "-f", str(template), "--framework", "cloudformation", "--output", "json"]
    command += ["--skip-download", "--soft-fail"]
    completed = subprocess.run(command, capture_output=True, text=True, check=True, timeout=600)
    report = json.loads(completed.stdout)
    return report[0] if isinstance(report, list) else report


def main() -> int:
    report = scan(write_template())
    summary, results = report["summary"], report["results"]
    for check in results["failed_checks"]:
        sys.stdout.write(f"FAILED {check['check_id']} {check['resource']}: {check['check_name']}\n")
    unexplained = [check for check in results["skipped_checks"] if not check["check_result"].get("suppress_comment")]
    sys.stdout.write(
        f"checkov: {summary['passed']} passed, {summary['failed']} failed, {summary['skipped']} skipped with a reason\n"
    )
    return 1 if summary["failed"] or unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
