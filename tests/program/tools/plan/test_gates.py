"""tools/plan/gates.py: the plan states a gate only from what the program registered."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from infra.tables import type_tokens as types
from tests.program.tools.plan.harness import edit, run
from tools import evaluator
from tools.plan.evaluation import describe
from tools.plan.gates import NO_GATE, registered_gates
from tools.plan.model import StackPlan

TEAMS = {evaluator.team_id("platform-ops"): "platform-ops", evaluator.team_id("security"): "security"}


def without(evaluation: evaluator.Evaluation, token: str) -> evaluator.Evaluation:
    """The evaluation as if the program had not registered any resource of `token`."""
    kept = {urn: r for urn, r in evaluation.resources.items() if evaluator.resource_type(urn) != token}
    return dataclasses.replace(evaluation, resources=kept)


def test_production_on_team_is_gated_by_its_ruleset_in_every_repository(
    evaluated: dict[str, evaluator.Evaluation],
) -> None:
    gates = registered_gates(evaluated["production"], TEAMS)
    assert set(gates) == {"tenantguard", "tenantguard-worker"}
    assert all(
        gate.startswith("ruleset on main: a pull request approved by each of platform-ops, security")
        for gate in gates.values()
    )


def test_without_the_ruleset_the_plan_says_there_is_no_gate_and_fails(
    evaluated: dict[str, evaluator.Evaluation],
) -> None:
    evaluation = without(evaluated["production"], types.RULESET)
    assert set(registered_gates(evaluation, TEAMS).values()) == {NO_GATE}
    plan = StackPlan("production")
    values = {"tier": "production", "githubOwner": "tenantguard", "reviewerTeams": '["platform-ops", "security"]'}
    describe(plan, evaluation, values)
    assert not plan.ok
    assert "tenantguard/tenantguard: the production environment has no approval gate" in plan.errors[0]


def test_a_ruleset_that_misses_a_deploying_branch_is_no_gate(evaluated: dict[str, evaluator.Evaluation]) -> None:
    evaluation = evaluated["production"]
    rulesets = {urn: r for urn, r in evaluation.resources.items() if evaluator.resource_type(urn) == types.RULESET}
    changed = dict(evaluation.resources)
    for urn, registration in rulesets.items():
        state = {**registration.state, "conditions": {"refName": {"includes": ["~DEFAULT_BRANCH"], "excludes": []}}}
        changed[urn] = registration._replace(state=state)
    assert set(registered_gates(dataclasses.replace(evaluation, resources=changed), TEAMS).values()) == {NO_GATE}


@pytest.mark.slow
def test_a_stack_declaring_public_repositories_is_planned_as_public(
    stack_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The plan cannot ask GitHub: it takes the declared visibility (every preview and update checks it online).
    edit(stack_dir, "production", repositoryVisibility="public")
    status, text = run(capsys, "--dir", str(stack_dir), "--stack", "production")
    assert status == 0
    flowing = " ".join(text.split())
    assert "GitHub team, public repositories: environment reviewers: platform-ops, security; self-review blocked" in (
        flowing
    )
