"""Offline plan of every stack: where each secret lands, each environment's protection, what is set.

    python -m tools.plan [--json | --markdown | --matrix] [--stack NAME ...] [--base GIT_REF] [--dir DIR]
                         [--require-secrets]

Runs each stack's real program under Pulumi's mock runtime (no CLI, credentials or network) with
placeholder secrets, so it checks the non-secret config, the routing and the mistakes that span
stacks (two stacks owning one GitHub environment or writing one Vercel key to overlapping targets).
It never prints a value. Exits 1 when a stack file is broken or invalid, when stacks collide, or
(with --require-secrets) when a stack's encrypted config lacks a secret; every problem is listed.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml

from infra.config.errors import ConfigError
from infra.config.schema import secret_keys
from infra.tables.github_plans import PLAN_KEY, PLANS, VISIBILITIES, VISIBILITY_KEY, Plan
from infra.tables.routes import EXTRA_SECRETS_KEY, ROUTES
from infra.tables.secret_keys import BY_KEY, SECRET_KEYS, set_secret_command
from infra.tables.tiers import TIERS, profile_for
from infra.tables.type_tokens import (
    BRANCH_POLICY,
    ENVIRONMENT,
    ENVIRONMENT_SECRET,
    PROJECT,
    RULESET,
    VERCEL_VARIABLE,
    full_key,
)
from tools import evaluator
from tools.ci_layout import CiLayout, CiLayoutError, environment_names, layout
from tools.fakes import placeholder_secrets

DEFAULT_INFRA_REPOSITORY = "tenantguard/tenantguard-infra"
"""This repository on GitHub, unless --infra-repository says otherwise."""
WIDTH = 100
"""Text output fits a terminal this wide."""
ONLINE_ONLY = (
    "other copies of each credential: repository, organization and Dependabot secrets under a managed or legacy "
    "name, and secrets in the stack's environment it does not manage (the shadow-secret check, which GitHub answers)",
    "that the reviewer teams exist (their ids here are placeholders)",
    "that each repository's visibility is the stack's repositoryVisibility (a difference stops the run before "
    "anything is written)",
    "the production-database guard on the real URLs (the secrets here are placeholders)",
)
"""What the plan cannot check without GitHub and the real secrets; `pulumi preview` checks it."""
ONLINE_ONLY_TITLE = "Checked only online, by `pulumi preview` and `pulumi up` (this plan cannot see GitHub):"


class StackFileError(ValueError):
    """A stack file that cannot be read; the message names the file and, for YAML, the line."""


@dataclass
class StackPlan:
    stack: str
    errors: list[str] = field(default_factory=list)
    tier: str = ""
    environment: str = ""
    owner: str = ""
    repositories: list[str] = field(default_factory=list)
    github_plan: str = ""
    visibility: str = ""
    """The repositories' visibility the stack declares (and every preview and update checks against GitHub)."""
    gate: str = ""
    """What approves a deployment to the stack's environments, on that plan and visibility."""
    ruleset: bool = False
    """A branch ruleset stands in for environment reviewers the plan does not have."""
    reviewers: list[str] = field(default_factory=list)
    branches: list[str] = field(default_factory=list)
    wait_timer_minutes: int = 0
    prevent_self_review: bool = False
    admins_bypass: bool = True
    protected: bool = False
    ci: str = ""
    """How the stack's pull requests, deploys and drift checks are gated in this repository (tools/ci_layout.py)."""
    github_secrets: list[str] = field(default_factory=list)
    vercel: dict[str, str] = field(default_factory=dict)
    """Vercel key -> where it lands, e.g. `preview@staging`."""
    vercel_project: str = ""
    """`team/project` the variables belong to."""
    vercel_team: str = ""
    """The Vercel team the stack's provider works in (its token's reach), or `(personal account)`."""
    vercel_places: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """Vercel key -> the (target or custom environment, git branch) pairs it is written to."""
    migration: str = ""
    guard: str = ""
    session_key: str = ""
    secrets_set: list[str] = field(default_factory=list)
    """Secret config keys the stack file holds encrypted (`secure:`)."""
    secrets_missing: list[str] = field(default_factory=list)
    """Secret config keys the stack file lacks: a real run fails until they are set."""
    extra_secrets: list[str] = field(default_factory=list)
    reference: str = ""
    outputs: dict[str, Any] = field(default_factory=dict, repr=False)
    """The stack's outputs, for the stacks that reference it."""

    @property
    def ok(self) -> bool:
        return not self.errors


_SECRET_LIKE = re.compile(r"token|password|passphrase|secret|api_?key|private_?key|credential", re.IGNORECASE)


def read_stack_file(stack: str, directory: Path) -> dict[str, Any]:
    """The project's config block of a stack file, as written (secure values still wrapped)."""
    return {
        key.split(":", 1)[1]: value
        for key, value in _read_config(stack, directory).items()
        if key.startswith(f"{PROJECT}:")
    }


def other_plaintext_secrets(stack: str, directory: Path) -> list[str]:
    """Keys of other namespaces (a provider's `vercel:apiToken`, ...) whose name says secret, held in plaintext."""
    return sorted(
        key
        for key, value in _read_config(stack, directory).items()
        if not key.startswith(f"{PROJECT}:") and _SECRET_LIKE.search(key.split(":")[-1]) and not _is_secure(value)
    )


def _read_config(stack: str, directory: Path) -> dict[str, Any]:
    """The whole `config:` block of a stack file, every namespace."""
    path = evaluator.stack_file(stack, directory)
    try:
        document = evaluator.load_stack_yaml(path.read_text()) or {}
    except FileNotFoundError:
        known = ", ".join(evaluator.known_stacks(directory))
        raise StackFileError(f"no stack file {path.name} in {directory}; known stacks: {known}") from None
    except yaml.YAMLError as error:
        # The context mark is where the broken construct starts (an unclosed `[`), the problem mark
        # where the parser gave up; name both.
        problem = getattr(error, "problem", None) or "not valid YAML"
        marks = [getattr(error, name, None) for name in ("context_mark", "problem_mark")]
        lines = sorted({mark.line + 1 for mark in marks if mark is not None})
        where = f"{path.name}, line {' to '.join(map(str, lines))}" if lines else path.name
        context = getattr(error, "context", None)
        raise StackFileError(f"{where}: {problem}" + (f" ({context})" if context else "")) from None
    if not isinstance(document, dict) or not isinstance(document.get("config") or {}, dict):
        raise StackFileError(f"{path.name}: expected a mapping with a `config:` mapping")
    return dict(document.get("config") or {})


def _plaintext_leaves(value: Any, path: str) -> Iterator[str]:
    """Config paths below `path` that hold a value not wrapped as `secure:`."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return
        for key, item in value.items():
            yield from _plaintext_leaves(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _plaintext_leaves(item, f"{path}[{index}]")
    elif value is not None:
        yield path


_CIPHERTEXT = re.compile(r"[A-Za-z0-9+/=:_-]+")
"""What Pulumi's ciphertexts are made of (base64, `v1:` prefixes): a URL or a sentence is not one."""


def _is_secure(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"secure"} and bool(_CIPHERTEXT.fullmatch(str(value["secure"])))


def _plaintext_secret(name: str, key: str, stack: str) -> str:
    """What to do about a secret found in plaintext: anyone who saw the file has it, so a new value, encrypted."""
    return (
        f"{name} is in Pulumi.{stack}.yaml as plaintext: if that file was ever committed or shared, rotate it; "
        f"then set the (new) value encrypted with `{set_secret_command(key, stack)}`, which asks for it and "
        "replaces the plaintext"
    )


def secret_status(stack: str, config: Mapping[str, Any], plan: StackPlan) -> None:
    """Which secret keys the file holds encrypted or lacks; an error for any plaintext at any depth."""
    for key in secret_keys():
        if key not in config:
            plan.secrets_missing.append(key)
        elif _is_secure(config[key]):
            plan.secrets_set.append(key)
        else:
            plan.errors.append(_plaintext_secret(full_key(key), key, stack))
    extras = config.get(EXTRA_SECRETS_KEY, {})
    if extras and not isinstance(extras, dict):
        plan.errors.append(f"{full_key(EXTRA_SECRETS_KEY)} in Pulumi.{stack}.yaml must be a map of names")
        return
    plan.extra_secrets = sorted(extras or {})
    for path in _plaintext_leaves(extras or {}, EXTRA_SECRETS_KEY):
        plan.errors.append(_plaintext_secret(full_key(path), path, stack))


def _as_program_config(config: Mapping[str, Any]) -> dict[str, str]:
    """Config as Pulumi hands it to the program: strings, structured values as JSON."""
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()}


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
        plan.errors.append(_plaintext_secret(key, key, stack))
    if plan.errors:
        return plan
    declared_secret = set(secret_keys())
    placeholders = placeholder_secrets(stack, plan.extra_secrets)
    values = {key: value for key, value in _as_program_config(config).items() if key not in declared_secret}
    values.update(placeholders)
    plan.reference = values.get("productionStack", "")
    # Keys the file holds encrypted are secret to the program too (Pulumi decrypts them for it), declared or not.
    encrypted = {key for key, value in config.items() if _is_secure(value)}
    try:
        evaluation = evaluator.evaluate(stack, values, set(placeholders) | encrypted, stack_outputs=references)
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
    plan.environment = str(evaluation.outputs["environmentName"])
    plan.owner = values.get("githubOwner", "")
    plan.repositories = sorted(state["repository"] for state in environments)
    plan.github_plan = values.get(PLAN_KEY, "")
    plan.visibility = values.get(VISIBILITY_KEY, "private")
    gates = evaluation.outputs.get("approvalGates") or {}
    plan.gate = next(iter(gates.values()), "")
    plan.ruleset = bool(evaluation.of_type(RULESET))
    plan.reviewers = list(json.loads(values.get("reviewerTeams", "[]")))
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
        guarded = {secret_key.key for secret_key in SECRET_KEYS if secret_key.production_guard}
        names = sorted({route.name for route in ROUTES if route.source in guarded})
        plan.guard = (
            f"on: {', '.join(names)} and any other secret holding a PostgreSQL URL, compared with {plan.reference}"
        )
    elif profile is not None and profile.exports_fingerprint:
        plan.guard = "exports the production fingerprint the other stacks compare with"
    plan.session_key = str(evaluation.outputs.get("sessionKeyRotation", ""))


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


def owner_plan(owner: str, directory: Path) -> Plan | None:
    """The GitHub plan the stack files give `owner` (githubPlan of the stacks whose githubOwner it is), if any.

    Stacks of one owner that disagree are a collision (`collisions`); the first stack file's answer is given here.
    """
    for stack in evaluator.known_stacks(directory):
        try:
            config = read_stack_file(stack, directory)
        except StackFileError:
            continue
        plan = config.get(PLAN_KEY)
        if str(config.get("githubOwner", "")).casefold() == owner.casefold() and plan in PLANS:
            return cast(Plan, plan)
    return None


def collisions(plans: Sequence[StackPlan]) -> list[str]:
    """Mistakes no single stack shows: one GitHub environment or one Vercel variable owned by two stacks."""
    problems: list[str] = []
    valid = [plan for plan in plans if plan.ok]
    for index, first in enumerate(plans):
        for second in plans[index + 1 :]:
            shared_ci = set(environment_names(first.stack)) & set(environment_names(second.stack))
            if shared_ci:
                problems.append(
                    f"stacks {first.stack} and {second.stack} would share this repository's CI environment "
                    f"{', '.join(sorted(shared_ci))}, and so each other's keys and tokens; rename one"
                )
    for index, first in enumerate(valid):
        for second in valid[index + 1 :]:
            if first.owner.casefold() == second.owner.casefold() and first.github_plan != second.github_plan:
                problems.append(
                    f"stacks {first.stack} and {second.stack} give the GitHub owner {first.owner} different plans "
                    f"({full_key(PLAN_KEY)}: {first.github_plan} and {second.github_plan}); an owner has one plan: "
                    "set the one GitHub shows (Settings, Billing and plans) in both"
                )
            # GitHub compares owner, repository and environment names case-insensitively.
            shared = {r.casefold() for r in first.repositories} & {r.casefold() for r in second.repositories}
            same_owner = first.owner.casefold() == second.owner.casefold()
            if same_owner and shared and first.environment.casefold() == second.environment.casefold():
                problems.append(
                    f"stacks {first.stack} and {second.stack} both own GitHub environment "
                    f"{first.environment!r} in {first.owner}/{', '.join(sorted(shared))}: one would overwrite "
                    "the other's secrets and protection; give each stack its own environmentName"
                )
            problems += _shared_vercel_team(first, second)
            if first.vercel_project != second.vercel_project:
                continue
            for key in sorted(set(first.vercel_places) & set(second.vercel_places)):
                overlap = sorted(set(first.vercel_places[key]) & set(second.vercel_places[key]))
                if overlap:
                    where = ", ".join(f"{place}@{branch}" if branch else place for place, branch in overlap)
                    problems.append(
                        f"stacks {first.stack} and {second.stack} both write Vercel variable {key} of "
                        f"project {first.vercel_project} to {where}: deployments would read whichever was "
                        f"written last; {_separate_vercel_places(first, second)}"
                    )
    return problems


def _shared_vercel_team(first: StackPlan, second: StackPlan) -> list[str]:
    """A tier that needs a Vercel team of its own, sharing it with a stack of another tier.

    The provider reads the team on start (terraform-provider-vercel vercel/provider.go, `Configure`
    calls `GetTeam`), so its token reaches the whole team; and a Vercel token is scoped to an account,
    a team or a project, never a target (https://vercel.com/docs/accounts/access-tokens). The token a
    staging pull request's preview holds, with no reviewer, could then rewrite production's variables.
    """
    profiles = [profile_for(first.tier), profile_for(second.tier)]
    if first.tier == second.tier or first.vercel_team != second.vercel_team:
        return []
    guarded = [
        plan for plan, profile in zip((first, second), profiles, strict=True) if profile and profile.own_vercel_team
    ]
    if not guarded:
        return []
    other = second if guarded[0] is first else first
    return [
        f"stacks {first.stack} and {second.stack} use the same Vercel team {first.vercel_team}, but the "
        f"{guarded[0].tier} tier needs one of its own: the Vercel token {other.stack}'s CI holds (its pull-request "
        f"previews run without a reviewer) could write {guarded[0].stack}'s variables, as a Vercel token "
        f"reaches a whole team, never one target; move {guarded[0].stack} to a Vercel team no other tier uses"
    ]


def _separate_vercel_places(first: StackPlan, second: StackPlan) -> str:
    """The fix for two stacks writing one Vercel variable, in what their tiers accept."""
    narrowed = [
        plan.stack
        for plan in (first, second)
        if (profile := profile_for(plan.tier)) is not None and profile.vercel_branch_scope != "refused"
    ]
    if narrowed:
        return f"give {' or '.join(narrowed)} a vercelGitBranch or custom environment of its own"
    # Tiers that refuse a git branch write whole targets: only another project separates them.
    return "give one a Vercel project of its own (vercelProjectId, e.g. prj_...)"


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


def matrix_changes(base: Mapping[str, Mapping[str, str]], head: Mapping[str, Mapping[str, str]]) -> list[str]:
    """What a change does to where secrets land: one line per cell added, removed or moved."""
    changes = []
    for name in [*head, *(name for name in base if name not in head)]:
        stacks = [*head.get(name, {}), *(s for s in base.get(name, {}) if s not in head.get(name, {}))]
        for stack in stacks:
            before, after = base.get(name, {}).get(stack, "-"), head.get(name, {}).get(stack, "-")
            if before == after:
                continue
            if before == "-":
                changes.append(f"+ {name} in {stack}: {after}")
            elif after == "-":
                changes.append(f"- {name} in {stack}: was {before}")
            else:
                changes.append(f"~ {name} in {stack}: {before} -> {after}")
    return changes


def base_matrix(ref: str, directory: Path) -> dict[str, dict[str, str]]:
    """The matrix at another commit: that commit's own program and stack files, planned by its own code."""
    with tempfile.TemporaryDirectory(prefix="tenantguard-base-") as checkout:
        subprocess.run(  # noqa: S603 - git with a ref the operator gave
            ["git", "-C", str(directory), "worktree", "add", "--quiet", "--detach", checkout, ref],  # noqa: S607
            check=True,
            capture_output=True,
        )
        try:
            result = subprocess.run(  # noqa: S603 - this repository's own plan at the base commit
                [sys.executable, "-m", "tools.plan", "--json", "--dir", checkout],
                cwd=checkout,
                capture_output=True,
                text=True,
                check=False,
            )
        finally:
            subprocess.run(  # noqa: S603
                ["git", "-C", str(directory), "worktree", "remove", "--force", checkout],  # noqa: S607
                check=False,
                capture_output=True,
            )
    try:
        document = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise StackFileError(f"the plan at {ref} did not run: {result.stderr.strip()[-300:]}") from None
    return dict(document["matrix"])


def as_json(
    plans: Sequence[StackPlan], problems: Sequence[str] = (), changes: Sequence[str] | None = None
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "matrix": matrix(plans),
        "collisions": list(problems),
        "onlineOnly": list(ONLINE_ONLY),
        "stacks": {
            plan.stack: {
                "ok": plan.ok,
                "errors": plan.errors,
                "tier": plan.tier,
                "environment": plan.environment,
                "repositories": plan.repositories,
                "githubPlan": plan.github_plan,
                "repositoryVisibility": plan.visibility,
                "approvalGate": plan.gate,
                "ci": plan.ci,
                "protection": {
                    "ruleset": plan.ruleset,
                    "reviewerTeams": plan.reviewers,
                    "branches": plan.branches,
                    "waitTimerMinutes": plan.wait_timer_minutes,
                    "preventSelfReview": plan.prevent_self_review,
                    "adminsBypass": plan.admins_bypass,
                    "protected": plan.protected,
                },
                "secrets": {"set": plan.secrets_set, "missing": plan.secrets_missing, "extra": plan.extra_secrets},
                "productionDatabaseGuard": plan.guard,
                "sessionKey": plan.session_key,
                "migrationRevision": plan.migration,
            }
            for plan in plans
        },
    }
    if changes is not None:
        document["changes"] = list(changes)
    return document


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return lines


def _column_groups(plans: Sequence[StackPlan], rows: Mapping[str, Mapping[str, str]]) -> list[list[StackPlan]]:
    """Stacks split into groups whose table fits WIDTH columns."""
    first = max([len("secret"), *(len(name) for name in rows)])
    groups: list[list[StackPlan]] = [[]]
    used = first
    for plan in plans:
        width = 2 + max([len(plan.stack), *(len(cells[plan.stack]) for cells in rows.values())])
        if groups[-1] and used + width > WIDTH:
            groups.append([])
            used = first
        groups[-1].append(plan)
        used += width
    return groups


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ", break_on_hyphens=False)


def as_text(
    plans: Sequence[StackPlan],
    problems: Sequence[str],
    changes: Sequence[str] | None = None,
    infra: InfraRepository | None = None,
) -> str:
    rows = matrix(plans)
    lines = ["Where each secret lands (gh: GitHub environment secret, vercel: targets[@git branch])"]
    for group in _column_groups(plans, rows):
        table = [["secret", *[plan.stack for plan in group]]]
        table += [[name, *(cells[plan.stack] for plan in group)] for name, cells in rows.items()]
        lines += ["", *_table(table)]
    if changes is not None:
        lines += ["", "Changes to the matrix against the base", *(f"  {change}" for change in changes or ["(none)"])]
    if problems:
        lines += ["", "Stacks that collide"]
        for problem in problems:
            lines += _wrap(f"- {problem}", "  ")
    lines += ["", "Stacks"]
    if infra is not None:
        lines += _wrap(f"(CI below: {infra.describe()})", "  ")
    for plan in plans:
        if not plan.ok:
            lines.append(f"  {plan.stack}: INVALID")
            for error in plan.errors:
                lines += _wrap(f"- {error}", "    ")
            continue
        lines.append(
            f"  {plan.stack} ({plan.tier}): environment {plan.environment!r} in {', '.join(plan.repositories)}"
        )
        details = [
            f"GitHub {plan.github_plan}, {plan.visibility} repositories: {plan.gate}",
            f"branches: {', '.join(plan.branches)}; {'protected' if plan.protected else 'unprotected'}",
            f"CI: {plan.ci}",
            f"migration target: {plan.migration}; production-database guard: {plan.guard or 'off'}",
            f"session key: {plan.session_key}",
            f"secrets set: {', '.join(plan.secrets_set) or 'none'}; "
            f"missing: {', '.join(plan.secrets_missing) or 'none'}",
        ]
        for detail in details:
            lines += _wrap(detail, "    ")
    lines += ["", ONLINE_ONLY_TITLE]
    for check in ONLINE_ONLY:
        lines += _wrap(f"- {check}", "  ")
    return "\n".join(lines)


def missing_secret_commands(plans: Sequence[StackPlan]) -> list[str]:
    """The command for each missing key; a key every stack shares is read from its file, never asked for."""
    commands = []
    for plan in plans:
        for key in plan.secrets_missing:
            secret_key = BY_KEY.get(key)
            source = secret_key.kind.read_from if secret_key else None
            command = set_secret_command(key, plan.stack)
            commands.append(f"{command} < {source}" if source else command)
    return commands


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


def tier_order(stacks: Sequence[str], directory: Path) -> list[str]:
    """Stacks in the order changes travel (preview, staging, production tiers), by name within a tier."""

    def key(stack: str) -> tuple[int, str]:
        try:
            tier = str(read_stack_file(stack, directory).get("tier", ""))
        except StackFileError:
            tier = ""
        return (TIERS.index(tier) if tier in TIERS else len(TIERS), stack)

    return sorted(stacks, key=key)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.plan", description=__doc__.split("\n\n")[0])
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print JSON for machines")
    output.add_argument("--markdown", action="store_true", help="print Markdown for a PR comment or job summary")
    output.add_argument("--matrix", action="store_true", help="print the stack lists the workflows' matrices use")
    parser.add_argument("--stack", action="append", help="plan only this stack (repeatable); default: every stack file")
    parser.add_argument("--base", metavar="GIT_REF", help="also show what changed against this commit")
    parser.add_argument(
        "--require-secrets", action="store_true", help="exit 1 when a stack file lacks an encrypted secret"
    )
    parser.add_argument("--dir", type=Path, default=evaluator.ROOT, help="directory holding the stack files")
    parser.add_argument(
        "--infra-repository",
        default=DEFAULT_INFRA_REPOSITORY,
        metavar="OWNER/REPO",
        help=f"this repository, whose CI environments the plan describes (default {DEFAULT_INFRA_REPOSITORY})",
    )
    parser.add_argument(
        "--infra-visibility",
        default="private",
        help="this repository's visibility on GitHub (default private: the strictest case); anything else but "
        "public or internal counts as private",
    )
    args = parser.parse_args(argv)
    visibility = args.infra_visibility if args.infra_visibility in VISIBILITIES else "private"
    infra = InfraRepository.of(args.infra_repository, visibility, args.dir)
    known = evaluator.known_stacks(args.dir)
    stacks = tier_order(args.stack or known, args.dir)
    plans = plan_all(stacks, args.dir, known)
    problems = collisions(plan_all(tier_order(known, args.dir), args.dir, known)) if args.stack else collisions(plans)
    changes = base = None
    if args.base:
        try:
            planned = {plan.stack for plan in plans}
            base = {
                name: {stack: cell for stack, cell in cells.items() if stack in planned}
                for name, cells in base_matrix(args.base, args.dir).items()
            }
            changes = matrix_changes(base, matrix(plans))
        except (StackFileError, subprocess.CalledProcessError) as error:
            problems = [*problems, f"cannot compare with {args.base}: {error}"]
    for stack_plan in plans:
        if stack_plan.ok:
            ci = infra.layout(stack_plan)
            stack_plan.ci = ci.summary if ci else f"none: {infra.name} can have no environments on its plan"
    if args.matrix:
        print(json.dumps(matrix_for_workflows(plans, infra)))
    elif args.json:
        print(json.dumps(as_json(plans, problems, changes), indent=2))
    elif args.markdown:
        from tools.plan_markdown import as_markdown  # noqa: PLC0415 - only the PR comment needs it

        print(as_markdown(plans, problems, matrix(plans), base))
    else:
        print(as_text(plans, problems, changes, infra))
    failed = not all(plan.ok for plan in plans) or bool(problems)
    if args.require_secrets and (commands := missing_secret_commands(plans)):
        print(
            "Encrypted config missing; set it with these (each asks for its value or reads its file), "
            "then commit the stack files:",
            file=sys.stderr,
        )
        for command in commands:
            print(f"  {command}", file=sys.stderr)
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
