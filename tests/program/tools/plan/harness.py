"""Helpers the plan's tests share: edit a copied stack file, run the command line, encrypt every secret."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.config.schema import secret_keys
from tools import evaluator
from tools.plan.cli import main as plan_main


def edit(stack_dir: Path, stack: str, **config: Any) -> None:
    """Set (or, with None, remove) project config keys in a stack file."""
    path = evaluator.stack_file(stack, stack_dir)
    document = yaml.safe_load(path.read_text())
    for key, value in config.items():
        if value is None:
            document["config"].pop(f"tenantguard-infra:{key}", None)
        else:
            document["config"][f"tenantguard-infra:{key}"] = value
    path.write_text(yaml.safe_dump(document))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = plan_main(list(args))
    return status, capsys.readouterr().out


def encrypted(stack_dir: Path, stack: str) -> None:
    """The stack file as `pulumi config set --secret` leaves it once every secret is set."""
    edit(stack_dir, stack, **{key: {"secure": f"v1:AAAA{key}"} for key in secret_keys()})
