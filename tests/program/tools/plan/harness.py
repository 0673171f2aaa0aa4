"""Helpers the plan's tests share: edit a copied stack file, run the command line, encrypt every secret; plans and
baselines built by hand for the renderers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.config.schema import secret_keys
from tools import evaluator
from tools.plan.cli import main as plan_main
from tools.plan.model import Baseline, StackPlan, matrix


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


ROUTED = ("CI_DB_URL", "VERCEL_TOKEN", "REDIS_URL")


def plan_of(
    name: str,
    *,
    environment: str | None = None,
    repositories: tuple[str, ...] = ("tenantguard", "tenantguard-worker"),
    extra: tuple[str, ...] = (),
    branch: str = "",
) -> StackPlan:
    """A valid stack's plan as the evaluation reads it back: GitHub secrets in its environment, Vercel variables."""
    place = "preview" + (f"@{branch}" if branch else "")
    return StackPlan(
        name,
        tier="staging",
        environment=environment or name,
        owner="tenantguard",
        repositories=list(repositories),
        github_plan="team",
        visibility="private",
        branches=[branch or name],
        github_secrets=sorted([*ROUTED, *extra]),
        vercel={"REDIS_URL": place, "DATABASE_URL": place, **dict.fromkeys(extra, place)},
    )


def baseline(plans: list[StackPlan]) -> Baseline:
    """What the base commit's plan would say, had it these plans."""
    return Baseline(
        matrix(plans),
        {plan.stack: list(plan.repositories) for plan in plans},
        {plan.stack: plan.owner for plan in plans},
    )
