"""tools/plan/workflows.py: the stack lists of the workflows' matrices, and where production is previewed live."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import STACKS
from tests.program.tools.plan.harness import edit, encrypted, run
from tools import evaluator

pytestmark = pytest.mark.slow  # each test runs the whole plan: every stack's program, 0.1-1 s


def test_the_workflow_matrix_follows_the_tiers(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(evaluator.stack_file("staging", stack_dir), evaluator.stack_file("a-copy", stack_dir))
    edit(stack_dir, "a-copy", environmentName="a-copy", deploymentBranches=["a-copy"], vercelGitBranch="a-copy")
    for stack in ("preview", "a-copy", "staging", "production"):
        encrypted(stack_dir, stack)
    status, out = run(capsys, "--dir", str(stack_dir), "--matrix")
    assert status == 0
    assert json.loads(out) == {
        "all": ["preview", "a-copy", "staging", "production"],
        "early": ["preview", "a-copy", "staging"],
        "late": ["production"],
        # The preview tier's config holds the per-pull-request database manager: previewed on main only.
        "previews": ["a-copy", "staging"],
        "previewedOnDeploy": ["preview", "production"],
        "noDispatch": ["production"],
        "unready": [],
    }


def test_a_stack_whose_secrets_are_not_all_set_is_left_out_of_the_workflows(
    stack_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    encrypted(stack_dir, "production")
    status, out = run(capsys, "--dir", str(stack_dir), "--matrix")
    assert status == 0
    assert json.loads(out) == {
        "all": ["production"],
        "early": [],
        "late": ["production"],
        "previews": [],
        "previewedOnDeploy": ["production"],
        "noDispatch": ["production"],
        "unready": ["preview", "staging"],
    }


@pytest.mark.parametrize(
    ("visibility", "plan", "live"),
    [
        ("public", "team", True),
        ("private", "enterprise", True),
        ("internal", "enterprise", True),
        ("private", "team", False),
        ("", "team", False),  # a payload without visibility counts as private
        ("secret", "enterprise", True),  # anything but public or internal is private: enterprise has reviewers
    ],
)
def test_production_is_previewed_live_only_where_its_pr_environment_can_have_reviewers(
    stack_dir: Path, capsys: pytest.CaptureFixture[str], visibility: str, plan: str, live: bool
) -> None:
    for stack in STACKS:
        edit(stack_dir, stack, githubPlan=plan)
        encrypted(stack_dir, stack)
    status, out = run(capsys, "--dir", str(stack_dir), "--matrix", "--infra-visibility", visibility)
    assert status == 0
    matrix = json.loads(out)
    assert ("production" in matrix["previews"]) is live
    assert ("production" in matrix["previewedOnDeploy"]) is not live
    assert ("production" in matrix["noDispatch"]) is not live
    assert "staging" in matrix["previews"]
    assert "preview" in matrix["previewedOnDeploy"]


def test_an_infra_repository_of_another_owner_has_reviewers_only_when_public(
    stack_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for stack in STACKS:
        edit(stack_dir, stack, githubPlan="enterprise")
        encrypted(stack_dir, stack)
    argv = ["--dir", str(stack_dir), "--matrix", "--infra-repository", "elsewhere/infra"]
    status, out = run(capsys, *argv, "--infra-visibility", "private")
    assert (status, json.loads(out)["previewedOnDeploy"]) == (0, ["preview", "production"])
    status, out = run(capsys, *argv, "--infra-visibility", "public")
    assert (status, json.loads(out)["previewedOnDeploy"]) == (0, ["preview"])
