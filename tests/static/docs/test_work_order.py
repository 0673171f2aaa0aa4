"""workorders/WO-ci-secrets.md and its explanation page: every link and footnote resolves, every heading the code or
the docs send a reader to exists, and no shell command in them runs a bare `uv` (an operator runs ./scripts/uv)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tenantguard_db.preview_db.errors import WORK_ORDER
from tests.runbooks import ROOT, anchor

PAGE = ROOT / "workorders" / "WO-ci-secrets.md"
EXPLANATION = ROOT / "docs" / "explanation" / "preview-databases.md"
OWN_PAGES = (PAGE, EXPLANATION)
THIS_FILE = Path(__file__).resolve()

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*(\w*)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
_LINK = re.compile(r"(?<!!)\[(?!\^)[^\]]*\]\(([^)\s]+)\)")
_FOOTNOTE_REF = re.compile(r"\[\^([^\]\s]+)\](?!:)")
_FOOTNOTE_DEF = re.compile(r"^\[\^([^\]\s]+)\]:", re.MULTILINE)
_INLINE_CODE = re.compile(r"`[^`]*`")
SHELLS = frozenset({"bash", "sh", "shell", "console"})

# Where code names a work-order section: a link with its heading's anchor, or (in tests) the heading's own line.
_CODE_ANCHOR = re.compile(r"WO-ci-secrets\.md#([\w-]+)")
_CODE_HEADING = re.compile(r"""["'](?:\\n)?(#{2,6}) ([^"'\\\n]+)""")
# The older way, a section's title in quotes after the path: GitHub cannot take a reader there.
_QUOTED_SECTION = re.compile(r"""WO-ci-secrets\.md(?:,\s*(?:section\s*)?|\s*\()\\?["“]""")
CODE_SUFFIXES = frozenset({".py", ".yml", ".yaml", ".sh"})
SKIPPED_DIRECTORIES = frozenset({".git", ".venv", "venv", ".tools", "node_modules", "__pycache__"})


def split(text: str) -> tuple[list[tuple[int, str]], list[tuple[str, list[str]]], str]:
    """A page's headings (level, title), its fenced blocks (language, lines) and its prose with the blocks removed."""
    headings: list[tuple[int, str]] = []
    blocks: list[tuple[str, list[str]]] = []
    prose: list[str] = []
    fence: str | None = None
    for line in text.splitlines():
        opened = _FENCE.match(line)
        if fence is None and opened:
            fence = opened[1]
            blocks.append((opened[2], []))
        elif fence is not None and line.strip().startswith(fence):
            fence = None
        elif fence is not None:
            blocks[-1][1].append(line)
        else:
            prose.append(line)
            if heading := _HEADING.match(line):
                headings.append((len(heading[1]), heading[2]))
    assert fence is None, "a code fence is never closed"
    return headings, blocks, "\n".join(prose)


def anchors(path: Path) -> set[str]:
    return {anchor(title) for _, title in split(path.read_text())[0]}


def links(path: Path) -> list[str]:
    """The link targets in a page's prose (code blocks and inline code left out)."""
    prose = _INLINE_CODE.sub("", split(path.read_text())[2])
    return _LINK.findall(prose)


def broken_links(path: Path) -> list[str]:
    broken = []
    for target in links(path):
        if re.match(r"[a-z]+:", target):
            continue  # a web address: not ours to resolve offline
        file_part, _, fragment = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif fragment and linked.suffix == ".md" and fragment not in anchors(linked):
            broken.append(f"{target}: no heading with that anchor in {linked.name}")
    return broken


def code_files() -> list[Path]:
    found = []
    for path in ROOT.rglob("*"):
        parts = set(path.relative_to(ROOT).parts)
        # This file is left out: its own samples of the patterns would match them.
        if path.suffix in CODE_SUFFIXES and path.is_file() and not parts & SKIPPED_DIRECTORIES and path != THIS_FILE:
            found.append(path)
    return found


def named_in_code() -> dict[str, list[str]]:
    """Each code file that names the work order, with the sections it names (anchors, and `## Title` lines in the
    tests that read the page)."""
    named: dict[str, list[str]] = {}
    for path in code_files():
        text = path.read_text(errors="replace")
        if "WO-ci-secrets.md" not in text:
            continue
        sections = _CODE_ANCHOR.findall(text)
        sections += [f"{level} {title}" for level, title in _CODE_HEADING.findall(text)]
        named[str(path.relative_to(ROOT))] = sections
    return named


def bare_uv(command: str) -> bool:
    """Whether a shell line runs `uv` itself rather than ./scripts/uv (a comment does not count)."""
    code = re.split(r"(?:^|\s)#", command, maxsplit=1)[0]
    return re.search(r"(?<![\w./-])uv\s", code) is not None


def shell_lines(path: Path) -> list[str]:
    _, blocks, prose = split(path.read_text())
    lines = [line for language, body in blocks if language in SHELLS for line in body]
    # A command written inline in the prose, such as `uv run python -m tools.plan`, is copied just the same.
    lines += [span.strip("`") for span in _INLINE_CODE.findall(prose)]
    return lines


@pytest.mark.parametrize("path", OWN_PAGES, ids=lambda path: path.name)
def test_every_link_resolves_to_a_file_and_heading(path: Path) -> None:
    assert links(path), "a page of this size links somewhere; none found means the link pattern is broken"
    assert broken_links(path) == []


@pytest.mark.parametrize("path", OWN_PAGES, ids=lambda path: path.name)
def test_no_two_headings_share_an_anchor(path: Path) -> None:
    titles = [anchor(title) for _, title in split(path.read_text())[0]]
    assert len(titles) == len(set(titles))


def test_a_link_to_a_missing_heading_or_file_is_reported(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    (tmp_path / "other.md").write_text("# Other\n\n## Its section\n")
    page.write_text(
        "# Page\n\n## A `code` step's heading\n\n[fine](#a-code-steps-heading) [fine](other.md#its-section)\n"
        "[gone](#no-such-heading) [gone](missing.md) [gone](other.md#nowhere) [web](https://example.com/x#y)\n"
        "```bash\n[not a link](#inside-a-block)\n```\n"
    )
    assert [line.split(":")[0] for line in broken_links(page)] == ["#no-such-heading", "missing.md", "other.md#nowhere"]


def test_every_footnote_is_defined_once_and_referenced() -> None:
    prose = _INLINE_CODE.sub("", split(PAGE.read_text())[2])
    defined = _FOOTNOTE_DEF.findall(prose)
    referenced = set(_FOOTNOTE_REF.findall(prose))
    assert defined, "the work order keeps its sources in footnotes"
    assert len(defined) == len(set(defined))
    assert set(defined) == referenced


def test_every_section_the_code_names_exists() -> None:
    named = named_in_code()
    headings = {f"{'#' * level} {title}" for level, title in split(PAGE.read_text())[0]}
    page_anchors = anchors(PAGE)
    missing = [
        f"{path}: {section}"
        for path, sections in named.items()
        for section in sections
        if section not in (headings if section.startswith("#") else page_anchors)
    ]
    assert missing == []
    # The pattern finds what the messages name: the one-time SQL, the shadow-secret check, the tests' headings.
    everything = {section for sections in named.values() for section in sections}
    assert WORK_ORDER.split("#", 1)[1] in everything
    assert "other-copies-of-a-credential-shadow-and-stray-secrets" in everything
    assert "### One-time SQL for the preview role (an administrator, once)" in everything


def test_the_code_names_sections_by_anchor_not_by_quoted_title() -> None:
    quoted = [
        str(path.relative_to(ROOT)) for path in code_files() if _QUOTED_SECTION.search(path.read_text(errors="replace"))
    ]
    assert quoted == []
    assert _QUOTED_SECTION.search('see workorders/WO-ci-secrets.md, section "Preview databases per pull request"')
    assert _QUOTED_SECTION.search('(workorders/WO-ci-secrets.md, \\"Calling the preview action\\")')


def test_the_docs_links_into_the_work_order_resolve() -> None:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    named = [(page, section) for page in pages for section in _CODE_ANCHOR.findall(page.read_text())]
    assert named, "README and docs/ link the work order's sections"
    page_anchors = anchors(PAGE)
    assert [f"{page.relative_to(ROOT)}: #{section}" for page, section in named if section not in page_anchors] == []


@pytest.mark.parametrize("path", OWN_PAGES, ids=lambda path: path.name)
def test_no_shell_command_runs_a_bare_uv(path: Path) -> None:
    lines = shell_lines(path)
    assert [line for line in lines if bare_uv(line)] == []


def test_the_work_orders_commands_run_uv_through_scripts_uv() -> None:
    assert any("./scripts/uv run" in line for line in shell_lines(PAGE))


def test_a_bare_uv_is_found_and_scripts_uv_is_not() -> None:
    assert bare_uv("uv run python -m tools.plan")
    assert bare_uv("unset CI_DB_URL; uv run alembic upgrade head")
    assert bare_uv("cd x && uv sync")
    assert not bare_uv("./scripts/uv run python -m tools.plan")
    assert not bare_uv("./scripts/check   # runs uv sync first")
    assert not bare_uv("pulumi up --stack preview")
