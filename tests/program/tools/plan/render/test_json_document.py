"""tools/plan/render/json_document.py: the plan as JSON for machines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.program.tools.plan.harness import run
from tools.plan.gates import NOT_NEEDED

pytestmark = pytest.mark.slow  # each test runs the whole plan: every stack's program, 0.1-1 s


def test_plan_json_is_for_machines(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run(capsys, "--dir", str(stack_dir), "--json")
    assert status == 0
    document = json.loads(out)
    assert document["matrix"]["DATABASE_URL"] == {
        "preview": "vercel:preview",
        "staging": "vercel:preview@staging",
        "production": "vercel:production",
    }
    assert document["matrix"]["CI_DB_URL"]["production"] == "gh:production"
    production = document["stacks"]["production"]
    assert production["protection"]["reviewerTeams"] == ["platform-ops", "security"]
    assert production["protection"]["protected"] is True
    assert production["protection"]["ruleset"] is True
    assert (production["githubPlan"], production["repositoryVisibility"]) == ("team", "private")
    assert production["approvalGate"].startswith("ruleset on main: a pull request approved by each of")
    assert document["stacks"]["preview"]["protection"]["ruleset"] is False
    assert document["stacks"]["preview"]["approvalGate"] == NOT_NEEDED
    assert production["migrationRevision"] == "0003"
    assert document["stacks"]["staging"]["productionDatabaseGuard"].startswith(
        "on: every secret compared with organization/tenantguard-infra/production: refused where it names one of"
    )
    assert document["stacks"]["staging"]["sessionKey"] == "rotation 1; no previous key"
    assert any("shadow-secret check" in check for check in document["onlineOnly"])
