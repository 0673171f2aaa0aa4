"""docs/how-to/new-staging-copy.md: the bootstrap line runs in a scratch copy of the stack files and prints the page's
lines; the secrets its config lines set let the page's plan pass and put the copy in the deploy matrix; the CI
project, given the page's CI config lines, evaluates the copy's three CI environments under the mocks."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest

from infra.tables.secret_keys import SECRET_KEYS
from infra.tables.type_tokens import full_key
from tests import runbooks
from tests.program.ci import harness
from tests.program.ci.test_program import REPO_VARIABLE, environments
from tests.program.runbooks.lines import REPOSITORY, secret_set_lines
from tools import bootstrap, evaluator
from tools.ci_layout import environment_names
from tools.plan.cli import main as plan_main

PAGE = "how-to/new-staging-copy.md"
NEW, SOURCE = "staging-eu", "staging"
SALT = "v1:FAKEsaltOfTheCopy=:v1:FAKE:FAKE"
COMMAND_START = re.compile(r"\(set -C|export |pulumi |PULUMI_|GITHUB_TOKEN=|gh |\./scripts/|git ")
"""How a printed next step that is a command starts (the others are prose)."""


def steps() -> list[str]:
    return runbooks.commands(PAGE, "Steps")


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A scratch copy of the stack files, where the page's bootstrap line writes the copy."""
    for stack in evaluator.known_stacks():
        shutil.copy(evaluator.stack_file(stack), tmp_path)
    return tmp_path


def run_tool(line: str, directory: Path) -> int:
    """A page line `./scripts/uv run python -m tools.X ARGS` run in this process, on `directory`."""
    prefix = "./scripts/uv run python -m tools."
    assert line.startswith(prefix), line
    module, *arguments = shlex.split(line.removeprefix(prefix))
    main = {"bootstrap": bootstrap.main, "plan": plan_main}[module]
    return main([*arguments, "--dir", str(directory)])


def printed_commands(printed: str) -> list[str]:
    """The bootstrap's next steps that are commands, as the page's reader reads them (comments dropped)."""
    lines = [line.strip() for line in printed.splitlines()]
    return [line.split("   #", 1)[0].rstrip() for line in lines if COMMAND_START.match(line)]


@pytest.mark.slow
def test_the_page_is_what_the_bootstrap_prints_for_the_copy(
    repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (line,) = [line for line in steps() if "tools.bootstrap" in line]
    assert line == f"./scripts/uv run python -m tools.bootstrap {NEW} --from {SOURCE}"
    assert run_tool(line, repository) == 0
    printed = capsys.readouterr().out
    assert printed.splitlines()[-1].endswith(f"docs/how-to/new-staging-copy.md#{runbooks.anchor('Steps')}")
    tool = printed_commands(printed)
    own = [
        f"git switch -c stack-{NEW} origin/main",
        line,
        f"git push -u origin stack-{NEW} && gh pr create --fill",
        f"gh pr merge --squash stack-{NEW}",
    ]
    # Every page line is the bootstrap's, or one of the page's own; every command the bootstrap prints is on the page.
    assert runbooks.unknown(steps(), [*tool, *own]) == []
    assert set(tool) <= set(steps())
    assert (
        runbooks.without_stack(steps() + runbooks.commands(PAGE, "Verify") + runbooks.commands(PAGE, "Back out")) == []
    )
    assert [line for line in steps() if "ci config set" in line] == [
        bootstrap.ci_config(NEW),
        bootstrap.runners_command(NEW),
    ]
    assert bootstrap.ci_update() in steps()


@pytest.mark.slow
def test_with_its_secrets_set_the_copy_plans_and_joins_the_deploy_matrix(
    repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (line,) = [line for line in steps() if "tools.bootstrap" in line]
    assert run_tool(line, repository) == 0
    (check,) = [line for line in steps() if "--require-secrets" in line]
    capsys.readouterr()
    # Before step 3 the plan refuses, listing what is missing; the workflows leave the copy out.
    assert run_tool(check, repository) == 1
    refusal = capsys.readouterr()
    assert secret_set_lines(NEW, ["ciDbUrl"])[0] in refusal.out + refusal.err
    assert plan_main(["--matrix", "--dir", str(repository)]) == 0
    assert NEW in json.loads(capsys.readouterr().out)["unready"]
    # Step 3's lines, as `pulumi config set --secret` leaves the file: a salt and one ciphertext per key.
    changes = runbooks.config_changes(steps(), NEW)
    assert [change.key for change in changes] == [row.key for row in SECRET_KEYS]
    # Each asks for its value, or reads it from a file (tests/runbooks.py reads the `<` of a redirect as the value).
    assert all(change.secret and change.value in (None, "<") for change in changes)
    path = evaluator.stack_file(NEW, repository)
    text = path.read_text().replace("config:\n", f"encryptionsalt: {SALT}\nconfig:\n", 1)
    text += "".join(f"  {full_key(change.key)}:\n    secure: v1:FAKEcopy{change.key}==\n" for change in changes)
    path.write_text(text)
    assert run_tool(check, repository) == 0
    capsys.readouterr()
    assert plan_main(["--matrix", "--dir", str(repository)]) == 0
    matrix = json.loads(capsys.readouterr().out)
    assert NEW in matrix["early"]
    assert NEW not in matrix["unready"] + matrix["late"]


@pytest.mark.slow
def test_the_ci_project_makes_the_copy_s_environments_once_its_config_lines_ran(repository: Path) -> None:
    (line,) = [line for line in steps() if "tools.bootstrap" in line]
    assert run_tool(line, repository) == 0
    stacks = (*harness.MAIN_STACKS, NEW)
    # Without step 4's config lines the CI project refuses the new stack file, naming the command.
    with pytest.raises(evaluator.ProgramFailedError, match=f"passphrases.{NEW} is required"):
        harness.evaluate(harness.config_values(stacks=harness.MAIN_STACKS), directory=repository)
    paths = re.findall(r"--path '([^']+)'", next(line for line in steps() if "passphrases." in line))
    assert paths == [f"passphrases.{NEW}", f"vercelTokens.{NEW}"]
    labels = re.findall(r"--path 'runners\.[^']+' (\S+)", next(line for line in steps() if "runners." in line))
    values = harness.config_values(stacks=stacks, runners={NEW: labels})
    evaluation = harness.evaluate(values, directory=repository)
    made = set(environments(evaluation))
    assert set(environment_names(NEW)) <= made
    runners = {s["variableName"]: s["value"] for s in evaluation.named(REPO_VARIABLE).values()}
    assert json.loads(runners["INFRA_RUNNERS"])[NEW] == labels
    # The page's repository is the one the CI project manages.
    assert harness.stack_file_values()["repository"] == REPOSITORY
