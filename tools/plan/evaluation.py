"""Each stack's real program evaluated offline with placeholder secrets, and what it declared read back as a plan."""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from infra.config.errors import ConfigError
from infra.config.rules.session_key import PREVIOUS_UNTIL, parse_date
from infra.config.schema import secret_keys
from infra.tables.github_plans import PLAN_KEY, VISIBILITY_KEY
from infra.tables.how_to import RETIRE_PREVIOUS_SESSION_KEY
from infra.tables.tiers import profile_for
from infra.tables.type_tokens import (
    BRANCH_POLICY,
    ENVIRONMENT,
    ENVIRONMENT_SECRET,
    PROJECT,
    RULESET,
    VERCEL_VARIABLE,
)
from tools import evaluator
from tools.github_listings import GitHubListings
from tools.plan import counters
from tools.plan.gates import NO_GATE, NOT_NEEDED, registered_gates
from tools.plan.model import StackPlan
from tools.plan.placeholders import placeholder_secrets
from tools.plan.stack_files import (
    StackFileError,
    generated_keys,
    is_secure,
    other_plaintext_secrets,
    plaintext_secret,
    read_stack_file,
    secret_status,
)


def _as_program_config(config: Mapping[str, Any]) -> dict[str, str]:
    """Config as Pulumi hands it to the program: strings, structured values as JSON."""
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()}


def _repositories(values: Mapping[str, str]) -> list[str]:
    try:
        repositories = json.loads(values.get("repositories", "[]"))
    except json.JSONDecodeError:
        return []
    return [str(name) for name in repositories] if isinstance(repositories, list) else []


def plan_stack(stack: str, directory: Path, references: Mapping[str, Mapping[str, Any]]) -> StackPlan:
    """Plan one stack; `references` answer its StackReference (by stack reference name)."""
    plan = StackPlan(stack)
    try:
        config = read_stack_file(stack, directory)
    except StackFileError as broken:
        plan.errors.append(str(broken))
        return plan
    secret_status(stack, config, plan)
    for key in other_plaintext_secrets(stack, directory):
        plan.errors.append(plaintext_secret(key, key, stack))
    if plan.errors:
        return plan
    declared_secret = set(secret_keys())
    placeholders = placeholder_secrets(stack, plan.extra_names_as_written)
    for key in generated_keys(config):
        del placeholders[key]  # the stack composes these itself
    values = {key: value for key, value in _as_program_config(config).items() if key not in declared_secret}
    values.update(placeholders)
    plan.reference = values.get("productionStack", "")
    # Keys the file holds encrypted are secret to the program too (Pulumi decrypts them for it), declared or not.
    encrypted = {key for key, value in config.items() if is_secure(value)}
    # GitHub's answers are the declared ones: what the repositories really are is checked online, before anything
    # is written (infra/guard/repository_visibility.py), which this plan cannot do.
    declared = GitHubListings(visibility=dict.fromkeys(_repositories(values), values.get(VISIBILITY_KEY, "private")))
    try:
        evaluation = evaluator.evaluate(
            stack, values, set(placeholders) | encrypted, stack_outputs=references, github_secrets=declared
        )
    except evaluator.ProgramFailedError as failure:
        invalid = failure.cause.__cause__  # __main__.py raises the RunError from the ConfigError
        plan.errors.extend(invalid.problems if isinstance(invalid, ConfigError) else [str(failure.cause)])
        return plan
    describe(plan, evaluation, values)
    plan.outputs = dict(evaluation.outputs)
    return plan


def describe(plan: StackPlan, evaluation: evaluator.Evaluation, values: Mapping[str, str]) -> None:
    environments = [evaluation.inputs[urn] for urn in evaluation.urns(ENVIRONMENT)]
    plan.tier = values.get("tier", "")
    plan.counters = counters.read(values)
    plan.environment = str(evaluation.outputs["environmentName"])
    plan.owner = values.get("githubOwner", "")
    plan.repositories = sorted(state["repository"] for state in environments)
    plan.github_plan = values.get(PLAN_KEY, "")
    plan.visibility = values.get(VISIBILITY_KEY, "private")
    plan.reviewers = list(json.loads(values.get("reviewerTeams", "[]")))
    plan.gates = registered_gates(evaluation, {evaluator.team_id(slug): slug for slug in plan.reviewers})
    profile = profile_for(values.get("tier", ""))
    if profile is not None and not profile.approval_gate_required:
        plan.gates = {repo: NOT_NEEDED if gate == NO_GATE else gate for repo, gate in plan.gates.items()}
    distinct = sorted(set(plan.gates.values()))
    plan.gate = distinct[0] if len(distinct) == 1 else "; ".join(f"{r}: {g}" for r, g in sorted(plan.gates.items()))
    if profile is not None and profile.approval_gate_required:
        for repository, gate in sorted(plan.gates.items()):
            if gate == NO_GATE:
                plan.errors.append(
                    f"{plan.owner}/{repository}: the {plan.environment} environment has no approval gate among the "
                    "registered resources (no reviewers, and no active ruleset requiring the reviewer teams on its "
                    "branches); the program must declare one"
                )
    plan.ruleset = bool(evaluation.of_type(RULESET))
    plan.branches = sorted({r.state["branchPattern"] for r in evaluation.of_type(BRANCH_POLICY)}) or ["(any branch)"]
    first = environments[0]
    plan.wait_timer_minutes = int(first.get("waitTimer") or 0)
    plan.prevent_self_review = bool(first.get("preventSelfReview"))
    plan.admins_bypass = first.get("canAdminsBypass") is not False
    plan.protected = all(evaluation.options[urn].protect for urn in evaluation.urns(ENVIRONMENT))
    plan.github_secrets = sorted({r.state["secretName"] for r in evaluation.of_type(ENVIRONMENT_SECRET)})
    for variable in evaluation.of_type(VERCEL_VARIABLE):
        state = variable.state
        places = list(state.get("targets") or []) or [f"env:{e}" for e in state.get("customEnvironmentIds") or []]
        branch = state.get("gitBranch") or ""
        plan.vercel[state["key"]] = ",".join(places) + (f"@{branch}" if branch else "")
        plan.vercel_places[state["key"]] = [(place, branch) for place in places]
        plan.vercel_project = f"{state.get('teamId') or '(personal)'}/{state['projectId']}"
    plan.vercel_team = values.get("vercelTeamId") or "(personal account)"
    enabled = evaluation.outputs.get("migrationsEnabled")
    plan.migration = f"{evaluation.outputs['migrationRevision']}" + ("" if enabled else " (disabled)")
    profile = profile_for(plan.tier)
    if profile is not None and profile.production_guard:
        acknowledged = len(json.loads(values.get("acknowledgedProductionServers") or "{}"))
        plan.guard = (
            f"on: every secret compared with {plan.reference}: refused where it names one of its databases "
            "(URLs, keyword strings, labelled fields, .pgpass lines), or one of its database servers in any format "
            f"unless acknowledged ({acknowledged} acknowledged)"
        )
    elif profile is not None and profile.exports_fingerprint:
        plan.guard = "exports the fingerprints of its databases and their servers the other stacks compare with"
    plan.session_key = str(evaluation.outputs.get("sessionKeyRotation", "")) + _window_passed(
        plan.stack, values.get(PREVIOUS_UNTIL, "")
    )
    plan.database_credentials = str(evaluation.outputs.get("databaseCredentials", ""))


def _window_passed(stack: str, until: str) -> str:
    """A reminder once the previous session key's last day (UTC) is behind us. The plan may read the clock; the
    program never does, so the key stays until its window is removed in a reviewed change."""
    day = parse_date(until)
    if day is None or datetime.datetime.now(datetime.UTC).date() <= day:
        return ""
    return (
        f"; its window ended on {day.isoformat()}: retire the previous key in a reviewed change "
        f"(`pulumi config rm --stack {stack} {PREVIOUS_UNTIL}`; {RETIRE_PREVIOUS_SESSION_KEY})"
    )


def _reference_target(reference: str, stacks: Sequence[str]) -> str | None:
    """The stack a `productionStack` reference names, when it is one of this project's stack files."""
    parts = reference.split("/")
    if len(parts) == 3 and parts[1] != PROJECT:
        return None
    return parts[-1] if parts[-1] in stacks else None


def plan_all(stacks: Sequence[str], directory: Path, known: Sequence[str] | None = None) -> list[StackPlan]:
    """Plan `stacks`; a stack another one references is evaluated first (planned even if not asked for)."""
    known = list(known if known is not None else evaluator.known_stacks(directory))
    plans: dict[str, StackPlan] = {}

    def run(stack: str, seen: tuple[str, ...] = ()) -> StackPlan:
        if stack in plans:
            return plans[stack]
        references: dict[str, Mapping[str, Any]] = {}
        try:
            reference = str(read_stack_file(stack, directory).get("productionStack") or "")
        except StackFileError:
            reference = ""
        target = _reference_target(reference, known)
        if target is not None and target not in seen and target != stack:
            referenced = run(target, (*seen, stack))
            if not referenced.ok:
                plans[stack] = StackPlan(
                    stack, errors=[f"cannot be planned until {target}, which it references, is valid"]
                )
                return plans[stack]
            references[reference] = referenced.outputs
        plans[stack] = plan_stack(stack, directory, references)
        return plans[stack]

    return [run(stack) for stack in stacks]
