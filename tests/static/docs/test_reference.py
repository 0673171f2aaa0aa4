"""The reference pages under docs/reference/: current, named when stale, complete, and the same bytes on any machine.

The pages are written by `python -m tools.docs` (tools/docs/); the repository's own check runs in
tests/program/tables/test_secret_keys.py (`test_generated_docs_are_current`), the edits here run on copies.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

from infra.tables.tiers import TierProfile
from tests.helpers import docs_checkout
from tools import docs, evaluator
from tools.ci_layout import environment_names
from tools.docs import commands
from tools.docs.cli import ALL_PAGES, PAGES
from tools.docs.config import TIER_RULES
from tools.docs.markdown import Page

ROOT = evaluator.ROOT
CI_REPOSITORY = yaml.safe_load((ROOT / "ci" / "Pulumi.ci.yaml").read_text())["config"]["tenantguard-ci:repository"]
REFERENCE = ROOT / "docs" / "reference"


def page(name: str) -> str:
    return (REFERENCE / name).read_text()


def section(text: str, heading: str) -> str:
    """The lines under a `## ` heading, up to the next one."""
    start = text.index(f"\n{heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


@pytest.mark.slow
def test_an_edited_page_is_named_stale_and_rewritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = docs_checkout(tmp_path)
    edited = root / "docs" / "reference" / "workflows.md"
    edited.write_text(edited.read_text().replace("`infra-deploy`", "`infra-deploy-by-hand`", 1))
    assert docs.main(["--check", "--dir", str(root)]) == 1
    reported = capsys.readouterr().err.splitlines()
    assert reported == [
        "docs/reference/workflows.md: generated lines are stale; run `./scripts/uv run python -m tools.docs`"
    ]
    assert docs.main(["--dir", str(root)]) == 0
    assert "rewrote docs/reference/workflows.md" in capsys.readouterr().out
    assert edited.read_text() == page("workflows.md")
    assert docs.main(["--check", "--dir", str(root)]) == 0


@pytest.mark.slow
def test_a_missing_page_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = docs_checkout(tmp_path)
    (root / "docs" / "reference" / "commands.md").unlink()
    assert docs.main(["--check", "--dir", str(root)]) == 1
    assert "docs/reference/commands.md: generated lines are missing" in capsys.readouterr().err
    assert not (root / "docs" / "reference" / "commands.md").exists()


@pytest.mark.slow
def test_a_changed_source_makes_its_page_stale(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = docs_checkout(tmp_path)
    project = root / "Pulumi.yaml"
    project.write_text(project.read_text().replace("Name of the GitHub deployment environment", "The environment"))
    assert docs.main(["--check", "--dir", str(root)]) == 1
    assert "docs/reference/config.md: generated lines are stale" in capsys.readouterr().err


@pytest.mark.slow
def test_a_page_no_longer_generated_is_named_then_deleted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = docs_checkout(tmp_path)
    renamed = root / "docs" / "reference" / "settings.md"
    renamed.write_text(page("config.md"))
    written_by_hand = root / "docs" / "reference" / "notes.md"
    written_by_hand.write_text("# Notes\n")
    assert docs.main(["--check", "--dir", str(root)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "docs/reference/settings.md: no page is generated there any more; run `./scripts/uv run python -m tools.docs`"
    ]
    assert docs.main(["--dir", str(root)]) == 0
    assert not renamed.exists()
    assert written_by_hand.exists()
    assert docs.main(["--check", "--dir", str(root)]) == 0


def declared_keys(project_file: str) -> list[str]:
    return list(yaml.safe_load((ROOT / project_file).read_text())["config"])


def test_every_key_of_the_main_project_is_a_row_before_the_ci_section() -> None:
    main = page("config.md").split("\n## CI project keys\n")[0]
    missing = [key for key in declared_keys("Pulumi.yaml") if f"\n| `{key}` |" not in main]
    assert missing == []


def test_every_key_of_the_ci_project_is_a_row_of_its_section() -> None:
    ci = section(page("config.md"), "## CI project keys")
    missing = [key for key in declared_keys("ci/Pulumi.yaml") if f"\n| `{key}` |" not in ci]
    assert missing == []


def test_every_tier_rule_names_declared_keys_and_profile_fields() -> None:
    keys = set(declared_keys("Pulumi.yaml"))
    fields = set(TierProfile.__dataclass_fields__)
    for rule in TIER_RULES:
        assert set(rule.keys) <= keys, rule.keys
        assert {name.strip() for name in rule.field.split(",")} <= fields, rule.field


def test_every_job_of_every_workflow_is_a_row_of_its_section() -> None:
    text = page("workflows.md")
    workflows = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    assert workflows
    for path in workflows:
        jobs = yaml.load(path.read_text(), Loader=yaml.BaseLoader)["jobs"]  # noqa: S506 - BaseLoader builds only strings
        rows = section(text, f"## {path.name}")
        assert [job for job in jobs if f"\n| `{job}` |" not in rows] == [], path.name


def test_each_job_row_names_its_environment_and_the_secrets_it_reads() -> None:
    rows = section(page("workflows.md"), "## infra-deploy.yml")
    deploy = next(line for line in rows.splitlines() if line.startswith("| `deploy` |"))
    assert "`infra-${{ matrix.stack }}`" in deploy
    assert "`INFRA_GITHUB_WRITE_APP_KEY`" in deploy
    assert "`INFRA_GITHUB_READ_APP_KEY`" not in deploy
    assert "`PULUMI_BACKEND_ROLE`" in deploy


@pytest.mark.stack_files
def test_every_stack_file_has_its_ci_environments() -> None:
    text = page("ci-environments.md")
    for stack in evaluator.known_stacks():
        rows = section(text, f"## {stack}")
        _, deploys, drift = environment_names(stack)
        assert f"| `{deploys}` |" in rows
        assert f"| `{drift}` |" in rows
        # Each role, and the one OIDC subject its trust admits (ci/Pulumi.ci.yaml's backend is s3).
        assert f"`/tenantguard-infra/{deploys}`, assumed only by `repo:{CI_REPOSITORY}:environment:{deploys}`" in rows


@pytest.mark.slow
@pytest.mark.parametrize("generated", ALL_PAGES, ids=lambda generated: generated.name)
def test_each_page_is_the_same_bytes_twice(generated: Page) -> None:
    assert generated.text(ROOT).encode() == generated.text(ROOT).encode()


@pytest.mark.slow
def test_the_commands_page_does_not_depend_on_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    narrow = commands.PAGE.text(ROOT)
    monkeypatch.setenv("COLUMNS", "250")
    wide = commands.PAGE.text(ROOT)
    monkeypatch.delenv("COLUMNS")
    assert narrow == wide == page("commands.md")
    # And the width was restored for whoever runs next.
    assert "COLUMNS" not in os.environ


@pytest.mark.slow
def test_every_entry_point_is_found_and_nothing_else() -> None:
    found = {command.module for command in commands.commands()}
    expected = {"tools.bootstrap", "tools.plan", "tools.docs", "tools.pg_env", "tenantguard_db.preview_db"}
    assert expected | {"tenantguard_db.local_postgres"} <= found
    # A main() without argparse (the worker a pull request's revisions run in) is no command.
    assert not found & {"tenantguard_db.preview_db.worker", "tools.evaluator"}


@pytest.mark.slow
def test_each_command_is_shown_as_an_operator_runs_it() -> None:
    text = page("commands.md")
    for command in commands.commands():
        assert f"./scripts/uv run python -m {command.module} --help\n" in text
        assert f"usage: python -m {command.module} " in text


def test_each_page_opens_with_one_comment_naming_sources_that_exist() -> None:
    for generated in ALL_PAGES:
        first = (ROOT / generated.path).read_text().splitlines()[0]
        assert re.fullmatch(r"<!-- generated by `python -m tools\.docs` from .+: edit those, not this page -->", first)
        for source in generated.sources:
            assert list(ROOT.glob(source)), f"{generated.path} names {source}, which matches no file"


def test_the_index_links_every_page() -> None:
    index = page("README.md")
    assert [p.name for p in PAGES] == re.findall(r"\]\(([\w-]+\.md)\)", index)
