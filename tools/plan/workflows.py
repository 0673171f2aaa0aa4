"""What the workflows read: this repository's CI environments per stack, and the stack lists of their matrices."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from infra.tables.github_plans import Plan
from infra.tables.tiers import profile_for
from tools.ci_layout import CiLayout, CiLayoutError, layout
from tools.plan.model import StackPlan
from tools.plan.stack_files import owner_plan

DEFAULT_INFRA_REPOSITORY = "tenantguard/tenantguard-infra"
"""This repository on GitHub, unless --infra-repository says otherwise."""


def matrix_for_workflows(plans: Sequence[StackPlan], infra: InfraRepository) -> dict[str, list[str]]:
    """Stack names for the workflows' matrices: the stacks ready to run, split by deploy order and by where their
    pull requests' live preview runs (tools/ci_layout.py).

    A stack whose file lacks an encrypted secret is not ready: CI could only fail on it ("missing
    configuration values"), so it is listed apart, for the workflows to say so, until its config is committed.
    """
    ready = [plan for plan in plans if plan.ok and not plan.secrets_missing]
    last = [p.stack for p in ready if (profile := profile_for(p.tier)) is not None and profile.deploys_last]
    layouts = {plan.stack: infra.layout(plan) for plan in ready}
    return {
        "all": [plan.stack for plan in ready],
        "early": [plan.stack for plan in ready if plan.stack not in last],
        "late": last,
        "previews": [stack for stack, ci in layouts.items() if ci is not None and ci.live_pull_request_preview],
        "previewedOnDeploy": [stack for stack, ci in layouts.items() if ci is None or not ci.live_pull_request_preview],
        "noDispatch": [stack for stack, ci in layouts.items() if ci is None or not ci.dispatch_allowed],
        "unready": [plan.stack for plan in plans if plan not in ready],
    }


@dataclass(frozen=True)
class InfraRepository:
    """This repository, as the workflows see it: its owner's plan (from the stack files) and its visibility."""

    name: str
    visibility: str
    plan: Plan | None

    @classmethod
    def of(cls, name: str, visibility: str, directory: Path) -> InfraRepository:
        return cls(name, visibility, owner_plan(name.split("/", maxsplit=1)[0], directory))

    def describe(self) -> str:
        plan = f"GitHub {self.plan}" if self.plan else "a GitHub plan no stack file names"
        return f"this repository, {self.name}, is {self.visibility} on {plan}"

    def layout(self, plan: StackPlan) -> CiLayout | None:
        """The stack's CI environments here, or None where this repository can have none (never previewed live)."""
        profile = profile_for(plan.tier)
        if profile is None:
            return None
        try:
            return layout(plan.stack, profile, self.plan, self.visibility, backend="s3", kms=False)
        except CiLayoutError:
            return None
