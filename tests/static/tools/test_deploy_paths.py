"""tools/deploy_paths.py reads infra-deploy.yml's push paths as GitHub's filter does."""

from __future__ import annotations

import io
import sys

import pytest

from tools import deploy_paths

FILTERS = deploy_paths.patterns()


@pytest.mark.parametrize(
    "name",
    [
        "infra/stack.py",
        "infra/config/rules/github.py",
        "Pulumi.staging.yaml",
        "Pulumi.yaml",
        "alembic/versions/x.py",
        ".github/actions/pulumi/action.yml",
        ".github/workflows/infra-deploy.yml",
        "uv.lock",
        "tools/ci_layout.py",
        "tools/plan/cli.py",
        "tools/evaluator.py",
    ],
)
def test_what_a_deploy_deploys_matches(name: str) -> None:
    assert deploy_paths.deployed([name], FILTERS) == [name]


@pytest.mark.parametrize(
    "name",
    [
        "README.md",
        "docs/how-to/llm-keys.md",
        "tests/program/test_stack.py",
        "ci/program.py",
        "tools/docs/cli.py",
        ".github/workflows/infra-drift.yml",
        "bench/run.py",
        "ci/Pulumi.ci.yaml",
    ],
)
def test_what_a_deploy_does_not_deploy_does_not(name: str) -> None:
    assert deploy_paths.deployed([name], FILTERS) == []


def test_a_star_stops_at_a_slash_and_a_double_star_does_not() -> None:
    assert deploy_paths.deployed(["Pulumi.x.yaml", "sub/Pulumi.x.yaml"], ["Pulumi*.yaml"]) == ["Pulumi.x.yaml"]
    assert deploy_paths.deployed(["infra/a/b/c.py", "infrastructure.py"], ["infra/**"]) == ["infra/a/b/c.py"]


def test_a_filter_character_this_reading_does_not_cover_is_refused() -> None:
    with pytest.raises(ValueError, match="only `\\*` and `\\*\\*`"):
        deploy_paths.deployed(["a"], ["!docs/**"])


def run(stdin: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = deploy_paths.main([])
    return code, capsys.readouterr().out


def test_the_command_exits_1_naming_what_is_deployed_and_0_when_nothing_is(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("README.md\ndocs/README.md\n", monkeypatch, capsys) == (0, "")
    assert run("README.md\ninfra/stack.py\n", monkeypatch, capsys) == (1, "infra/stack.py\n")


def test_a_list_as_long_as_the_compare_api_gives_counts_as_a_change(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run("".join(f"docs/{n}.md\n" for n in range(300)), monkeypatch, capsys)
    assert code == 1
    assert "at most 300" in out
