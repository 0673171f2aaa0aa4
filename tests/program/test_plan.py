"""The offline plan of every stack: matrix, protection, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tools import evaluator, plan


def test_plan_prints_the_scoping_matrix_and_protection(capsys: pytest.CaptureFixture[str]) -> None:
    assert plan.main([]) == 0
    text = capsys.readouterr().out
    row = next(line for line in text.splitlines() if line.startswith("CI_DB_URL"))
    assert row.split() == ["CI_DB_URL", "gh:preview", "gh:staging", "gh:production"]
    assert "gh:staging + vercel:preview@staging" in text
    assert "reviewers: platform-ops, security; branches: main; wait timer: 5 min;" in text
    assert "self-review blocked; admin bypass blocked; protected; migration target: 0003" in text


def test_plan_json_is_for_machines(capsys: pytest.CaptureFixture[str]) -> None:
    assert plan.main(["--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["matrix"]["DATABASE_URL"] == {
        "preview": "vercel:preview",
        "staging": "vercel:preview@staging",
        "production": "vercel:production",
    }
    assert document["matrix"]["CI_DB_URL"]["production"] == "gh:production"
    production = document["stacks"]["production"]
    assert production["protection"]["reviewerTeams"] == ["platform-ops", "security"]
    assert production["protection"]["protected"] is True
    assert production["protection"]["adminsBypass"] is False
    assert document["stacks"]["preview"]["protection"]["adminsBypass"] is True
    assert production["migrationRevision"] == "0003"


def test_plan_lists_every_error_of_an_invalid_stack(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = evaluator.stack_file("production", stack_dir)
    document = yaml.safe_load(path.read_text())
    document["config"]["tenantguard-infra:reviewerTeams"] = []
    document["config"]["tenantguard-infra:deploymentBranches"] = ["*"]
    path.write_text(yaml.safe_dump(document))
    assert plan.main(["--dir", str(stack_dir)]) == 1
    text = capsys.readouterr().out
    assert "production: INVALID" in text
    assert "tenantguard-infra:reviewerTeams must name at least one team" in text
    assert "tenantguard-infra:deploymentBranches must name exact branches" in text


def test_plan_shows_extra_secret_names_from_the_stack_file(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = evaluator.stack_file("preview", stack_dir)
    document = yaml.safe_load(path.read_text())
    document["config"]["tenantguard-infra:extraSecrets"] = {"OPENAI_API_KEY": {"secure": "v1:AAAAencrypted"}}
    path.write_text(yaml.safe_dump(document))
    assert plan.main(["--dir", str(stack_dir), "--json"]) == 0
    matrix = json.loads(capsys.readouterr().out)["matrix"]
    assert matrix["OPENAI_API_KEY"] == {"preview": "gh:preview + vercel:preview", "staging": "-", "production": "-"}
