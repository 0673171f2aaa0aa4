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
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*(\w*)")
"""A code fence, indented or not (a fence inside a list item is indented with the item)."""
SHELLS = frozenset({"bash", "sh", "shell", "console"})


def _sections(text: str) -> list[tuple[tuple[str, ...], list[str]]]:
    """Each heading's path (its own title last, after the titles of the headings it sits under) and its lines (up to
    the next heading of the same or a higher level), headings outside code only, in order."""
    lines = text.splitlines()
    headings: list[tuple[int, int, str]] = []
    fence: str | None = None
    for number, line in enumerate(lines):
        if (opened := _FENCE.match(line)) and (fence is None or line.strip().startswith(fence)):
            fence = None if fence else opened[1]
        elif fence is None and (found := _HEADING.match(line)):
            headings.append((number, len(found[1]), found[2]))
    sections: list[tuple[tuple[str, ...], list[str]]] = []
    above: list[tuple[int, str]] = []
    for index, (start, level, title) in enumerate(headings):
        above = [(lvl, name) for lvl, name in above if lvl < level]
        end = next((n for n, lvl, _ in headings[index + 1 :] if lvl <= level), len(lines))
        path = (*(name for _, name in above), title)
        if any(known == path for known, _ in sections):
            raise ValueError(f"two sections {' > '.join(path)!r}: a runbook's test could not tell them apart")
        sections.append((path, lines[start + 1 : end]))
        above.append((level, title))
    return sections


def _section(page: str, heading: str, within: str | None) -> list[str]:
    """The lines of the one section titled `heading` (right under a heading titled `within`, when given)."""
    sections = _sections((DOCS / page).read_text())
    found = [lines for path, lines in sections if path[-1] == heading and (within is None or path[-2:-1] == (within,))]
    where = f"{heading!r}" + (f" under {within!r}" if within else "")
    if not found:
        raise KeyError(f"docs/{page} has no section {where}; it has {[' > '.join(path) for path, _ in sections]}")
    if len(found) > 1:
        raise ValueError(f"docs/{page} has {len(found)} sections {where}: say which with `within`")
    return found[0]


def headings(page: str) -> list[str]:
    """Every heading of a docs page (`page` relative to docs/), in order."""
    return [path[-1] for path, _ in _sections((DOCS / page).read_text())]


def outline(page: str) -> list[tuple[str, ...]]:
    """Every heading of a docs page as its path (the titles above it, then its own), in order."""
    return [path for path, _ in _sections((DOCS / page).read_text())]


def anchor(title: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation but `-` and `_` dropped, spaces to `-`."""
    slug = re.sub(r"[^\w\- ]", "", title.strip().lower())
    return slug.replace(" ", "-")


def commands(page: str, heading: str, within: str | None = None) -> list[str]:
    """The command lines of the shell blocks under `heading` in docs/`page` (the one under `within`, on a page whose
    procedures each have a `Steps`): comments and blank lines dropped, a line ending in `\\` joined with the next, a
    `$ ` prompt removed. Raises KeyError naming a missing section."""
    found: list[str] = []
    language: str | None = None
    pending = ""
    for line in _section(page, heading, within):
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


def blocks(page: str, heading: str, within: str | None = None, language: str = "sql") -> list[str]:
    """The text of each code block in `language` under `heading` (see `commands`), as written."""
    found: list[str] = []
    current: list[str] | None = None
    inside: str | None = None
    for line in _section(page, heading, within):
        if fence := _FENCE.match(line):
            if inside is None:
                inside = fence[2] or "text"
                current = [] if inside == language else None
            else:
                if current is not None:
                    found.append("\n".join(current) + "\n")
                inside, current = None, None
            continue
        if current is not None:
            current.append(line)
    return found


@dataclass(frozen=True)
class ConfigChange:
    """One `pulumi config set` or `rm` line: the stack, the key (without the project prefix) and the new value."""

    stack: str
    key: str
    value: str | None
    """None for `rm`, and for a `set` that asks for the value (none given) or reads it from a file (`< FILE`)."""
    secret: bool
    path: bool
    verb: str = "set"
    stdin: str | None = None
    """The file a `set` reads its value from (`< FILE`), as written."""
    directory: str = "."
    """The project directory (`-C DIR` / `--cwd DIR`): `ci` for the CI project."""

    @property
    def asked(self) -> bool:
        """A `set` whose value the operator types when the CLI asks, or gives on standard input."""
        return self.verb == "set" and self.value is None


_PROJECT_PREFIX = re.compile(r"^[a-z0-9-]+:")
"""`tenantguard-infra:` or `tenantguard-ci:` before a key (project names are lower case; keys start in lower case
and hold upper case, and a path's `[` comes before any `:` in it)."""
_PATH = re.compile(r'^([^.\[]+)(?:\.(.+)|\["(.+)"\])$')
"""Pulumi's `--path` key, one level deep: `top.inner` or `top["inner"]`."""


def nested_key(key: str) -> tuple[str, str] | None:
    """A `--path` key one level deep, `top.inner` or `top["inner"]`, as (top, inner); None for a plain key."""
    found = _PATH.match(key)
    return None if found is None else (found[1], found[2] or found[3])


def config_change(line: str) -> ConfigChange | None:
    """A `pulumi config set|rm` line read as Pulumi's CLI reads it (`-C`/`--cwd DIR` before `config`, `--stack`,
    `--secret`, `--path`, the key with or without the project's prefix, the value or `< FILE`), or None for any
    other line. Raises ValueError for a config line without `--stack`: every runbook names the stack it changes."""
    words = shlex.split(line)
    directory = "."
    if words[:1] == ["pulumi"] and len(words) > 2 and words[1] in ("-C", "--cwd"):
        directory, words = words[2], ["pulumi", *words[3:]]
    if words[:2] != ["pulumi", "config"] or len(words) < 3 or words[2] not in ("set", "rm"):
        return None
    verb, rest = words[2], words[3:]
    stack = None
    stdin = None
    flags: set[str] = set()
    positional: list[str] = []
    iterator = iter(rest)
    for word in iterator:
        if word in ("--stack", "-s"):
            stack = next(iterator)
        elif word.startswith("--stack="):
            stack = word.split("=", 1)[1]
        elif word == "<":
            stdin = next(iterator)
        elif word.startswith("-"):
            flags.add(word)
        else:
            positional.append(word)
    if stack is None:
        raise ValueError(f"{line!r} names no --stack")
    key = _PROJECT_PREFIX.sub("", positional[0])
    value = positional[1] if verb == "set" and len(positional) > 1 else None
    return ConfigChange(
        stack,
        key,
        value,
        secret="--secret" in flags,
        path="--path" in flags,
        verb=verb,
        stdin=stdin,
        directory=directory,
    )


def config_changes(lines: list[str], stack: str) -> list[ConfigChange]:
    """The `pulumi config` lines among `lines`, each checked to change `stack`."""
    changes = [change for line in lines if (change := config_change(line)) is not None]
    for change in changes:
        if change.stack != stack:
            raise ValueError(f"a config line changes {change.stack!r}, expected {stack!r}")
    return changes


def applied(
    changes: list[ConfigChange],
    values: dict[str, str],
    shell: dict[str, str],
    typed: dict[str, str] | None = None,
) -> dict[str, str]:
    """`values` (a stack's config as tests/fakes.py stack_values gives it) after the changes, with each `$NAME` or
    `"$NAME"` in a value read from `shell`, as the operator's shell would expand it, and a value the CLI asks for
    (or reads from `< FILE`) from `typed`, by key as written. A `--path` key `a.b` or `a["b"]` sets or removes `b`
    inside the object `a` (JSON in `values`)."""
    result = dict(values)
    for change in changes:
        value = change.value
        if change.asked:
            if typed is None or change.key not in typed:
                raise KeyError(f"the CLI asks for {change.key!r}: give the test's answer in `typed`")
            value = typed[change.key]
        elif value is not None and value.startswith("$"):
            value = shell[value.removeprefix("$").strip("{}")]
        nested = nested_key(change.key) if change.path else None
        if nested is not None:
            top, inner = nested
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


_COMMAND_SEPARATOR = re.compile(r"\s*(?:&&|\|\||[|;])\s*")
_ENVIRONMENT_PREFIX = re.compile(r'^(?:[A-Z_]+=(?:"[^"]*"|\S+)\s+)+')
_SHELL_KEYWORD = re.compile(r"^(?:do|then|else)\s+")


def pulumi_commands(lines: Iterable[str]) -> list[str]:
    """Every `pulumi ...` command in the lines: `&&`, `||`, `|` and `;` lists taken apart, a loop's `do`, environment
    prefixes and an opening `(` removed; one inside another command's `$(...)` is that command's argument."""
    found = []
    for line in lines:
        for part in _COMMAND_SEPARATOR.split(line):
            words = _ENVIRONMENT_PREFIX.sub("", _SHELL_KEYWORD.sub("", part.strip().lstrip("(")))
            if words.startswith("pulumi ") and "$(" not in part.split("pulumi", 1)[0]:
                found.append(words)
    return found


def without_stack(lines: Iterable[str]) -> list[str]:
    """The pulumi commands that name no stack: every one must (`pulumi login` names a backend, not a stack)."""
    return [
        command
        for command in pulumi_commands(lines)
        if not command.startswith("pulumi login ") and not re.search(r"(^|\s)--stack[ =]\S", command)
    ]


def unknown(lines: Iterable[str], known: Iterable[str | re.Pattern[str]]) -> list[str]:
    """The lines no exact text or pattern of `known` matches (a pattern must match the whole line)."""
    exact = {item for item in known if isinstance(item, str)}
    patterns = [item for item in known if isinstance(item, re.Pattern)]
    return [line for line in lines if line not in exact and not any(p.fullmatch(line) for p in patterns)]
