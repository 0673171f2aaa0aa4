"""tools/plan/evaluation.py: each stack's program evaluated offline, with the stack it references, its errors listed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.program.tools.plan.harness import edit, run

pytestmark = pytest.mark.slow  # each test runs the whole plan: every stack's program, 0.1-1 s


def test_plan_lists_every_error_of_an_invalid_stack(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(stack_dir, "production", reviewerTeams=[], deploymentBranches=["*"])
    status, text = run(capsys, "--dir", str(stack_dir))
    assert status == 1
    assert "production: INVALID" in text
    assert "tenantguard-infra:reviewerTeams must name at least one team" in text
    assert "tenantguard-infra:deploymentBranches must name exact branches" in text


def test_one_stack_is_planned_with_the_stack_it_references(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run(capsys, "--dir", str(stack_dir), "--json", "--stack", "staging")
    assert status == 0
    document = json.loads(out)
    assert list(document["stacks"]) == ["staging"]
    assert list(document["matrix"]["CI_DB_URL"]) == ["staging"]


def test_an_encrypted_value_under_a_mis_cased_secret_key_is_named_as_a_near_miss_not_as_plaintext(
    stack_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(stack_dir, "preview", ciDbURL={"secure": "v1:AAAAcipher"})
    status, text = run(capsys, "--dir", str(stack_dir), "--stack", "preview")
    assert status == 1
    assert "tenantguard-infra:ciDbURL is not a known key; did you mean ciDbUrl?" in text
    assert "plaintext" not in text
