"""The runbooks' shape, and the messages that send an operator to them: every `docs/how-to/<page>.md#<anchor>` named in
the code or the workflows is a section that exists, and each journey's message names its page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ci import config as ci_config
from tenantguard_db import migrate
from tests import runbooks
from tools import bootstrap, evaluator, lost_passphrase

PAGES = (
    "new-staging-copy.md",
    "remove-a-stack.md",
    "lost-passphrase.md",
    "failed-production-migration.md",
    "restore-state.md",
)
PROCEDURE = ["When to use it", "Steps", "Verify", "Back out", "Why"]
LINK = re.compile(r"docs/how-to/([\w-]+\.md)#([\w-]+)")
CODE = ("tools", "ci", "infra", "tenantguard_db", ".github")


def sources() -> list[Path]:
    root = evaluator.ROOT
    return sorted(
        path
        for folder in CODE
        for path in (root / folder).rglob("*")
        if path.suffix in (".py", ".yml", ".yaml") and "__pycache__" not in path.parts
    )


@pytest.mark.parametrize("page", PAGES)
def test_each_runbook_is_one_procedure_with_the_four_sections_and_its_reasons_last(page: str) -> None:
    second_level = [
        line[3:].strip()
        for line in (runbooks.DOCS / "how-to" / page).read_text().splitlines()
        if line.startswith("## ")
    ]
    assert second_level == PROCEDURE
    assert runbooks.commands(f"how-to/{page}", "Steps")


@pytest.mark.parametrize("page", PAGES)
def test_each_runbook_s_links_lead_somewhere(page: str) -> None:
    path = runbooks.DOCS / "how-to" / page
    for target in re.findall(r"\]\(([^)#:]+\.md)(?:#[\w-]+)?\)", path.read_text()):
        assert (path.parent / target).resolve().is_file(), f"{page} links {target}"


def test_every_runbook_section_the_code_names_exists() -> None:
    named = 0
    for path in sources():
        for page, anchor in LINK.findall(path.read_text()):
            named += 1
            headings = runbooks.headings(f"how-to/{page}")
            assert anchor in {runbooks.anchor(title) for title in headings}, f"{path}: {page}#{anchor}"
    assert named >= 5


def test_each_journey_s_message_names_its_runbook() -> None:
    steps = runbooks.anchor("Steps")
    assert f"docs/how-to/new-staging-copy.md#{steps}" == bootstrap.RUNBOOK
    assert f"docs/how-to/lost-passphrase.md#{steps}" == lost_passphrase.RUNBOOK
    assert f"docs/how-to/failed-production-migration.md#{steps}" in migrate.FAILED
    assert f"docs/how-to/remove-a-stack.md#{steps}" == ci_config.REMOVE_A_STACK
    deploy = (evaluator.ROOT / ".github" / "workflows" / "infra-deploy.yml").read_text()
    refusals = [line for line in deploy.splitlines() if "::error title=Older commit::This run deploys" in line]
    assert refusals
    assert all(f"docs/how-to/failed-production-migration.md#{steps}" in line for line in refusals)
    # A stack file whose secrets are not all set yet is left out of every workflow, which says where to go.
    for name in ("infra-deploy.yml", "infra-preview.yml", "infra-drift.yml"):
        text = (evaluator.ROOT / ".github" / "workflows" / name).read_text()
        (notice,) = [line for line in text.splitlines() if "::notice title=Not ready::" in line]
        assert f"docs/how-to/new-staging-copy.md#{steps}" in notice, name


def test_the_migration_resource_is_found_in_an_export_by_its_type(evaluated: dict[str, evaluator.Evaluation]) -> None:
    (urn,) = [urn for urn in evaluated["production"].resources if urn.endswith("::database-alembic")]
    token = evaluator.resource_type(urn)
    (line,) = [
        line
        for line in runbooks.commands("how-to/failed-production-migration.md", "Steps")
        if line.startswith("pulumi stack export")
    ]
    assert f'select(.type == "{token}")' in line
