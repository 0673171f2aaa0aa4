"""docs/how-to/remove-a-stack.md: its git lines run in a scratch clone (with a bare repository as origin, whose main
takes the removal as a merge would), the removed stack leaves every workflow's matrix and the plan, the destroy's
worktree holds the stack file as it was, and the CI project refuses the stack's leftover entries until the page's
config lines remove them; then it declares none of the stack's environments. The KMS key's URN is the CI project's."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from infra.tables.secret_keys import SECRET_KEYS
from infra.tables.type_tokens import full_key
from tests import runbooks
from tests.program.ci import harness
from tests.program.ci.test_program import environments
from tests.program.runbooks.lines import KEY_DIR, REPOSITORY, bash, passphrase_lines
from tools import bootstrap, evaluator
from tools.ci_layout import environment_names
from tools.plan.cli import main as plan_main

PAGE = "how-to/remove-a-stack.md"
STACK = "staging-eu"
WORKFLOWS = evaluator.ROOT / ".github" / "workflows"
pytestmark = pytest.mark.slow


def steps() -> list[str]:
    return runbooks.commands(PAGE, "Steps")


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def ready_copy(directory: Path) -> None:
    """The stack files with `staging-eu` bootstrapped from staging and its secrets set, as it is once deployed."""
    for stack in evaluator.known_stacks():
        shutil.copy(evaluator.stack_file(stack), directory)
    assert bootstrap.main([STACK, "--from", "staging", "--dir", str(directory)]) == 0
    path = evaluator.stack_file(STACK, directory)
    text = path.read_text().replace("config:\n", "encryptionsalt: v1:FAKEsalt=:v1:FAKE:FAKE\nconfig:\n", 1)
    text += "".join(f"  {full_key(row.key)}:\n    secure: v1:FAKE{row.key}==\n" for row in SECRET_KEYS)
    path.write_text(text)


@pytest.fixture
def clone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """An operator's clone of a repository whose main deploys staging-eu; origin is a bare repository beside it."""
    origin, seed, clone = tmp_path / "origin.git", tmp_path / "seed", tmp_path / "clone"
    git("init", "-q", "--bare", "-b", "main", str(origin), cwd=tmp_path)
    seed.mkdir()
    ready_copy(seed)
    git("init", "-q", "-b", "main", cwd=seed)
    git("add", ".", cwd=seed)
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "stacks", cwd=seed)
    git("push", "-q", str(origin), "main", cwd=seed)
    git("clone", "-q", str(origin), str(clone), cwd=tmp_path)
    git("config", "user.name", "ops", cwd=clone)
    git("config", "user.email", "ops@example.com", cwd=clone)
    capsys.readouterr()
    return clone


def matrix(directory: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, list[str]]:
    capsys.readouterr()
    assert plan_main(["--matrix", "--dir", str(directory)]) == 0
    return dict(json.loads(capsys.readouterr().out))


def named(document: dict[str, list[str]]) -> set[str]:
    return {stack for value in document.values() if isinstance(value, list) for stack in value}


def test_every_step_is_one_this_test_knows() -> None:
    ci = f"PULUMI_CONFIG_PASSPHRASE_FILE={KEY_DIR}/ci.passphrase pulumi -C ci"
    known: list[str | re.Pattern[str]] = [
        f"git switch -c remove-{STACK} origin/main",
        f"git rm Pulumi.{STACK}.yaml",
        "./scripts/uv run python -m tools.docs && git add docs/reference",
        "./scripts/uv run python -m tools.plan --matrix",
        re.compile(rf"git commit -m '[^']+' && git push -u origin remove-{STACK} && gh pr create --fill"),
        f"gh pr merge --squash remove-{STACK}",
        "git fetch origin",
        f'removal="$(git log -1 --format=%H origin/main -- Pulumi.{STACK}.yaml)"',
        f'git worktree add --detach ../remove-{STACK} "$removal^"',
        f"cd ../remove-{STACK} && ./scripts/setup",
        *passphrase_lines(STACK),
        f"pulumi stack export --stack {STACK} --file ~/{STACK}.before-destroy.json",
        'GITHUB_TOKEN="$(gh auth token)" '
        'VERCEL_API_TOKEN="$(PULUMI_CONFIG_PASSPHRASE_FILE=~/.config/tenantguard/ci.passphrase '
        f'pulumi -C ci config get --stack ci --path vercelTokens.{STACK})" '
        f"pulumi destroy --stack {STACK}",
        f"pulumi stack rm --stack {STACK} --yes",
        f"cd - && git worktree remove --force ../remove-{STACK}",
        f"git switch -c remove-{STACK}-ci origin/main",
        re.compile(rf"{re.escape(ci)} config rm --stack ci --path '(passphrases|vercelTokens|runners)\.{STACK}'"),
        f'GITHUB_TOKEN="$(gh auth token)" {ci} up --stack ci --policy-pack policy',
        re.compile(rf"git commit -am '[^']+' && git push -u origin remove-{STACK}-ci && gh pr create --fill"),
        re.compile(rf"{re.escape(ci)} state unprotect --stack ci '[^']+' --yes"),
        re.compile(rf"gh api --method DELETE repos/tenantguard/[\w-]+/git/refs/heads/{STACK}"),
    ]
    assert runbooks.unknown(steps(), known) == []
    assert runbooks.without_stack(steps() + runbooks.commands(PAGE, "Verify")) == []
    # `pulumi destroy` takes no policy pack (pulumi/pulumi pkg/cmd/pulumi/operations/destroy.go).
    (destroy,) = [line for line in steps() if " pulumi destroy " in line]
    assert "--policy-pack" not in destroy
    assert f"gh api repos/{REPOSITORY}/environments --jq '.environments[].name'" in runbooks.commands(PAGE, "Verify")


def test_every_workflow_takes_its_stacks_from_the_stack_files() -> None:
    for name in ("infra-deploy.yml", "infra-preview.yml", "infra-drift.yml"):
        assert "python -m tools.plan --matrix" in (WORKFLOWS / name).read_text(), name


def test_the_file_goes_first_and_the_destroy_runs_from_the_commit_before(
    clone: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    committed = evaluator.stack_file(STACK, clone).read_text()
    assert STACK in matrix(clone, capsys)["early"]
    lines = steps()
    # Step 1, for real: the branch, the removal, the matrix, the commit and push (the pull request is GitHub's).
    for line in lines[:2]:
        assert bash(line, clone).returncode == 0, line
    assert STACK not in named(matrix(clone, capsys))
    capsys.readouterr()
    assert plan_main(["--json", "--dir", str(clone)]) == 0
    assert STACK not in json.loads(capsys.readouterr().out)["stacks"]
    push = next(line for line in lines if line.startswith("git commit")).split(" && gh pr create", 1)[0]
    assert bash(push, clone).returncode == 0
    # The merge: origin's main takes the branch.
    origin = clone.parent / "origin.git"
    git("update-ref", "refs/heads/main", "refs/heads/remove-staging-eu", cwd=origin)
    # Step 2's git lines: the worktree of the commit before the removal holds the stack file as main deployed it.
    start = lines.index("git fetch origin")
    worktree = [line.split(" && ")[0] for line in lines[start : start + 4]]
    script = bash("\n".join(worktree) + "\npwd", clone)
    assert script.returncode == 0, script.stderr
    beside = clone.parent / f"remove-{STACK}"
    assert script.stdout.splitlines()[-1] == str(beside)
    assert evaluator.stack_file(STACK, beside).read_text() == committed
    (cleanup,) = [line for line in lines if line.startswith("cd - && ")]
    assert bash(cleanup.removeprefix("cd - && "), clone).returncode == 0
    assert not beside.exists()
    git("fetch", "-q", "origin", cwd=clone)
    assert f"Pulumi.{STACK}.yaml" not in git("ls-tree", "--name-only", "origin/main", cwd=clone)


def without(values: dict[str, str], path: str) -> dict[str, str]:
    """`pulumi config rm --path 'TOP.NAME'` on the CI project's values."""
    top, name = path.split(".", 1)
    entries = json.loads(values[top])
    entries.pop(name)
    return {**values, top: json.dumps(entries)}


def test_the_ci_project_refuses_the_leftovers_until_the_page_removes_them(tmp_path: Path) -> None:
    for stack in harness.MAIN_STACKS:
        shutil.copy(evaluator.stack_file(stack), tmp_path)
    values = harness.config_values(
        stacks=(*harness.MAIN_STACKS, STACK), runners={STACK: ["self-hosted", f"{STACK}-net"]}
    )
    with pytest.raises(evaluator.ProgramFailedError) as refused:
        harness.evaluate(values, directory=tmp_path)
    message = str(refused.value)
    for key in ("passphrases", "vercelTokens", "runners"):
        assert f"pulumi config rm --stack ci --path '{key}.{STACK}'" in message
    assert f"docs/{PAGE}#{runbooks.anchor('Steps')}" in message
    removals = [re.findall(r"--path '([^']+)'", line)[0] for line in steps() if " config rm " in line]
    for path in removals:
        values = without(values, path)
    evaluation = harness.evaluate(values, directory=tmp_path)
    assert not set(environment_names(STACK)) & set(environments(evaluation))


def test_the_kms_key_the_page_unprotects_is_the_ci_project_s(tmp_path: Path) -> None:
    directory = harness.main_project_copy(tmp_path, kms_production=True)
    evaluation = harness.evaluate(harness.config_values(kms_stacks=("production",)), directory=directory)
    (key,) = evaluation.urns("aws:kms/key:Key")
    (line,) = [line for line in steps() if " state unprotect " in line]
    (urn,) = [word for word in shlex.split(line) if word.startswith("urn:")]
    assert urn == key.replace("production", STACK)
    (state,) = evaluation.named("aws:kms/key:Key").values()
    assert "30 days later (`deletion_window_in_days`" in (runbooks.DOCS / PAGE).read_text()
    assert state["deletionWindowInDays"] == 30
