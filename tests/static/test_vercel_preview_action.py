"""The app repositories' preview action (.github/actions/vercel-preview): inputs, scripts, pins, what it hands out."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.static.workflow_files import ACTIONS, PINNED, WORKFLOWS, load

PREVIEW_ACTION = ACTIONS / "vercel-preview" / "action.yml"
EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.DOTALL)


def preview_steps() -> list[dict[str, Any]]:
    return list(load(PREVIEW_ACTION)["runs"]["steps"])


def test_the_app_preview_is_a_composite_action_taking_the_environments_values_as_inputs() -> None:
    # A reusable workflow's job gets no environment secrets (the action's header): the app's own job passes them.
    action = load(PREVIEW_ACTION)
    assert action["runs"]["using"] == "composite"
    assert not (WORKFLOWS / "vercel-preview.yml").exists()
    assert {"ci-db-url", "vercel-token", "vercel-project-id", "vercel-org-id"} <= set(action["inputs"])
    assert "prune-days" in action["inputs"]
    # One place names tenantguard-infra's commit, the caller's `uses:`: no input can point the migrations elsewhere.
    assert not {"infra-ref", "infra-repository", "infra-repository-token"} & set(action["inputs"])
    text = PREVIEW_ACTION.read_text()
    # An action cannot read either context; a step using one would get nothing at run time.
    assert not re.search(r"\$\{\{[^}]*\b(secrets|vars)\.", text)


def test_the_app_preview_action_interpolates_nothing_into_its_scripts() -> None:
    scripts = [step["run"] for step in preview_steps() if "run" in step]
    assert len(scripts) == 8
    for script in scripts:
        assert EXPRESSION.search(script) is None, script


def test_the_app_preview_action_restores_no_cache_and_pins_every_action() -> None:
    uses = [step for step in preview_steps() if "uses" in step]
    # One checkout, the pull request's files; tenantguard-infra is the action's own repository archive.
    assert [step["uses"].split("@")[0] for step in uses] == ["actions/checkout", "astral-sh/setup-uv"]
    for step in uses:
        assert PINNED.match(step["uses"]), step["uses"]
    (setup_uv,) = [step for step in uses if step["uses"].startswith("astral-sh/setup-uv@")]
    assert setup_uv["with"]["enable-cache"] == "false"
    assert uses[0]["with"]["persist-credentials"] == "false"


def test_every_preview_db_command_of_the_app_preview_names_the_callers_repository() -> None:
    # Several app repositories share one CI_DB_URL and overlapping pull-request numbers.
    steps = [step for step in preview_steps() if "preview_db" in step.get("run", "")]
    commands = [
        line for step in steps for line in step["run"].splitlines() if "python -m tenantguard_db.preview_db" in line
    ]
    assert len(commands) == 4
    for command in commands:
        if " template" not in command:
            assert '--repository-id "${REPOSITORY_ID}"' in command
    for step in steps:
        assert step["env"]["CI_DB_URL"] == "${{ inputs.ci-db-url }}"
        if "REPOSITORY_ID" in step["run"]:
            assert step["env"]["REPOSITORY_ID"] == "${{ github.repository_id }}"


def test_the_app_preview_deploys_only_with_the_url_preview_db_masked_first() -> None:
    # `create --github-output` prints ::add-mask:: for the URL and its password before writing the output
    # (tests/database/preview_db/test_handout.py); the deploy reads that output, never a URL built in the action.
    steps = preview_steps()
    names = [step.get("name") for step in steps]
    database, deploy = names.index("The pull request's database"), names.index("Deploy to Vercel (preview)")
    assert database < deploy
    assert steps[database]["id"] == "database"
    assert "--github-output" in steps[database]["run"]
    assert steps[deploy]["env"]["DATABASE_URL"] == "${{ steps.database.outputs.url }}"
    assert steps[deploy]["env"]["VERCEL_TOKEN"] == "${{ inputs.vercel-token }}"


def run_gate(event: str, head: str = "tenantguard/tenantguard") -> subprocess.CompletedProcess[str]:
    """The action's first step, under bash with the environment the runner would give it."""
    (gate,) = [step for step in preview_steps()[:1] if "run" in step]
    return subprocess.run(
        ["bash", "-c", gate["run"]],
        env={"EVENT": event, "HEAD_REPOSITORY": head, "REPOSITORY": "tenantguard/tenantguard", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("event", "head", "runs"),
    [
        ("pull_request_target", "tenantguard/tenantguard", True),
        ("push", "", True),
        ("schedule", "", True),
        # A pull_request run is the pull request's own copy of the caller workflow: it must never hold the manager.
        ("pull_request", "tenantguard/tenantguard", False),
        ("pull_request_target", "someone/tenantguard", False),
        ("workflow_dispatch", "", False),
    ],
)
def test_the_action_runs_only_in_the_default_branchs_workflow_for_this_repositorys_pull_requests(
    event: str, head: str, runs: bool
) -> None:
    result = run_gate(event, head)
    assert (result.returncode == 0) is runs, result.stdout


def test_the_pull_requests_files_are_checked_out_as_data_and_nothing_runs_in_them() -> None:
    steps = preview_steps()
    (app,) = [step for step in steps if step.get("with", {}).get("path") == "app"]
    assert app["with"]["ref"] == "${{ github.event.pull_request.head.sha }}"
    assert app["with"]["persist-credentials"] == "false"
    # The only step in the app checkout is the deploy, which runs the CLI installed before it.
    in_app = [step for step in steps if step.get("working-directory") == "app"]
    assert [step["name"] for step in in_app] == ["Deploy to Vercel (preview)"]
    assert steps.index(next(s for s in steps if s.get("id") == "vercel-cli")) < steps.index(app)


def test_the_migrations_come_from_the_actions_own_commit(tmp_path: Path) -> None:
    # The runner runs the action from its repository's archive: GITHUB_ACTION_PATH is .github/actions/vercel-preview
    # inside it. The step copies that repository, whatever the caller's workspace holds.
    archive = tmp_path / "archive"
    (archive / ".github" / "actions" / "vercel-preview").mkdir(parents=True)
    (archive / "tenantguard_db" / "preview_db").mkdir(parents=True)
    (archive / "alembic.ini").write_text("[alembic]\n")
    (archive / "tenantguard_db" / "preview_db" / "__main__.py").write_text("")
    (step,) = [step for step in preview_steps() if step.get("name") == "This repository at the action's own commit"]
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    result = subprocess.run(
        ["bash", "-c", step["run"]],
        env={
            "GITHUB_ACTION_PATH": str(archive / ".github" / "actions" / "vercel-preview"),
            "RUNNER_TEMP": str(runner_temp),
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout
    copy = runner_temp / "tenantguard-infra"
    assert (copy / "alembic.ini").is_file()
    assert (copy / "tenantguard_db" / "preview_db" / "__main__.py").is_file()
    assert all(
        s["working-directory"] == "${{ runner.temp }}/tenantguard-infra"
        for s in preview_steps()
        if "tenantguard_db.preview_db" in s.get("run", "") or s.get("name") == "Install"
    )
