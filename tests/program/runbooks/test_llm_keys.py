"""docs/how-to/llm-keys.md, run as written: its config lines applied to the real staging program, its plan lines run
on a copy of the stack files they change."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret

from infra.config.errors import ConfigError
from infra.config.load import parse
from infra.tables import type_tokens as types
from tests import runbooks
from tests.fakes import stack_values
from tests.program.runbooks import harness
from tools import evaluator
from tools.github_listings import GitHubListings

pytestmark = pytest.mark.slow

Run = Callable[..., evaluator.Evaluation]
PAGE = "how-to/llm-keys.md"
ADD = "Add an LLM key"
REMOVE = "Remove an LLM key"
STACK = "staging"
NAME = "ANTHROPIC_API_KEY"
TYPED = "fake-anthropic-key-typed-at-the-prompt"
REPOSITORIES = ("tenantguard", "tenantguard-worker")
PLAN = f"./scripts/plan --stack {STACK}"
PLAN_REQUIRING_SECRETS = f"{PLAN} --require-secrets"
GH_SECRET_LIST = [f"gh secret list --env {STACK} --repo tenantguard/{repository}" for repository in REPOSITORIES]
STILL_IN_GITHUB = GitHubListings(environments={repo: {STACK: ["CI_DB_URL", NAME]} for repo in REPOSITORIES})
"""The environments while the update that removes the key runs: the shadow-secret check looks before deleting."""
GONE_FROM_GITHUB = GitHubListings(environments={repo: {STACK: ["CI_DB_URL"]} for repo in REPOSITORIES})


def before_you_start() -> list[str]:
    return runbooks.commands(PAGE, "Before you start")


def test_before_you_start_names_the_stack_s_own_passphrase_and_the_backend() -> None:
    assert harness.unknown(before_you_start(), harness.PASSPHRASE, harness.LOGIN) == []
    assert f"/{STACK}.passphrase" in before_you_start()[0]


def value_of(state: dict[str, object]) -> object:
    value = state["value"]
    return unwrap_rpc_secret(value) if is_rpc_secret(value) else value


def test_adding_a_key_creates_one_secret_per_app_repository_and_one_vercel_variable(run_stack: Run) -> None:
    lines = runbooks.commands(PAGE, "Steps", ADD)
    assert harness.unknown(lines, PLAN_REQUIRING_SECRETS) == []
    changes = harness.changes(PAGE, ADD, STACK)
    assert [(c.verb, c.key, c.secret, c.asked, c.stdin) for c in changes] == [
        ("set", f"extraSecrets.{NAME}", True, True, None)
    ]
    values = runbooks.applied(changes, stack_values(STACK)[0], {}, {f"extraSecrets.{NAME}": TYPED})

    before = run_stack(STACK)
    after = run_stack(STACK, {"extraSecrets": values["extraSecrets"]})

    assert harness.difference(before, after).names() == {
        "added": sorted([f"{repository}-secrets-{NAME}" for repository in REPOSITORIES] + [f"vercel-{NAME}"]),
        "removed": [],
        "changed": [],
    }
    secrets = [state for state in after.named(types.ENVIRONMENT_SECRET).values() if state["secretName"] == NAME]
    assert sorted((s["repository"], s["environment"], value_of(s)) for s in secrets) == [
        (repository, STACK, TYPED) for repository in REPOSITORIES
    ]
    assert all(is_rpc_secret(state["value"]) for state in secrets)
    variables = {state["key"]: state for state in after.named(types.VERCEL_VARIABLE).values()}
    # Delivered like REDIS_URL, the other secret both GitHub and Vercel get: the stack's targets and branch.
    redis = variables["REDIS_URL"]
    added = variables[NAME]
    assert (added["targets"], added.get("gitBranch"), added["projectId"]) == (
        ["preview"],
        STACK,
        redis["projectId"],
    )
    assert (redis["targets"], redis.get("gitBranch")) == (added["targets"], added.get("gitBranch"))
    assert added["sensitive"] is True
    assert value_of(added) == TYPED


def test_the_plan_lines_of_adding_a_key_show_it_set_and_where_it_lands(stack_dir: Path) -> None:
    for stack in ("production", STACK):
        harness.with_every_secret(stack_dir, stack)
    status, before = harness.run_plan(PLAN, stack_dir)
    assert status == 0, before
    assert NAME not in before

    harness.apply_to_stack_file(stack_dir, STACK, harness.changes(PAGE, ADD, STACK))
    status, output = harness.run_plan(PLAN_REQUIRING_SECRETS, stack_dir)
    assert status == 0, output
    assert landing(output) == f"gh:{STACK} + vercel:preview@{STACK}"
    verify = runbooks.commands(PAGE, "Verify", ADD)
    assert harness.unknown(verify, PLAN, *GH_SECRET_LIST) == []
    status, shown = harness.run_plan(PLAN, stack_dir)
    assert status == 0, shown
    assert landing(shown) == f"gh:{STACK} + vercel:preview@{STACK}"


def landing(plan: str) -> str:
    """Where the plan's table says the key lands."""
    row = next(line for line in plan.splitlines() if line.startswith(f"{NAME} "))
    return row.removeprefix(NAME).strip()


def removal_changes() -> tuple[list[runbooks.ConfigChange], list[runbooks.ConfigChange]]:
    """The procedure's two changes, each from its own `git switch -c`."""
    lines = runbooks.commands(PAGE, "Steps", REMOVE)
    assert harness.unknown(lines) == []
    first, second = harness.split_at(lines, harness.GIT[0])
    return runbooks.config_changes(first, STACK), runbooks.config_changes(second, STACK)


def configured_with_the_key() -> dict[str, str]:
    """The staging stack after the page's "Add an LLM key", beside the key it had."""
    values = stack_values(STACK)[0]
    return {**values, "extraSecrets": json.dumps({**harness.extras(values), NAME: TYPED})}


OVERRIDDEN = ("extraSecrets", "acknowledgedSecrets")


def overrides(values: dict[str, str]) -> dict[str, str | None]:
    return {key: values.get(key) for key in OVERRIDDEN}


def test_removing_a_key_deletes_its_secrets_and_variable_and_leaves_the_rest(run_stack: Run) -> None:
    first, _ = removal_changes()
    start = configured_with_the_key()
    removed = runbooks.applied(first, start, {})

    before = run_stack(STACK, overrides(start), github_secrets=STILL_IN_GITHUB)
    after = run_stack(STACK, overrides(removed), github_secrets=STILL_IN_GITHUB)

    assert harness.difference(before, after).names() == {
        "added": [],
        "removed": sorted([f"{repository}-secrets-{NAME}" for repository in REPOSITORIES] + [f"vercel-{NAME}"]),
        "changed": [],
    }
    acknowledged = [line for line in after.logs if line.startswith("acknowledged (being removed)")]
    assert len(acknowledged) == len(REPOSITORIES)


def test_removing_a_key_without_its_acknowledgements_stops_and_names_this_section(run_stack: Run) -> None:
    first, _ = removal_changes()
    without = runbooks.applied([change for change in first if change.key.startswith("extraSecrets")], {}, {})
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack(STACK, {"extraSecrets": without.get("extraSecrets")}, github_secrets=STILL_IN_GITHUB)
    assert f"environment secret {NAME}: not managed by this stack" in str(failure.value)
    assert f"docs/{PAGE}#{runbooks.anchor(REMOVE)}" in str(failure.value)


def test_acknowledging_before_removing_the_key_is_refused_and_names_this_section() -> None:
    first, _ = removal_changes()
    acknowledged_only = runbooks.applied([c for c in first if c.key.startswith("acknowledged")], {}, {})
    values = stack_values(STACK, {**overrides(configured_with_the_key()), **acknowledged_only})
    with pytest.raises(ConfigError) as refused:
        parse(STACK, *values)
    assert f"{NAME} is this stack's own environment secret" in str(refused.value)
    assert f"docs/{PAGE}#{runbooks.anchor(REMOVE)}" in str(refused.value)


def test_the_second_change_removes_acknowledgements_that_match_nothing_once_the_key_is_gone(run_stack: Run) -> None:
    first, second = removal_changes()
    removed = runbooks.applied(first, configured_with_the_key(), {})
    cleaned = runbooks.applied(second, removed, {})
    assert json.loads(cleaned.get("acknowledgedSecrets") or "{}") == {}

    stale = run_stack(STACK, overrides(removed), github_secrets=GONE_FROM_GITHUB)
    assert len([line for line in stale.logs if "matches no copy any more" in line]) == len(REPOSITORIES)
    clean = run_stack(STACK, overrides(cleaned), github_secrets=GONE_FROM_GITHUB)
    assert not [line for line in clean.logs if "acknowledged" in line]
    assert harness.difference(stale, clean).names() == {"added": [], "removed": [], "changed": []}


def test_the_plan_line_of_removing_a_key_shows_it_gone(stack_dir: Path) -> None:
    first, second = removal_changes()
    for stack in ("production", STACK):
        harness.with_every_secret(stack_dir, stack)
    harness.apply_to_stack_file(stack_dir, STACK, harness.changes(PAGE, ADD, STACK))
    harness.apply_to_stack_file(stack_dir, STACK, [*first, *second])
    verify = runbooks.commands(PAGE, "Verify", REMOVE)
    assert harness.unknown(verify, PLAN, *GH_SECRET_LIST) == []
    status, output = harness.run_plan(PLAN, stack_dir)
    assert status == 0, output
    assert NAME not in output
