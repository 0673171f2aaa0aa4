"""Every link between the docs, and every docs/ section a message names, leads somewhere: a newcomer following
README reaches each journey, and an operator following an error message reaches the runbook section it names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests import runbooks

ROOT = runbooks.ROOT
PAGES = sorted(
    [
        ROOT / "README.md",
        ROOT / "tests" / "README.md",
        *(ROOT / "workorders").glob("*.md"),
        *runbooks.DOCS.rglob("*.md"),
    ]
)
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_SECTION_IN_CODE = re.compile(
    r"(?<![\w/.-])(docs/(?:(?:tutorial|how-to|reference|explanation)/[\w.-]+|README)\.md|workorders/[\w.-]+\.md)(?:#([\w-]+))?"
)
CODE = [
    path
    for folder in ("infra", "tools", "ci", "tenantguard_db", "policy", ".github", "scripts")
    for path in sorted((ROOT / folder).rglob("*"))
    if path.is_file() and path.suffix in (".py", ".yml", ".yaml", "") and "__pycache__" not in path.parts
]


def anchors(page: Path) -> set[str]:
    text = page.read_text()
    found = {runbooks.anchor(path[-1]) for path, _ in runbooks._sections(text)}
    return found | set(re.findall(r'<a (?:name|id)="([^"]+)"', text))


def broken(source: Path, target: str) -> str | None:
    if re.match(r"[a-z]+:", target):  # https:, mailto:
        return None
    path, _, fragment = target.partition("#")
    resolved = (source.parent / path).resolve() if path else source
    if not resolved.exists():
        return f"{source.relative_to(ROOT)}: {target} (no such file)"
    if fragment and resolved.suffix == ".md" and fragment not in anchors(resolved):
        return f"{source.relative_to(ROOT)}: {target} (no section #{fragment})"
    return None


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_link_of_a_page_leads_to_a_file_and_section(page: Path) -> None:
    problems = [problem for target in _LINK.findall(page.read_text()) if (problem := broken(page, target))]
    assert problems == []


def test_every_docs_section_the_code_names_exists() -> None:
    problems = []
    for path in CODE:
        for page, fragment in _SECTION_IN_CODE.findall(path.read_text(errors="replace")):
            target = f"{page}#{fragment}" if fragment else page
            if problem := broken(ROOT / "README.md", target):
                problems.append(f"{path.relative_to(ROOT)} names {problem.split(': ', 1)[1]}")
    assert problems == []


def test_readme_reaches_every_runbook_and_the_tutorial_within_two_clicks() -> None:
    readme = ROOT / "README.md"
    first = {(readme.parent / link.partition("#")[0]).resolve() for link in _LINK.findall(readme.read_text())}
    second = {
        (page.parent / link.partition("#")[0]).resolve()
        for page in first
        if page.suffix == ".md" and page.exists()
        for link in _LINK.findall(page.read_text())
    }
    journeys = {*runbooks.DOCS.glob("how-to/*.md"), *runbooks.DOCS.glob("tutorial/*.md")}
    assert journeys - first - second == set()


def test_readme_is_short_and_starts_with_the_two_commands() -> None:
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 120
    assert lines[3].startswith("./scripts/setup && ./scripts/plan")
    assert lines[4].startswith("./scripts/check")


def test_no_page_shows_a_uv_command_that_needs_uv_on_path() -> None:
    # ./scripts/setup installs uv into .tools/uv when it is missing, off PATH: ./scripts/uv finds it either way.
    bare = re.compile(r"(?:^|[;&|]\s*|\$\(\s*)uv\s")
    problems = []
    for page in PAGES:
        text = page.read_text()
        for block in re.findall(r"```(?:bash|sh|shell|console)\n(.*?)```", text, re.DOTALL):
            problems += [
                f"{page.relative_to(ROOT)}: {line}" for line in block.splitlines() if bare.search(line.split(" #")[0])
            ]
        problems += [f"{page.relative_to(ROOT)}: `{code}`" for code in re.findall(r"`(uv run [^`]+)`", text)]
    assert problems == []
