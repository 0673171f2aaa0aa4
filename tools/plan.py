"""Offline plan of every stack: where each secret lands, each environment's protection, the migration target.

    python -m tools.plan [--json] [--stack NAME ...] [--dir DIR]

Runs each stack's real program under Pulumi's mock runtime (no CLI, credentials or network) with
placeholder secrets, so it checks the non-secret config and the routing; it never prints a value.
Exits 1, listing every problem, when a stack's configuration is invalid.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.config import full_key, secret_keys
from infra.routes import EXTRA_SECRETS_KEY, ROUTES
from infra.type_tokens import BRANCH_POLICY, ENVIRONMENT, ENVIRONMENT_SECRET, VERCEL_VARIABLE
from tools import evaluator
from tools.fakes import placeholder_secrets


def extra_secret_names(values: Mapping[str, str]) -> list[str]:
    """The extra secret names a stack file lists (`--path extraSecrets.NAME`); values never come from it."""
    try:
        extras = json.loads(values.get(EXTRA_SECRETS_KEY, "{}") or "{}")
    except json.JSONDecodeError:
        return []
    return list(extras) if isinstance(extras, dict) else []


@dataclass
class StackPlan:
    stack: str
    errors: list[str] = field(default_factory=list)
    tier: str = ""
    environment: str = ""
    repositories: list[str] = field(default_factory=list)
    reviewers: list[str] = field(default_factory=list)
    branches: list[str] = field(default_factory=list)
    wait_timer_minutes: int = 0
    prevent_self_review: bool = False
    admins_bypass: bool = True
    protected: bool = False
    github_secrets: list[str] = field(default_factory=list)
    vercel: dict[str, str] = field(default_factory=dict)
    """Vercel key -> where it lands, e.g. `preview@staging`."""
    migration: str = ""
    outputs: dict[str, Any] = field(default_factory=dict, repr=False)
    """The stack's outputs, for the stacks that reference it."""

    @property
    def ok(self) -> bool:
        return not self.errors


def plan_stack(stack: str, directory: Path, production_outputs: Mapping[str, Any]) -> StackPlan:
    """Plan one stack; `production_outputs` answer its StackReference to `productionStack`, if it has one."""
    plan = StackPlan(stack)
    try:
        values = evaluator.stack_config(stack, directory)
    except FileNotFoundError as missing:
        plan.errors.append(str(missing))
        return plan
    declared_secret = set(secret_keys())
    for key in sorted(declared_secret & set(values)):
        if not _encrypted(values[key]):
            plan.errors.append(
                f"{full_key(key)} is in Pulumi.{stack}.yaml as plaintext; remove it and "
                f"`pulumi config set --secret {key}` (and rotate it: it was committed)"
            )
    if plan.errors:
        return plan
    placeholders = placeholder_secrets(stack, extra_secret_names(values))
    values = {key: value for key, value in values.items() if key not in declared_secret}
    values.update(placeholders)
    reference = values.get("productionStack", "")
    references = {reference: production_outputs} if reference else {}
    try:
        evaluation = evaluator.evaluate(stack, values, set(placeholders), stack_outputs=references)
    except evaluator.ProgramFailedError as failure:
        plan.errors.extend(line.strip()[2:] for line in str(failure).splitlines()[1:] if line.strip())
        plan.errors = plan.errors or [str(failure)]
        return plan
    describe(plan, evaluation, values)
    plan.outputs = dict(evaluation.outputs)
    return plan


def _encrypted(raw: str) -> bool:
    """Whether a stack-file value is Pulumi's `{secure: ...}` ciphertext (as stack_config renders it)."""
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        return False
    return isinstance(value, dict) and set(value) == {"secure"}


def describe(plan: StackPlan, evaluation: evaluator.Evaluation, values: Mapping[str, str]) -> None:
    environments = [(urn, r.state) for urn, r in evaluation.resources.items() if f"{ENVIRONMENT}::" in urn]
    plan.tier = values.get("tier", "")
    plan.environment = str(evaluation.outputs["environmentName"])
    plan.repositories = sorted(state["repository"] for _, state in environments)
    plan.reviewers = list(json.loads(values.get("reviewerTeams", "[]")))
    plan.branches = sorted({r.state["branchPattern"] for r in evaluation.of_type(BRANCH_POLICY)}) or ["(any branch)"]
    first = environments[0][1]
    plan.wait_timer_minutes = int(first.get("waitTimer") or 0)
    plan.prevent_self_review = bool(first.get("preventSelfReview"))
    plan.admins_bypass = first.get("canAdminsBypass") is not False
    plan.protected = all(evaluation.options[urn].protect for urn, _ in environments)
    plan.github_secrets = sorted({r.state["secretName"] for r in evaluation.of_type(ENVIRONMENT_SECRET)})
    for variable in evaluation.of_type(VERCEL_VARIABLE):
        state = variable.state
        where = ",".join(state.get("targets") or state.get("customEnvironmentIds") or [])
        if state.get("gitBranch"):
            where += f"@{state['gitBranch']}"
        plan.vercel[state["key"]] = where
    enabled = evaluation.outputs.get("migrationsEnabled")
    plan.migration = f"{evaluation.outputs['migrationRevision']}" + ("" if enabled else " (disabled)")


def plan_all(stacks: Sequence[str], directory: Path) -> list[StackPlan]:
    """Plan the stacks; the production stack first, since the others read its outputs."""
    ordered = sorted(stacks, key=lambda stack: stack != "production")
    production_outputs: Mapping[str, Any] = {}
    plans: dict[str, StackPlan] = {}
    for stack in ordered:
        plans[stack] = plan_stack(stack, directory, production_outputs)
        if stack == "production":
            production_outputs = plans[stack].outputs
    return [plans[stack] for stack in stacks]


def matrix(plans: Sequence[StackPlan]) -> dict[str, dict[str, str]]:
    """Secret name -> stack -> where it lands (`gh:<environment>`, `vercel:<targets>`), `-` for nowhere."""
    names = [route.name for route in ROUTES]
    for plan in plans:
        names += [name for name in [*plan.github_secrets, *plan.vercel] if name not in names]
    rows: dict[str, dict[str, str]] = {}
    for name in names:
        rows[name] = {}
        for plan in plans:
            places = []
            if name in plan.github_secrets:
                places.append(f"gh:{plan.environment}")
            if name in plan.vercel:
                places.append(f"vercel:{plan.vercel[name]}")
            rows[name][plan.stack] = " + ".join(places) if plan.ok and places else ("-" if plan.ok else "?")
    return rows


def as_json(plans: Sequence[StackPlan]) -> dict[str, Any]:
    return {
        "matrix": matrix(plans),
        "stacks": {
            plan.stack: {
                "ok": plan.ok,
                "errors": plan.errors,
                "tier": plan.tier,
                "environment": plan.environment,
                "repositories": plan.repositories,
                "protection": {
                    "reviewerTeams": plan.reviewers,
                    "branches": plan.branches,
                    "waitTimerMinutes": plan.wait_timer_minutes,
                    "preventSelfReview": plan.prevent_self_review,
                    "adminsBypass": plan.admins_bypass,
                    "protected": plan.protected,
                },
                "migrationRevision": plan.migration,
            }
            for plan in plans
        },
    }


def as_text(plans: Sequence[StackPlan]) -> str:
    rows = matrix(plans)
    headers = ["secret", *[plan.stack for plan in plans]]
    table = [headers, *[[name, *cells.values()] for name, cells in rows.items()]]
    widths = [max(len(row[i]) for row in table) for i in range(len(headers))]
    lines = ["Where each secret lands (gh: GitHub environment secret, vercel: targets[@git branch])", ""]
    for index, row in enumerate(table):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    lines += ["", "Environments"]
    for plan in plans:
        if not plan.ok:
            lines.append(f"  {plan.stack}: INVALID")
            lines += [f"    - {error}" for error in plan.errors]
            continue
        lines.append(
            f"  {plan.stack} ({plan.tier}): environment {plan.environment!r} in {', '.join(plan.repositories)}; "
            f"reviewers: {', '.join(plan.reviewers) or 'none'}; branches: {', '.join(plan.branches)}; "
            f"wait timer: {plan.wait_timer_minutes} min; "
            f"self-review {'blocked' if plan.prevent_self_review else 'allowed'}; "
            f"admin bypass {'allowed' if plan.admins_bypass else 'blocked'}; "
            f"{'protected' if plan.protected else 'unprotected'}; migration target: {plan.migration}"
        )
    return "\n".join(lines)


def _tier_order(stack: str) -> tuple[int, str]:
    """preview, staging, production first, in the order changes travel; other stacks after, by name."""
    order = ["preview", "staging", "production"]
    return (order.index(stack) if stack in order else len(order), stack)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.plan", description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print JSON for machines")
    parser.add_argument("--stack", action="append", help="plan only this stack (repeatable); default: every stack file")
    parser.add_argument(
        "--dir", type=Path, default=evaluator.ROOT, help="directory holding the Pulumi.<stack>.yaml files"
    )
    args = parser.parse_args(argv)
    stacks = args.stack or sorted(evaluator.known_stacks(args.dir), key=_tier_order)
    plans = plan_all(stacks, args.dir)
    print(json.dumps(as_json(plans), indent=2) if args.json else as_text(plans))
    return 0 if all(plan.ok for plan in plans) else 1


if __name__ == "__main__":
    sys.exit(main())
