"""How other commands on this machine find a running `make run`, without a secret on disk.

The state file holds the API URL, moto's endpoint and the admin secret's ARN; the admin token itself is
read from the runtime's Secrets Manager (moto, in the runtime's memory), as one reads it on AWS. A file
left behind by a killed runtime holds nothing secret and points at endpoints that no longer answer.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

STATE_FILE = Path(__file__).resolve().parents[2] / ".hookwire-local.json"


@dataclass(frozen=True)
class LocalState:
    url: str
    aws_endpoint: str
    admin_secret_arn: str

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)))

    @classmethod
    def read(cls, path: Path) -> LocalState | None:
        try:
            return cls(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def admin_token(self) -> str | None:
        """The admin token from the running runtime's Secrets Manager; None when it isn't running."""
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError

        client = boto3.client(
            "secretsmanager",
            endpoint_url=self.aws_endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 1}),
        )
        try:
            return client.get_secret_value(SecretId=self.admin_secret_arn)["SecretString"]
        except (BotoCoreError, ClientError):
            return None
