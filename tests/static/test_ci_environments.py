"""tools.ci_environments: three environments per stack, the right branches, reviewers and secrets."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tools import ci_environments, evaluator


def printed(stack: str, backend: str = "s3") -> list[str]:
    return ci_environments.commands(stack, "tenantguard/tenantguard-infra", backend, evaluator.ROOT)


def secrets_of(lines: list[str], environment: str) -> set[str]:
    return {line.split()[3] for line in lines if line.startswith("gh secret set") and f"--env {environment} " in line}


def test_each_stack_gets_a_preview_a_deploy_and_a_drift_environment() -> None:
    lines = printed("staging")
    created = [line.split("environments/")[1].split()[0] for line in lines if "--method PUT" in line]
    assert created == ["infra-staging-pr", "infra-staging", "infra-staging-read"]


def test_only_deploy_environments_hold_the_write_token() -> None:
    lines = printed("production")
    assert secrets_of(lines, "infra-production") == {
        "PULUMI_CONFIG_PASSPHRASE",
        "INFRA_GITHUB_TOKEN",
        "INFRA_VERCEL_TOKEN",
    }
    for environment in ("infra-production-pr", "infra-production-read"):
        assert "INFRA_GITHUB_TOKEN" not in secrets_of(lines, environment)
        assert "INFRA_GITHUB_READ_TOKEN" in secrets_of(lines, environment)


def test_deploys_and_drift_checks_run_from_main_only_and_previews_from_any_branch() -> None:
    lines = printed("staging")
    policies = [line for line in lines if "deployment-branch-policies" in line]
    assert [line.split("environments/")[1].split("/")[0] for line in policies] == [
        "infra-staging",
        "infra-staging-read",
    ]
    assert all("-f name=main -f type=branch" in line for line in policies)


def test_production_needs_its_reviewers_to_preview_and_deploy_but_not_to_check_drift() -> None:
    lines = printed("production")
    put = {line.split("environments/")[1].split()[0]: line for line in lines if "--method PUT" in line}
    assert "reviewers" in put["infra-production-pr"]
    assert "reviewers" in put["infra-production"]
    assert "reviewers" not in put["infra-production-read"]
    assert "gh api orgs/tenantguard/teams/platform-ops --jq .id" in "\n".join(lines)
    assert "reviewers" not in "\n".join(printed("staging"))


def test_pulumi_cloud_adds_its_access_token() -> None:
    assert "PULUMI_ACCESS_TOKEN" in secrets_of(printed("preview", "cloud"), "infra-preview-pr")
    assert "PULUMI_ACCESS_TOKEN" not in secrets_of(printed("preview", "s3"), "infra-preview-pr")


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq builds the request bodies; it is not installed here")
def test_the_request_bodies_are_the_json_github_expects() -> None:
    for line in printed("production"):
        if not line.startswith("jq -n"):
            continue
        program = line.split(" | gh api")[0]
        result = subprocess.run(
            ["bash", "-c", program],
            env={"team_0": "11", "team_1": "22", "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=True,
        )
        body = json.loads(result.stdout)
        assert body["prevent_self_review"] is True
        assert set(body) >= {"wait_timer", "deployment_branch_policy"}
        if "reviewers" in body:
            assert body["reviewers"] == [{"type": "Team", "id": 11}, {"type": "Team", "id": 22}]


def test_secrets_come_from_the_passphrase_file_or_the_terminal_never_the_script() -> None:
    # Piped to sh, a bare `gh secret set` would read the rest of the script as the secret.
    for line in printed("staging"):
        if line.startswith(("gh secret set", "gh variable set")):
            source = line.rsplit(" < ", 1)[1]
            expected = "~/.config/tenantguard/staging.passphrase" if "PULUMI_CONFIG_PASSPHRASE" in line else "/dev/tty"
            assert source == expected, line


def test_nobody_skips_the_environments_rules_admins_included() -> None:
    bodies = [line for line in printed("production") if line.startswith("jq -n")]
    assert len(bodies) == 3
    assert all("can_admins_bypass: false" in body for body in bodies)
