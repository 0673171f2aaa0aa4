"""The how-to runbooks (docs/how-to/) read as runbooks: each procedure has its four sections, every Pulumi command
names its stack, every page says what to redeploy, and every link to a runbook section, from a page or from a
message in the code, lands on a heading that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests import runbooks

HOW_TO = runbooks.DOCS / "how-to"
PAGES = sorted(path.name for path in HOW_TO.glob("*.md"))
RUNBOOKS = (
    "llm-keys.md",
    "rotate-session-key.md",
    "rotate-database-password.md",
    "rotate-tokens.md",
    "vercel-redeploys.md",
    "switch-to-generated-credentials.md",
)
SECTIONS = ("When to use it", "Steps", "Verify", "Back out")
NOT_PROCEDURES = ("Before you start", "Why", "What to redeploy after each change")
CODE = ("infra", "tools", "ci", "policy", "tenantguard_db")
LINK_IN_CODE = re.compile(r"docs/how-to/([\w.-]+\.md)#([\w-]+)")
LINK_IN_PAGE = re.compile(r"\]\((?!https?:)([\w.-]*\.md)?(?:#([\w-]+))?\)")


def anchors(page: str) -> list[str]:
    """The anchors GitHub gives a page's headings: a repeated one gets `-1`, `-2`, ... after the first."""
    seen: dict[str, int] = {}
    found = []
    for title in runbooks.headings(f"how-to/{page}"):
        slug = runbooks.anchor(title)
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.append(slug if count == 0 else f"{slug}-{count}")
    return found


def test_every_runbook_is_there() -> None:
    assert set(RUNBOOKS) <= set(PAGES)


@pytest.mark.parametrize("page", RUNBOOKS)
def test_each_procedure_has_its_four_sections_in_order(page: str) -> None:
    outline = runbooks.outline(f"how-to/{page}")
    procedures = [path for path in outline if len(path) == 2 and path[1] not in (*NOT_PROCEDURES, *SECTIONS)]
    if not procedures:  # one procedure: the page's own sections
        assert [path[1] for path in outline if len(path) == 2 and path[1] in SECTIONS] == list(SECTIONS)
        return
    for procedure in procedures:
        assert [path[2] for path in outline if path[:2] == procedure and len(path) == 3] == list(SECTIONS), procedure


@pytest.mark.parametrize("page", RUNBOOKS)
def test_every_pulumi_command_names_its_stack(page: str) -> None:
    for path in runbooks.outline(f"how-to/{page}"):
        within = path[-2] if len(path) > 2 else None
        assert runbooks.without_stack(runbooks.commands(f"how-to/{page}", path[-1], within)) == [], path


@pytest.mark.parametrize("page", [page for page in RUNBOOKS if page != "vercel-redeploys.md"])
def test_every_runbook_links_the_redeploy_table(page: str) -> None:
    assert "vercel-redeploys.md#what-to-redeploy-after-each-change" in (HOW_TO / page).read_text()


@pytest.mark.parametrize("page", PAGES)
def test_every_link_of_a_page_lands_on_a_heading(page: str) -> None:
    for target, fragment in LINK_IN_PAGE.findall((HOW_TO / page).read_text()):
        linked = target or page
        assert (HOW_TO / linked).is_file(), f"{page} links {linked}"
        if fragment:
            assert fragment in anchors(linked), f"{page} links {linked}#{fragment}"


def code_links() -> list[tuple[Path, str, str]]:
    root = runbooks.ROOT
    return [
        (path.relative_to(root), page, fragment)
        for folder in CODE
        for path in sorted((root / folder).rglob("*.py"))
        for page, fragment in LINK_IN_CODE.findall(path.read_text())
    ]


def test_the_code_s_messages_name_runbook_sections_that_exist() -> None:
    links = code_links()
    assert {page for _, page, _ in links} >= {
        "llm-keys.md",
        "rotate-session-key.md",
        "rotate-database-password.md",
        "rotate-tokens.md",
        "switch-to-generated-credentials.md",
    }
    for path, page, fragment in links:
        assert (HOW_TO / page).is_file(), f"{path} names docs/how-to/{page}"
        assert fragment in anchors(page), f"{path} names docs/how-to/{page}#{fragment}"
        # A procedure's own heading (the first of its anchor), not a repeated `Steps` further down.
        assert anchors(page).count(fragment) == 1


REDEPLOY = "vercel-redeploys.md"
KNOWN_REDEPLOY_LINES = (
    re.compile(r"export VERCEL_ORG_ID=team_\w+ VERCEL_PROJECT_ID=prj_\w+"),
    re.compile(r"vercel list --environment (production|preview)( --meta githubCommitRef=[\w-]+)?"),
    re.compile(r"vercel redeploy https://[\w-]+\.vercel\.app"),
    re.compile(
        r"gh run list --repo tenantguard/[\w-]+ --workflow preview\.yml --event pull_request_target --limit \d+"
    ),
    re.compile(r"gh run rerun \d+ --repo tenantguard/[\w-]+"),
)


def test_the_redeploy_steps_are_the_vercel_and_gh_commands_the_page_cites() -> None:
    lines = runbooks.commands(f"how-to/{REDEPLOY}", "Steps", "Redeploy on Vercel")
    assert lines
    assert [line for line in lines if not any(known.fullmatch(line) for known in KNOWN_REDEPLOY_LINES)] == []


def test_the_redeploy_steps_name_each_stack_s_own_vercel_team_and_project() -> None:
    lines = runbooks.commands(f"how-to/{REDEPLOY}", "Steps", "Redeploy on Vercel")
    exported = [line for line in lines if line.startswith("export VERCEL_ORG_ID=")]
    for stack, line in zip(("production", "staging"), exported, strict=True):
        text = (runbooks.ROOT / f"Pulumi.{stack}.yaml").read_text()
        team, project = re.findall(r"=(\S+)", line)
        assert f"vercelTeamId: {team}" in text
        assert f"vercelProjectId: {project}" in text


BEFORE_YOU_START = (
    re.compile(
        r"export PULUMI_CONFIG_PASSPHRASE_FILE=~/\.config/tenantguard/[a-z0-9-]+\.passphrase; "
        r"unset PULUMI_CONFIG_PASSPHRASE"
    ),
    re.compile(r"pulumi login s3://tenantguard-pulumi-state"),
)


@pytest.mark.parametrize("page", [page for page in RUNBOOKS if page != "vercel-redeploys.md"])
def test_before_you_start_sets_one_stack_s_passphrase_file_and_the_backend(page: str) -> None:
    # PULUMI_CONFIG_PASSPHRASE, when set, wins over the file: another stack's would be used.
    lines = runbooks.commands(f"how-to/{page}", "Before you start")
    assert lines
    assert [line for line in lines if not any(known.fullmatch(line) for known in BEFORE_YOU_START)] == []
