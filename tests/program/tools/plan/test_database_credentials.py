"""The offline plan of a stack generating its database credentials: no URL to type, its rotation said."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fakes import generated_server
from tests.program.tools.plan.harness import edit, run

pytestmark = pytest.mark.slow  # each test runs the whole plan


def test_a_generated_stack_is_planned_without_typed_urls_and_with_its_rotation(
    stack_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(stack_dir, "staging", databaseCredentials="generated", databaseServer=generated_server("staging"))
    edit(stack_dir, "staging", databaseRotation="2")
    status, out = run(capsys, "--dir", str(stack_dir), "--json", "--stack", "staging")
    assert status == 0
    staging = json.loads(out)["stacks"]["staging"]
    assert "ciDbUrl" not in staging["secrets"]["missing"]
    assert "databaseUrl" not in staging["secrets"]["missing"]
    assert staging["databaseCredentials"].startswith(
        "generated, rotation 2: CI_DB_URL as tg_staging_migrator_b, DATABASE_URL as tg_staging_app_b"
    )
    status, text = run(capsys, "--dir", str(stack_dir), "--stack", "staging")
    assert "database credentials: generated, rotation 2" in text


def test_a_provided_stack_says_so(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, text = run(capsys, "--dir", str(stack_dir), "--stack", "preview")
    assert status == 0
    assert "database credentials: provided" in text
