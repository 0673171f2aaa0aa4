"""tools/plan/collisions.py: what only two stacks together show, and the advice each collision gives."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.program.tools.plan.harness import edit, run
from tools import evaluator
from tools.plan.stack_files import read_stack_file

pytestmark = pytest.mark.slow  # each test runs the whole plan: every stack's program, 0.1-1 s


def test_two_stacks_owning_one_environment_collide(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(evaluator.stack_file("staging", stack_dir), evaluator.stack_file("staging-eu", stack_dir))
    edit(stack_dir, "staging-eu", environmentName="STAGING", vercelGitBranch="staging-eu")
    status, text = run(capsys, "--dir", str(stack_dir))
    assert status == 1
    assert "stacks staging and staging-eu both own GitHub environment 'staging'" in text


def test_two_stacks_writing_one_vercel_variable_collide(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(evaluator.stack_file("staging", stack_dir), evaluator.stack_file("staging-eu", stack_dir))
    edit(stack_dir, "staging-eu", environmentName="staging-eu")  # same vercelGitBranch: staging
    status, text = run(capsys, "--dir", str(stack_dir))
    assert status == 1
    assert "stacks staging and staging-eu both write Vercel variable REDIS_URL" in text
    assert "preview@staging" in text
    flowing = " ".join(text.split())
    assert "give staging or staging-eu a vercelGitBranch or custom environment of its own" in flowing


def test_two_preview_tier_stacks_in_one_vercel_project_are_told_to_use_a_project_each(
    stack_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(evaluator.stack_file("preview", stack_dir), evaluator.stack_file("preview-eu", stack_dir))
    edit(stack_dir, "preview-eu", environmentName="preview-eu")
    status, out = run(capsys, "--dir", str(stack_dir), "--json")
    assert status == 1
    collisions = [c for c in json.loads(out)["collisions"] if "both write Vercel variable" in c]
    assert collisions
    # The tier refuses a git branch, so that advice would only lead to the next error.
    assert all(c.endswith("give one a Vercel project of its own (vercelProjectId, e.g. prj_...)") for c in collisions)


def test_a_preview_and_a_branch_scoped_stack_do_not_collide(
    stack_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # preview writes `preview` for every branch, staging `preview` for its branch only: Vercel keeps both.
    status, out = run(capsys, "--dir", str(stack_dir), "--json")
    assert status == 0
    assert json.loads(out)["collisions"] == []


def test_a_stack_of_another_tier_in_productions_vercel_team_is_refused(
    stack_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    production_team = read_stack_file("production", stack_dir)["vercelTeamId"]
    edit(stack_dir, "staging", vercelTeamId=production_team)
    status, text = run(capsys, "--dir", str(stack_dir))
    assert status == 1
    assert f"stacks staging and production use the same Vercel team {production_team}" in " ".join(text.split())
    assert "move production to a Vercel team no other tier uses" in " ".join(text.split())


def test_production_and_another_tier_both_without_a_team_share_the_personal_account(
    stack_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(stack_dir, "preview", vercelTeamId=None)
    edit(stack_dir, "production", vercelTeamId=None)
    status, out = run(capsys, "--dir", str(stack_dir), "--json")
    assert status == 1
    assert [problem.split(", but")[0] for problem in json.loads(out)["collisions"]] == [
        "stacks preview and production use the same Vercel team (personal account)"
    ]


def test_stacks_of_one_tier_may_share_a_vercel_team(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(evaluator.stack_file("production", stack_dir), evaluator.stack_file("production-eu", stack_dir))
    edit(
        stack_dir,
        "production-eu",
        environmentName="production",
        repositories=["tenantguard-eu"],
        vercelProjectId="prj_E0",
    )
    status, out = run(capsys, "--dir", str(stack_dir), "--json")
    assert json.loads(out)["collisions"] == []
    assert status == 0


def test_stacks_of_one_owner_must_agree_on_its_plan(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(stack_dir, "staging", githubPlan="enterprise")
    status, text = run(capsys, "--dir", str(stack_dir))
    assert status == 1
    flowing = " ".join(text.split())
    assert "give the GitHub owner tenantguard different plans (tenantguard-infra:githubPlan: team and enterprise)" in (
        flowing
    )


def test_two_stacks_whose_ci_environments_would_be_one_collide(
    stack_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for copy in ("staging-eu", "staging-eu-pr"):
        shutil.copy(evaluator.stack_file("staging", stack_dir), evaluator.stack_file(copy, stack_dir))
        edit(stack_dir, copy, environmentName=copy, deploymentBranches=[copy], vercelGitBranch=copy)
    status, text = run(capsys, "--dir", str(stack_dir))
    assert status == 1
    assert "stacks staging-eu and staging-eu-pr would share this repository's CI environment infra-staging-eu-pr" in (
        " ".join(text.split())
    )


def test_stacks_whose_ci_environments_differ_only_in_case_collide(
    stack_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Pulumi.Production-read.yaml's deploy environment is production's drift environment: GitHub ignores case.
    shutil.copy(evaluator.stack_file("staging", stack_dir), evaluator.stack_file("Production-read", stack_dir))
    edit(stack_dir, "Production-read", environmentName="qa-eu", deploymentBranches=["qa-eu"], vercelGitBranch="qa-eu")
    status, text = run(capsys, "--dir", str(stack_dir))
    assert status == 1
    flowing = " ".join(text.split())
    assert "would share this repository's CI environment infra-Production-read" in flowing
