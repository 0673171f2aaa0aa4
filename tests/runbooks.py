"""The commands a docs page shows, read from the page itself, so a runbook's test runs the very lines an operator
copies: `commands(page, heading)` lists the command lines of the ```bash blocks in one section, and
`config_changes(lines, stack)` reads its `pulumi config set/rm` lines as config overrides for tests/fakes.py.

A runbook section's commands are either run by its test (tools, scripts, Alembic, SQL against real PostgreSQL), or,
where they need the Pulumi CLI, GitHub or a cloud (not reachable here), read as what they change: a `pulumi config`
line becomes the override the program is then evaluated with, and every other line is checked to be one the test
expects, so the page cannot drift from what was tested.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from infra.tables.type_tokens import PROJECT

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*(\w*)")
"""A code fence, indented or not (a fence inside a list item is indented with the item)."""
SHELLS = frozenset({"bash", "sh", "shell", "console"})


def _sections(text: str) -> dict[str, list[str]]:
    """Each heading's lines (up to the next heading of the same or a higher level), headings outside code only."""
    lines = text.splitlines()
    headings: list[tuple[int, int, str]] = []
    fence: str | None = None
    for number, line in enumerate(lines):
        if (opened := _FENCE.match(line)) and (fence is None or line.strip().startswith(fence)):
            fence = None if fence else opened[1]
        elif fence is None and (found := _HEADING.match(line)):
            headings.append((number, len(found[1]), found[2]))
    sections: dict[str, list[str]] = {}
    for index, (start, level, title) in enumerate(headings):
        end = next((n for n, lvl, _ in headings[index + 1 :] if lvl <= level), len(lines))
        if title in sections:
            raise ValueError(f"two sections titled {title!r}: a runbook's test could not tell them apart")
        sections[title] = lines[start + 1 : end]
    return sections


def headings(page: str) -> list[str]:
    """Every heading of a docs page (`page` relative to docs/), in order."""
    return list(_sections((DOCS / page).read_text()))


def anchor(title: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation but `-` and `_` dropped, spaces to `-`."""
    slug = re.sub(r"[^\w\- ]", "", title.strip().lower())
    return slug.replace(" ", "-")


def commands(page: str, heading: str) -> list[str]:
    """The command lines of the shell blocks under `heading` in docs/`page`: comments and blank lines dropped, a
    line ending in `\\` joined with the next, a `$ ` prompt removed. Raises KeyError naming a missing section."""
    sections = _sections((DOCS / page).read_text())
    if heading not in sections:
        raise KeyError(f"docs/{page} has no section {heading!r}; it has {list(sections)}")
    found: list[str] = []
    language: str | None = None
    pending = ""
    for line in sections[heading]:
        if fence := _FENCE.match(line):
            language = None if language is not None else fence[2] or "text"
            continue
        if language not in SHELLS:
            continue
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        stripped = stripped.removeprefix("$ ")
        if stripped.endswith("\\"):
            pending += stripped[:-1].rstrip() + " "
            continue
        found.append((pending + stripped).split(" #", 1)[0].rstrip() if " #" in stripped else pending + stripped)
        pending = ""
    return found


@dataclass(frozen=True)
class ConfigChange:
    """One `pulumi config set` or `rm` line: the stack, the key (without the project prefix) and the new value."""

    stack: str
    key: str
    value: str | None
    """None for `rm`."""
    secret: bool
    path: bool


def config_change(line: str) -> ConfigChange | None:
    """A `pulumi config set|rm` line read as Pulumi's CLI reads it (`--stack`, `--secret`, `--path`, the key with or
    without `tenantguard-infra:`, the value), or None for any other line. Raises ValueError for a config line without
    `--stack`: every runbook names the stack it changes."""
    words = shlex.split(line)
    if words[:2] != ["pulumi", "config"] or len(words) < 3 or words[2] not in ("set", "rm"):
        return None
    verb, rest = words[2], words[3:]
    stack = None
    flags: set[str] = set()
    positional: list[str] = []
    iterator = iter(rest)
    for word in iterator:
        if word in ("--stack", "-s"):
            stack = next(iterator)
        elif word.startswith("--stack="):
            stack = word.split("=", 1)[1]
        elif word.startswith("-"):
            flags.add(word)
        else:
            positional.append(word)
    if stack is None:
        raise ValueError(f"{line!r} names no --stack")
    key = positional[0].removeprefix(f"{PROJECT}:")
    value = positional[1] if verb == "set" and len(positional) > 1 else None
    return ConfigChange(stack, key, value, secret="--secret" in flags, path="--path" in flags)


def config_changes(lines: list[str], stack: str) -> list[ConfigChange]:
    """The `pulumi config` lines among `lines`, each checked to change `stack`."""
    changes = [change for line in lines if (change := config_change(line)) is not None]
    for change in changes:
        if change.stack != stack:
            raise ValueError(f"a config line changes {change.stack!r}, expected {stack!r}")
    return changes


def applied(changes: list[ConfigChange], values: dict[str, str], shell: dict[str, str]) -> dict[str, str]:
    """`values` (a stack's config as tests/fakes.py stack_values gives it) after the changes, with each `$NAME` or
    `"$NAME"` in a value read from `shell`, as the operator's shell would expand it. A `--path` key `a.b` sets or
    removes `b` inside the object `a` (JSON in `values`)."""
    result = dict(values)
    for change in changes:
        value = change.value
        if value is not None and value.startswith("$"):
            value = shell[value.removeprefix("$").strip("{}")]
        if change.path and "." in change.key:
            top, inner = change.key.split(".", 1)
            current = json.loads(result.get(top) or "{}")
            if value is None:
                current.pop(inner, None)
            else:
                current[inner] = value
            result[top] = json.dumps(current)
        elif value is None:
            result.pop(change.key, None)
        else:
            result[change.key] = value
    return result
