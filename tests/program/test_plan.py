"""The offline plan: matrix, protection, secrets set and missing, broken files, stacks that collide, changes."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.config.schema import secret_keys
from tests.helpers import STACKS
from tools import evaluator
from tools.plan.cli import main as plan_main
from tools.plan.model import ONLINE_ONLY
from tools.plan.render.json_document import as_json
from tools.plan.stack_files import read_stack_file


def edit(stack_dir: Path, stack: str, **config: Any) -> None:
    """Set (or, with None, remove) project config keys in a stack file."""
    path = evaluator.stack_file(stack, stack_dir)
    document = yaml.safe_load(path.read_text())
    for key, value in config.items():
        if value is None:
            document["config"].pop(f"tenantguard-infra:{key}", None)
        else:
            document["config"][f"tenantguard-infra:{key}"] = value
    path.write_text(yaml.safe_dump(document))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = plan_main(list(args))
    return status, capsys.readouterr().out


def test_plan_prints_the_scoping_matrix_and_protection(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, text = run(capsys, "--dir", str(stack_dir))
    assert status == 0
    rows = [line.split() for line in text.splitlines() if line.startswith("CI_DB_URL")]
    assert [cell for row in rows for cell in row if cell != "CI_DB_URL"] == [
        "gh:preview",
        "gh:staging",
        "gh:production",
    ]
    assert "gh:staging + vercel:preview@staging" in text
    flowing = " ".join(text.split())  # the stack details wrap at 100 columns
    assert (
        "GitHub team, private repositories: ruleset on main: a pull request approved by each of platform-ops, "
        "security (stale approvals dismissed, not by the last pusher), no force pushes or deletion, no bypass"
    ) in flowing
    assert "branches: main; protected" in flowing
    assert "CI: pull requests get the offline plan only: infra-production-pr could have no reviewers here" in flowing
    assert "migration target: 0003" in flowing


def test_plan_text_fits_a_100_column_terminal(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for copy in ("staging-eu", "staging-us"):
        shutil.copy(evaluator.stack_file("staging", stack_dir), evaluator.stack_file(copy, stack_dir))
        edit(stack_dir, copy, environmentName=copy, deploymentBranches=[copy], vercelGitBranch=copy)
    _, text = run(capsys, "--dir", str(stack_dir))
    assert "staging-us" in text
    assert max(len(line) for line in text.splitlines()) <= 100


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
    assert document["stacks"]["preview"]["approvalGate"] == "no reviewers (none on this plan for private repositories)"
    assert production["migrationRevision"] == "0003"
    assert document["stacks"]["staging"]["productionDatabaseGuard"].startswith(
        "on: CI_DB_URL, DATABASE_URL and any other secret holding a PostgreSQL URL, compared with"
    )
    assert document["stacks"]["staging"]["sessionKey"] == "rotation 1; no previous key"
    assert any("shadow-secret check" in check for check in document["onlineOnly"])


def test_plan_lists_every_error_of_an_invalid_stack(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(stack_dir, "production", reviewerTeams=[], deploymentBranches=["*"])
    status, text = run(capsys, "--dir", str(stack_dir))
    assert status == 1
    assert "production: INVALID" in text
    assert "tenantguard-infra:reviewerTeams must name at least one team" in text
    assert "tenantguard-infra:deploymentBranches must name exact branches" in text


def test_plan_shows_extra_secret_names_from_the_stack_file(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(stack_dir, "preview", extraSecrets={"OPENAI_API_KEY": {"secure": "v1:AAAAencrypted"}})
    status, out = run(capsys, "--dir", str(stack_dir), "--json")
    assert status == 0
    document = json.loads(out)
    assert document["matrix"]["OPENAI_API_KEY"] == {
        "preview": "gh:preview + vercel:preview",
        "staging": "-",
        "production": "-",
    }
    assert document["stacks"]["preview"]["secrets"]["extra"] == ["OPENAI_API_KEY"]


def test_plan_reports_which_secrets_are_set_and_which_are_missing(
    stack_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(stack_dir, "staging", ciDbUrl={"secure": "v1:AAAAci"}, vercelToken={"secure": "v1:AAAAtok"})
    status, out = run(capsys, "--dir", str(stack_dir), "--json", "--stack", "staging")
    assert status == 0
    secrets = json.loads(out)["stacks"]["staging"]["secrets"]
    assert secrets["set"] == ["ciDbUrl", "vercelToken"]
    assert secrets["missing"] == ["databaseUrl", "redisUrl", "dbFingerprintKey"]
    assert "v1:AAAA" not in out


def test_require_secrets_fails_with_the_commands_still_to_run(
    stack_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(stack_dir, "staging", ciDbUrl={"secure": "v1:AAAAci"})
    assert plan_main(["--dir", str(stack_dir), "--stack", "staging", "--require-secrets"]) == 1
    err = capsys.readouterr().err
    assert "  pulumi config set --secret --stack staging databaseUrl\n" in err
    assert "each asks for its value" in err
    assert "ciDbUrl" not in err
    # The key every stack shares is read from its file: one typed anew would fail the guard's check.
    assert (
        "  pulumi config set --secret --stack staging dbFingerprintKey < ~/.config/tenantguard/db-fingerprint.key\n"
        in err
    )


def test_a_stack_file_with_encryption_settings_is_read(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = evaluator.stack_file("staging", stack_dir)
    path.write_text("encryptionsalt: v1:c2FsdA==:v1:AAAA:BBBB\n" + path.read_text())
    other = evaluator.stack_file("preview", stack_dir)
    other.write_text(
        "secretsprovider: awskms://alias/tg-preview?region=eu-west-1\nencryptedkey: AQICAH\n" + other.read_text()
    )
    status, _ = run(capsys, "--dir", str(stack_dir))
    assert status == 0


def test_plaintext_anywhere_in_extra_secrets_is_refused(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(stack_dir, "preview", extraSecrets={"OPENAI_API_KEY": "sk-fake-plain-Zq81", "NESTED": {"deep": "x"}})
    status, out = run(capsys, "--dir", str(stack_dir), "--json")
    assert status == 1
    errors = json.loads(out)["stacks"]["preview"]["errors"]
    assert any("extraSecrets.OPENAI_API_KEY is in Pulumi.preview.yaml as plaintext" in e for e in errors)
    assert any("extraSecrets.NESTED.deep is in Pulumi.preview.yaml as plaintext" in e for e in errors)
    assert "sk-fake-plain-Zq81" not in out


def test_a_broken_stack_file_is_named_with_its_line_and_the_others_are_still_planned(
    stack_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = evaluator.stack_file("staging", stack_dir)
    path.write_text(path.read_text() + "  tenantguard-infra:oops: [unclosed\n")
    status, out = run(capsys, "--dir", str(stack_dir), "--json")
    assert status == 1
    document = json.loads(out)
    (error,) = document["stacks"]["staging"]["errors"]
    assert error.startswith("Pulumi.staging.yaml, line ")
    assert document["stacks"]["production"]["ok"] is True
    assert document["stacks"]["preview"]["ok"] is True


def test_two_stacks_owning_one_environment_collide(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(evaluator.stack_file("staging", stack_dir), evaluator.stack_file("staging-eu", stack_dir))
    edit(stack_dir, "staging-eu", environmentName="STAGING", vercelGitBranch="staging-eu")
    status, text = run(capsys, "--dir", str(stack_dir))
    assert status == 1
    assert "stacks staging and staging-eu both own GitHub environment 'staging'" in text


def test_two_stacks_writing_one_vercel_variable_collide(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(evaluator.stack_file("staging", stack_dir), evaluator.stack_file("staging-eu", stack_dir))
    edit(stack_dir, "staging-eu", environmentName="staging-eu")  # same vercelGitBranch: staging
    status, text = run(capsys, "--dir", str(stack_dir))
    assert status == 1
    assert "stacks staging and staging-eu both write Vercel variable REDIS_URL" in text
    assert "preview@staging" in text
    flowing = " ".join(text.split())
    assert "give staging or staging-eu a vercelGitBranch or custom environment of its own" in flowing


def test_two_preview_tier_stacks_in_one_vercel_project_are_told_to_use_a_project_each(
    stack_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(evaluator.stack_file("preview", stack_dir), evaluator.stack_file("preview-eu", stack_dir))
    edit(stack_dir, "preview-eu", environmentName="preview-eu")
    status, out = run(capsys, "--dir", str(stack_dir), "--json")
    assert status == 1
    collisions = [c for c in json.loads(out)["collisions"] if "both write Vercel variable" in c]
    assert collisions
    # The tier refuses a git branch, so that advice would only lead to the next error.
    assert all(c.endswith("give one a Vercel project of its own (vercelProjectId, e.g. prj_...)") for c in collisions)


def test_a_preview_and_a_branch_scoped_stack_do_not_collide(
    stack_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # preview writes `preview` for every branch, staging `preview` for its branch only: Vercel keeps both.
    status, out = run(capsys, "--dir", str(stack_dir), "--json")
    assert status == 0
    assert json.loads(out)["collisions"] == []


def test_a_stack_of_another_tier_in_productions_vercel_team_is_refused(
    stack_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    production_team = read_stack_file("production", stack_dir)["vercelTeamId"]
    edit(stack_dir, "staging", vercelTeamId=production_team)
    status, text = run(capsys, "--dir", str(stack_dir))
    assert status == 1
    assert f"stacks staging and production use the same Vercel team {production_team}" in " ".join(text.split())
    assert "move production to a Vercel team no other tier uses" in " ".join(text.split())


def test_production_and_another_tier_both_without_a_team_share_the_personal_account(
    stack_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(stack_dir, "preview", vercelTeamId=None)
    edit(stack_dir, "production", vercelTeamId=None)
    status, out = run(capsys, "--dir", str(stack_dir), "--json")
    assert status == 1
    assert [problem.split(", but")[0] for problem in json.loads(out)["collisions"]] == [
        "stacks preview and production use the same Vercel team (personal account)"
    ]


def test_stacks_of_one_tier_may_share_a_vercel_team(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(evaluator.stack_file("production", stack_dir), evaluator.stack_file("production-eu", stack_dir))
    edit(
        stack_dir,
        "production-eu",
        environmentName="production",
        repositories=["tenantguard-eu"],
        vercelProjectId="prj_E0",
    )
    status, out = run(capsys, "--dir", str(stack_dir), "--json")
    assert json.loads(out)["collisions"] == []
    assert status == 0


def test_one_stack_is_planned_with_the_stack_it_references(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run(capsys, "--dir", str(stack_dir), "--json", "--stack", "staging")
    assert status == 0
    document = json.loads(out)
    assert list(document["stacks"]) == ["staging"]
    assert list(document["matrix"]["CI_DB_URL"]) == ["staging"]


def encrypted(stack_dir: Path, stack: str) -> None:
    """The stack file as `pulumi config set --secret` leaves it once every secret is set."""
    edit(stack_dir, stack, **{key: {"secure": f"v1:AAAA{key}"} for key in secret_keys()})


def test_the_workflow_matrix_follows_the_tiers(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(evaluator.stack_file("staging", stack_dir), evaluator.stack_file("a-copy", stack_dir))
    edit(stack_dir, "a-copy", environmentName="a-copy", deploymentBranches=["a-copy"], vercelGitBranch="a-copy")
    for stack in ("preview", "a-copy", "staging", "production"):
        encrypted(stack_dir, stack)
    status, out = run(capsys, "--dir", str(stack_dir), "--matrix")
    assert status == 0
    assert json.loads(out) == {
        "all": ["preview", "a-copy", "staging", "production"],
        "early": ["preview", "a-copy", "staging"],
        "late": ["production"],
        "previews": ["preview", "a-copy", "staging"],
        "previewedOnDeploy": ["production"],
        "noDispatch": ["production"],
        "unready": [],
    }


def test_a_stack_whose_secrets_are_not_all_set_is_left_out_of_the_workflows(
    stack_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    encrypted(stack_dir, "production")
    status, out = run(capsys, "--dir", str(stack_dir), "--matrix")
    assert status == 0
    assert json.loads(out) == {
        "all": ["production"],
        "early": [],
        "late": ["production"],
        "previews": [],
        "previewedOnDeploy": ["production"],
        "noDispatch": ["production"],
        "unready": ["preview", "staging"],
    }


@pytest.mark.parametrize(
    ("visibility", "plan", "live"),
    [
        ("public", "team", True),
        ("private", "enterprise", True),
        ("internal", "enterprise", True),
        ("private", "team", False),
        ("", "team", False),  # a payload without visibility counts as private
        ("secret", "enterprise", True),  # anything but public or internal is private: enterprise has reviewers
    ],
)
def test_production_is_previewed_live_only_where_its_pr_environment_can_have_reviewers(
    stack_dir: Path, capsys: pytest.CaptureFixture[str], visibility: str, plan: str, live: bool
) -> None:
    for stack in STACKS:
        edit(stack_dir, stack, githubPlan=plan)
        encrypted(stack_dir, stack)
    status, out = run(capsys, "--dir", str(stack_dir), "--matrix", "--infra-visibility", visibility)
    assert status == 0
    matrix = json.loads(out)
    assert ("production" in matrix["previews"]) is live
    assert ("production" in matrix["previewedOnDeploy"]) is not live
    assert ("production" in matrix["noDispatch"]) is not live
    assert {"preview", "staging"} <= set(matrix["previews"])


def test_an_infra_repository_of_another_owner_has_reviewers_only_when_public(
    stack_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for stack in STACKS:
        edit(stack_dir, stack, githubPlan="enterprise")
        encrypted(stack_dir, stack)
    argv = ["--dir", str(stack_dir), "--matrix", "--infra-repository", "elsewhere/infra"]
    status, out = run(capsys, *argv, "--infra-visibility", "private")
    assert (status, json.loads(out)["previewedOnDeploy"]) == (0, ["production"])
    status, out = run(capsys, *argv, "--infra-visibility", "public")
    assert (status, json.loads(out)["previewedOnDeploy"]) == (0, [])


def test_stacks_of_one_owner_must_agree_on_its_plan(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(stack_dir, "staging", githubPlan="enterprise")
    status, text = run(capsys, "--dir", str(stack_dir))
    assert status == 1
    flowing = " ".join(text.split())
    assert "give the GitHub owner tenantguard different plans (tenantguard-infra:githubPlan: team and enterprise)" in (
        flowing
    )


def test_a_secure_value_that_is_not_ciphertext_is_not_set(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(stack_dir, "staging", ciDbUrl={"secure": "postgresql://ci:fake-Rq7@db/tg"})
    status, out = run(capsys, "--dir", str(stack_dir), "--json", "--stack", "staging")
    assert status == 1
    assert "tenantguard-infra:ciDbUrl is in Pulumi.staging.yaml as plaintext" in out
    assert "fake-Rq7" not in out


def test_a_plaintext_secret_is_rotated_and_set_again_in_its_own_stack_without_its_value(
    stack_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(stack_dir, "staging", ciDbUrl="postgresql://ci:fake-Rq7@db/tg")
    status, out = run(capsys, "--dir", str(stack_dir), "--json", "--stack", "staging")
    assert status == 1
    (error,) = json.loads(out)["stacks"]["staging"]["errors"]
    assert error.startswith(
        "tenantguard-infra:ciDbUrl is in Pulumi.staging.yaml as plaintext: "
        "if that file was ever committed or shared, rotate it; "
    )
    # The command names its stack (not whichever is selected) and ends at the key: Pulumi asks for the value.
    assert "`pulumi config set --secret --stack staging ciDbUrl`, which asks for it" in error
    assert "it was committed" not in error


def test_two_stacks_whose_ci_environments_would_be_one_collide(
    stack_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for copy in ("staging-eu", "staging-eu-pr"):
        shutil.copy(evaluator.stack_file("staging", stack_dir), evaluator.stack_file(copy, stack_dir))
        edit(stack_dir, copy, environmentName=copy, deploymentBranches=[copy], vercelGitBranch=copy)
    status, text = run(capsys, "--dir", str(stack_dir))
    assert status == 1
    assert "stacks staging-eu and staging-eu-pr would share this repository's CI environment infra-staging-eu-pr" in (
        " ".join(text.split())
    )


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A git repository holding a copy of this one's program and its three stacks, one commit deep.

    Only the three: the tests below spell out their matrix, and an operator's own stack files (a copy made
    with tools.bootstrap) would add columns to it.
    """
    root = evaluator.ROOT
    copy = tmp_path / "repo"
    for name in ("infra", "tools", "tenantguard_db", "alembic"):
        shutil.copytree(root / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("__main__.py", "Pulumi.yaml", "alembic.ini", *(evaluator.stack_file(s).name for s in STACKS)):
        shutil.copy(root / name, copy / name)
    git = ["git", "-C", str(copy)]
    subprocess.run(["git", "init", "-q", str(copy)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    commit = [*git, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "base"]
    subprocess.run(commit, check=True)
    return copy


@pytest.mark.stack_files
def test_base_shows_what_a_change_does_to_the_matrix(repository: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(repository, "preview", extraSecrets={"OPENAI_API_KEY": {"secure": "v1:AAAA"}})
    edit(repository, "staging", vercelGitBranch="release")
    status, text = run(capsys, "--dir", str(repository), "--base", "HEAD")
    assert status == 0
    assert "+ OPENAI_API_KEY in preview: gh:preview + vercel:preview" in text
    assert "~ DATABASE_URL in staging: vercel:preview@staging -> vercel:preview@release" in text


@pytest.mark.stack_files
def test_markdown_has_the_matrix_a_mermaid_picture_and_the_changes(
    repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(repository, "preview", extraSecrets={"OPENAI_API_KEY": {"secure": "v1:AAAA"}})
    status, text = run(capsys, "--dir", str(repository), "--base", "HEAD", "--markdown")
    assert status == 0
    assert "| `CI_DB_URL` | `gh:preview` | `gh:staging` | `gh:production` |" in text
    assert "```mermaid" in text
    assert "s_OPENAI_API_KEY ==>|added| p_preview__gh_preview" in text
    assert "- `+ OPENAI_API_KEY in preview: gh:preview + vercel:preview`" in text


def test_plan_says_which_checks_run_only_online(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        plan_main(["--dir", str(stack_dir)]) == 0
    )  # the mocks' GitHub is a clean one: the plan invents no other copy of a secret
    text = " ".join(capsys.readouterr().out.split())
    assert "Checked only online, by `pulumi preview` and `pulumi up` (this plan cannot see GitHub):" in text
    assert "(the shadow-secret check, which GitHub answers)" in text
    assert as_json([])["onlineOnly"] == list(ONLINE_ONLY)


def test_a_provider_token_in_plaintext_is_refused_too(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = evaluator.stack_file("staging", stack_dir)
    document = yaml.safe_load(path.read_text())
    document["config"]["vercel:apiToken"] = "fake-3ubFYUQGFhHpxLDfpbtZ86x9"
    document["config"]["github:token"] = {"secure": "v1:AAAA"}
    path.write_text(yaml.safe_dump(document))
    status, out = run(capsys, "--dir", str(stack_dir), "--json")
    assert status == 1
    (error,) = json.loads(out)["stacks"]["staging"]["errors"]
    assert error.startswith("vercel:apiToken is in Pulumi.staging.yaml as plaintext")
    assert "3ubFYUQ" not in out


def test_an_unquoted_date_is_read_as_pulumi_reads_it(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = evaluator.stack_file("preview", stack_dir)
    day = "2026-11-20"
    path.write_text(
        path.read_text()
        + f"  tenantguard-infra:sessionKeyRotation: '2'\n  tenantguard-infra:sessionKeyRotatedOn: {day}\n"
    )
    status, out = run(capsys, "--dir", str(stack_dir), "--json", "--stack", "preview")
    assert status == 0
    assert json.loads(out)["stacks"]["preview"]["sessionKey"].startswith("rotation 2;")


def test_an_encrypted_value_under_a_mis_cased_secret_key_is_named_as_a_near_miss_not_as_plaintext(
    stack_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(stack_dir, "preview", ciDbURL={"secure": "v1:AAAAcipher"})
    status, text = run(capsys, "--dir", str(stack_dir), "--stack", "preview")
    assert status == 1
    assert "tenantguard-infra:ciDbURL is not a known key; did you mean ciDbUrl?" in text
    assert "plaintext" not in text
