"""tools/plan/render/text.py: the matrix and each stack's protection, within 100 columns, and what only runs online."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.program.tools.plan.harness import edit, run
from tools import evaluator
from tools.plan.cli import main as plan_main
from tools.plan.model import ONLINE_ONLY
from tools.plan.render.json_document import as_json

pytestmark = pytest.mark.slow  # each test runs the whole plan: every stack's program, 0.1-1 s


def test_plan_prints_the_scoping_matrix_and_protection(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, text = run(capsys, "--dir", str(stack_dir))
    assert status == 0
    rows = [line.split() for line in text.splitlines() if line.startswith("CI_DB_URL")]
    assert [cell for row in rows for cell in row if cell != "CI_DB_URL"] == [
        "gh:preview",
        "gh:staging",
        "gh:production",
    ]
    assert "gh:staging + vercel:preview@staging" in text
    flowing = " ".join(text.split())  # the stack details wrap at 100 columns
    assert (
        "GitHub team, private repositories: ruleset on main: a pull request approved by each of platform-ops, "
        "security (stale approvals dismissed, not by the last pusher, no force pushes, no deletion, no new branch)"
    ) in flowing
    assert "branches: main; protected" in flowing
    assert "CI: pull requests get the offline plan only: infra-production-pr could have no reviewers here" in flowing
    assert "migration target: 0003" in flowing


def test_plan_text_fits_a_100_column_terminal(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for copy in ("staging-eu", "staging-us"):
        shutil.copy(evaluator.stack_file("staging", stack_dir), evaluator.stack_file(copy, stack_dir))
        edit(stack_dir, copy, environmentName=copy, deploymentBranches=[copy], vercelGitBranch=copy)
    _, text = run(capsys, "--dir", str(stack_dir))
    assert "staging-us" in text
    assert max(len(line) for line in text.splitlines()) <= 100


def test_plan_says_which_checks_run_only_online(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        plan_main(["--dir", str(stack_dir)]) == 0
    )  # the mocks' GitHub is a clean one: the plan invents no other copy of a secret
    text = " ".join(capsys.readouterr().out.split())
    assert "Checked only online, by `pulumi preview` and `pulumi up` (this plan cannot see GitHub):" in text
    assert "(the shadow-secret check, which GitHub answers)" in text
    assert as_json([])["onlineOnly"] == list(ONLINE_ONLY)
