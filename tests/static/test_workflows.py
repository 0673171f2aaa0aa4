"""Static checks of the GitHub workflows beyond the schema and zizmor (run by scripts/check)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")


def load(name: str) -> dict[str, Any]:
    # BaseLoader builds only strings, lists and maps (so `on:` stays a key, not True): safe.
    document: dict[str, Any] = yaml.load((WORKFLOWS / name).read_text(), Loader=yaml.BaseLoader)  # noqa: S506
    return document


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


@pytest.mark.parametrize("name", sorted(path.name for path in WORKFLOWS.glob("*.yml")))
def test_every_action_is_pinned_by_commit_and_permissions_are_read_only_by_default(name: str) -> None:
    workflow = load(name)
    for step in steps(workflow):
        if "uses" in step:
            assert PINNED.match(step["uses"]), step["uses"]
    assert workflow["permissions"] == {"contents": "read"}


def test_pr_preview_comments_once_per_stack_with_the_policy_pack() -> None:
    workflow = load("infra-preview.yml")
    preview = workflow["jobs"]["preview"]
    assert preview["needs"] == "checks"
    assert preview["strategy"]["matrix"]["stack"] == ["preview", "staging", "production"]
    assert preview["permissions"] == {"contents": "read", "pull-requests": "write"}
    (pulumi,) = [step for step in preview["steps"] if step.get("uses", "").startswith("pulumi/actions@")]
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["comment-on-pr"] == "true"
    assert pulumi["with"]["edit-pr-comment"] == "true"
    assert pulumi["with"]["policyPacks"] == "policy"
    assert "vars.PULUMI_BACKEND_URL" in pulumi["with"]["cloud-url"]
    assert "secrets.PULUMI_CONFIG_PASSPHRASE" in pulumi["env"]["PULUMI_CONFIG_PASSPHRASE"]
    fork = "github.event.pull_request.head.repo.full_name != github.repository"
    assert any(step.get("if") == fork and "::notice" in step.get("run", "") for step in preview["steps"])


def test_deploy_runs_staging_then_production_in_its_environment() -> None:
    jobs = load("infra-deploy.yml")["jobs"]
    assert jobs["production"]["needs"] == "staging"
    assert jobs["production"]["environment"] == "production"
    assert jobs["staging"]["environment"] == "staging"
    for job in ("staging", "production"):
        (pulumi,) = [step for step in jobs[job]["steps"] if step.get("uses", "").startswith("pulumi/actions@")]
        assert pulumi["with"]["command"] == "up"
        assert pulumi["with"]["stack-name"] == job


def test_vercel_preview_reads_only_the_preview_environment() -> None:
    workflow = load("vercel-preview.yml")
    (job,) = workflow["jobs"].values()
    assert job["environment"] == "preview"
    text = (WORKFLOWS / "vercel-preview.yml").read_text()
    assert set(re.findall(r"secrets\.(\w+)", text)) == {"CI_DB_URL", "VERCEL_TOKEN"}
    migrate = next(step for step in job["steps"] if step.get("name") == "Migrate the preview database")
    assert 'if [ -z "${CI_DB_URL}" ]' in migrate["run"]
    assert "alembic upgrade head" in migrate["run"]
    assert "skipped" in migrate["run"] or "was not run" in migrate["run"]
