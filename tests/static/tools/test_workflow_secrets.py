"""tools/workflow_secrets.py: a passing and a failing workflow per rule, this repository's workflows, the command."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tools import workflow_secrets
from tools.workflow_secrets import Rules, check

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "static" / "workflow_secrets"
WORKFLOWS = ROOT / ".github" / "workflows"
DEFAULT = Rules.of(workflow_secrets.default_legacy_names(), workflow_secrets.default_managed_names())


def found(name: str, rules: Rules = DEFAULT) -> list[tuple[int, str]]:
    return [(finding.line, finding.message) for finding in check(FIXTURES / name, rules)]


def test_the_defaults_are_the_programs_names() -> None:
    assert workflow_secrets.default_legacy_names() == ("DB_URL", "DATABASE_URL", "POSTGRES_URL", "PROD_DB_URL")
    assert workflow_secrets.default_managed_names() == ("CI_DB_URL", "VERCEL_TOKEN", "REDIS_URL")


# --- rule 1: no legacy name is read anywhere --------------------------------------------------------------------


def test_legacy_rule_passes_a_workflow_that_only_mentions_legacy_names() -> None:
    assert found("legacy-pass.yml") == []


def test_legacy_rule_finds_every_way_a_legacy_name_is_read() -> None:
    findings = found("legacy-fail.yml")
    assert [(line, re.split(r"[:,]", message)[0]) for line, message in findings] == [
        (6, "on.workflow_call.secrets declares legacy secret DB_URL"),
        (9, "the workflow-level env reads legacy secret PROD_DB_URL"),
        (15, "job 'migrate' reads legacy secret DATABASE_URL"),  # job-level env
        (17, "job 'migrate' reads legacy secret POSTGRES_URL"),  # `if:` without ${{ }}
        (21, "job 'migrate' reads legacy secret DB_URL"),  # with:, secrets['NAME']
        (24, "job 'migrate' reads legacy secret db_url"),  # inside a run: script, in lower case
        (25, "job 'migrate' reads the whole `secrets` context"),  # toJSON(secrets)
        (29, "job 'call' reads legacy secret DB_URL"),  # passed on to a reusable workflow
    ]


def test_legacy_rule_takes_more_names() -> None:
    rules = Rules.of([*workflow_secrets.default_legacy_names(), "NPM_TOKEN"], DEFAULT.managed)
    assert [line for line, _ in found("environment-pass.yml", rules)] == [15]


# --- rule 2: a managed name is read only in a job that names an environment -------------------------------------


def test_environment_rule_passes_managed_names_read_inside_environments() -> None:
    assert found("environment-pass.yml") == []


def test_environment_rule_finds_managed_names_read_outside_an_environment() -> None:
    findings = found("environment-fail.yml")
    assert [(line, message.split(",")[0].split(" outside")[0]) for line, message in findings] == [
        (6, "on.workflow_call.secrets declares VERCEL_TOKEN"),
        (9, "the workflow-level env reads REDIS_URL"),
        (16, "job 'migrate' reads CI_DB_URL"),
        (21, "job 'blank' reads VERCEL_TOKEN"),  # `environment: ""` names none
        (26, "job 'call' reads CI_DB_URL"),  # a calling job cannot name an environment
    ]
    assert "gets the repository's or the organization's copy, or nothing" in findings[2][1]


def test_environment_rule_can_be_held_to_named_environments() -> None:
    rules = Rules.of(DEFAULT.legacy, DEFAULT.managed, ["staging"])
    assert found("environment-pass.yml", rules) == [
        (34, "job 'deploy' reads vercel_token in environment 'production', not one of ['staging']"),
        (35, "job 'deploy' reads REDIS_URL in environment 'production', not one of ['staging']"),
    ]


def test_environment_rule_takes_more_managed_names() -> None:
    rules = Rules.of(DEFAULT.legacy, [*DEFAULT.managed, "OPENAI_API_KEY", "NPM_TOKEN"])
    assert [line for line, _ in found("environment-pass.yml", rules)] == [15]


# --- files that are not workflows, this repository's workflows, the command -------------------------------------


def test_a_file_that_is_not_a_workflow_is_a_finding(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("jobs:\n  a: [\n")
    not_workflow = tmp_path / "list.yml"
    not_workflow.write_text("- just a list\n")
    assert "cannot be read as YAML" in check(broken, DEFAULT)[0].message
    assert [str(finding) for finding in check(not_workflow, DEFAULT)] == [
        f"{not_workflow}:1: not a GitHub workflow (no `jobs:` map)"
    ]


def test_the_app_preview_workflow_of_the_work_order_is_the_checked_fixture() -> None:
    # scripts/check runs the schema check, zizmor and this checker on the fixture; this keeps the document equal.
    order = (ROOT / "workorders" / "WO-ci-secrets.md").read_text()
    fixture = (FIXTURES / "app-preview.yml").read_text()
    assert f"```yaml\n{fixture}```" in order


def test_the_app_preview_workflow_reads_the_managed_secrets_in_its_environment() -> None:
    assert found("app-preview.yml", Rules.of(DEFAULT.legacy, DEFAULT.managed, ["preview"])) == []


def test_the_app_preview_workflow_fails_the_check_without_its_environment(tmp_path: Path) -> None:
    without = tmp_path / "app-preview.yml"
    without.write_text((FIXTURES / "app-preview.yml").read_text().replace("\n    environment: preview\n", "\n"))
    assert [finding.message.split(" outside")[0] for finding in check(without, DEFAULT)] == [
        "job 'preview' reads CI_DB_URL",
        "job 'preview' reads VERCEL_TOKEN",
    ]


def test_this_repositorys_workflows_pass() -> None:
    paths = sorted(WORKFLOWS.glob("*.yml"))
    assert paths
    assert [str(finding) for path in paths for finding in check(path, DEFAULT)] == []


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "tools.workflow_secrets", *args]
    return subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True, check=False)


@pytest.mark.slow
def test_the_command_checks_a_lone_file_outside_this_repository(tmp_path: Path) -> None:
    app = tmp_path / "app.yml"
    app.write_text((FIXTURES / "environment-fail.yml").read_text())
    failing = run(["app.yml"], tmp_path)
    assert failing.returncode == 1
    assert failing.stdout.splitlines()[2].startswith(
        "app.yml:16: job 'migrate' reads CI_DB_URL outside any environment"
    )
    app.write_text((FIXTURES / "environment-pass.yml").read_text())
    passing = run(["app.yml", "--managed", "OPENAI_API_KEY"], tmp_path)
    assert (passing.returncode, passing.stdout) == (0, "")


@pytest.mark.parametrize("flag", ["--legacy", "--managed"])
def test_the_command_takes_more_names(tmp_path: Path, flag: str) -> None:
    app = tmp_path / "app.yml"
    app.write_text((FIXTURES / "environment-pass.yml").read_text())
    result = run(["app.yml", flag, "NPM_TOKEN"], tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith("app.yml:15: job 'test' reads ")


def test_the_command_needs_no_pulumi(tmp_path: Path) -> None:
    probe = "import sys, tools.workflow_secrets; print(sorted(m for m in sys.modules if m.startswith('pulumi')))"
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=environment, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_command_checks_every_workflow_of_a_directory(tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "a.yml").write_text((FIXTURES / "legacy-pass.yml").read_text())
    (workflows / "b.yaml").write_text((FIXTURES / "legacy-fail.yml").read_text())
    (workflows / "notes.txt").write_text("secrets.DB_URL")
    result = run([".github/workflows"], tmp_path)
    assert result.returncode == 1
    assert {line.split(":")[0] for line in result.stdout.splitlines()} == {".github/workflows/b.yaml"}


def test_the_app_preview_job_skips_runs_without_its_secrets_and_queues_per_event() -> None:
    (job,) = yaml.safe_load((FIXTURES / "app-preview.yml").read_text())["jobs"].values()
    # Forks get no secrets, Dependabot's runs only Dependabot secrets: either would fail as "incomplete".
    assert "github.event.pull_request.head.repo.full_name == github.repository" in job["if"]
    assert "github.actor != 'dependabot[bot]'" in job["if"]
    # The template rebuild (push) and the nightly prune (schedule) share main's ref: each event its own queue.
    assert job["concurrency"]["group"].startswith("vercel-preview-preview-${{ github.event_name }}-")


def test_a_retired_github_token_is_read_nowhere_and_an_app_key_only_in_an_environment(tmp_path: Path) -> None:
    workflow = tmp_path / "w.yml"
    workflow.write_text(
        "on: push\njobs:\n"
        "  old:\n    runs-on: x\n    environment: infra-staging\n    steps:\n"
        "      - run: echo ${{ secrets.INFRA_GITHUB_TOKEN }}\n"
        "  keyless:\n    runs-on: x\n    steps:\n"
        "      - run: echo ${{ secrets.INFRA_GITHUB_WRITE_APP_KEY }}\n"
    )
    assert workflow_secrets.main([str(workflow)]) == 1
