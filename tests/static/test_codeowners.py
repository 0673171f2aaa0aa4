""".github/CODEOWNERS: what main's jobs run with a stack's key is owned by production's reviewer teams."""

from __future__ import annotations

import subprocess

from tools import evaluator
from tools.plan.stack_files import read_stack_file

CODEOWNERS = evaluator.ROOT / ".github" / "CODEOWNERS"
# docs/explanation/ci-project.md names these; the deploy job runs the rest.
NAMED_IN_README = ("/Pulumi.production*.yaml", "/infra/", "/policy/", "/.github/")


def rules() -> dict[str, list[str]]:
    lines = [line.split() for line in CODEOWNERS.read_text().splitlines() if line.strip() and not line.startswith("#")]
    return {pattern: owners for pattern, *owners in lines}


def test_every_rule_is_owned_by_exactly_the_production_reviewer_teams() -> None:
    production = read_stack_file("production", evaluator.ROOT)
    teams = [f"@{production['githubOwner']}/{team}" for team in production["reviewerTeams"]]
    assert teams
    assert all(owners == teams for owners in rules().values()), rules()


def test_every_file_is_owned_a_new_one_included() -> None:
    # A file no pattern matches needs no code owner's review: a new top-level `yaml.py` would shadow PyYAML in
    # every process main's deploys start with a stack's key.
    assert "*" in rules()


def test_the_paths_readme_names_are_owned() -> None:
    assert set(NAMED_IN_README) <= set(rules())


def test_every_pattern_matches_a_tracked_file() -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=evaluator.ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for pattern in rules():
        assert any(
            evaluator.ROOT.joinpath(path).match(pattern.lstrip("/")) or path.startswith(pattern.lstrip("/"))
            for path in tracked
        ), pattern
