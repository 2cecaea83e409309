"""The Lambda code asset: the `functions` package and the catalogues, staged with no Docker bundling.

Runtime dependencies come from the Lambda runtime and the Powertools layer, so staging is a copy, plus the
modules' bytecode: /var/task is read-only, so without it every cold start compiles every module from source.
"""

from __future__ import annotations

import compileall
import py_compile
import shutil
from functools import lru_cache
from pathlib import Path

from aws_cdk import aws_lambda as lambda_

from infra.constants import PROJECT_ROOT

STAGING_DIR = PROJECT_ROOT / ".build" / "lambda"
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "tests")


@lru_cache(maxsize=4)
def stage(catalog: str = "catalogs") -> Path:
    """Copy functions/ and the catalogue into .build/lambda (recreated each synth, so it never goes stale)."""
    shutil.rmtree(STAGING_DIR, ignore_errors=True)
    shutil.copytree(PROJECT_ROOT / "functions", STAGING_DIR / "functions", ignore=_IGNORED)
    source = PROJECT_ROOT / catalog
    target = STAGING_DIR / "catalogs"
    if source.is_dir():
        shutil.copytree(source, target, ignore=_IGNORED)
    else:
        target.mkdir(parents=True)
        shutil.copy(source, target / source.name)
    # Checked against the source's hash, not its timestamp (which the asset zip does not keep), and named for
    # this interpreter (cpython-313): a runtime of another version ignores it and compiles as before.
    compileall.compile_dir(
        STAGING_DIR / "functions", quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
    )
    return STAGING_DIR


def lambda_code(catalog: str = "catalogs") -> lambda_.Code:
    return lambda_.Code.from_asset(str(stage(catalog)))
