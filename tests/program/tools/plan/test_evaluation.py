"""tools/plan/evaluation.py: each stack's program evaluated offline, with the stack it references, its errors listed."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
import time_machine

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


@pytest.mark.parametrize(("today", "reminded"), [("2026-12-14", False), ("2026-12-15", True)])
def test_the_plan_says_when_the_previous_session_keys_window_has_passed(
    stack_dir: Path, capsys: pytest.CaptureFixture[str], today: str, reminded: bool
) -> None:
    edit(stack_dir, "preview", sessionKeyRotation="2", sessionKeyPreviousUntil="2026-12-14")
    with time_machine.travel(datetime.datetime.fromisoformat(f"{today}T23:30:00+00:00"), tick=False):
        status, out = run(capsys, "--dir", str(stack_dir), "--json", "--stack", "preview")
    assert status == 0
    line = json.loads(out)["stacks"]["preview"]["sessionKey"]
    assert line.startswith("rotation 2; previous key delivered until 2026-12-14 (UTC)")
    assert ("pulumi config rm --stack preview sessionKeyPreviousUntil" in line) is reminded
