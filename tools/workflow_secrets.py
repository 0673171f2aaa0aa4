"""Checks GitHub workflow files: no step reads a legacy credential name, nor a managed one outside an environment.

    python -m tools.workflow_secrets [--legacy NAME ...] [--managed NAME ...] [--environment NAME ...] PATH...

Rule 1 (legacy): no legacy credential name (legacySecretNames' default in Pulumi.yaml, the stored GitHub tokens the
GitHub Apps replaced, plus --legacy) is read anywhere. Rule 2 (environment): a managed name (the GitHub secrets of
infra/tables/routes.py, the GitHub Apps' private keys, plus --managed, e.g. the extraSecrets names) is read only in a
job that names an environment (one of --environment, if given): any other job reads the repository's or organization's
copy, or nothing. Prints `path:line: message` per finding and exits 1, or exits 0. Needs only the files: app
repositories run it on their own workflows. It reads PyYAML and the standard library only, so a checkout of this
repository and `uv run --no-project --with pyyaml` are enough."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from infra.tables.routes import ROUTES
from tools.ci_layout import READ_APP_KEY, WRITE_APP_KEY

PROJECT_FILE = Path(__file__).resolve().parent.parent / "Pulumi.yaml"
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
STRING = re.compile(r"'(?:[^']|'')*'")
# `secrets.NAME`, `secrets['NAME']`, or the bare context (toJSON(secrets), secrets[some_expression]).
# Expressions ignore case in context and property names; GitHub secret names ignore case too.
INDEXED = re.compile(r"(?<![\w.])secrets\s*\[\s*'([A-Za-z_][A-Za-z0-9_]*)'\s*\]", re.IGNORECASE)
DOTTED = re.compile(r"(?<![\w.])secrets\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)
WHOLE = re.compile(r"(?<![\w.])secrets\b(?!\s*\.)", re.IGNORECASE)


LEGACY_FIX = (
    "read the managed name instead (CI_DB_URL for the database CI migrates) in a job that names its environment"
)


RETIRED_TOKENS = ("INFRA_GITHUB_TOKEN", "INFRA_GITHUB_READ_TOKEN")
"""The stored GitHub tokens the GitHub Apps replaced: no job reads them any more (a leftover copy would still work)."""
APP_KEYS = (READ_APP_KEY, WRITE_APP_KEY, "CI_PROJECT_DRIFT_APP_KEY")
"""The Apps' private keys: environment secrets only (ci/ puts them there); a job reads one only in its environment."""


def default_legacy_names() -> tuple[str, ...]:
    """legacySecretNames' default in Pulumi.yaml: the same list the shadow-secret check starts from."""
    project = yaml.safe_load(PROJECT_FILE.read_text())
    return tuple(project["config"]["legacySecretNames"]["default"])


def default_managed_names() -> tuple[str, ...]:
    return tuple(route.name for route in ROUTES if route.github)


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Read:
    """One read of the `secrets` context: a name, or None for the whole context or a name computed at run time."""

    name: str | None
    line: int


def reads(node: yaml.Node, source: list[str], *, expression: bool = False) -> Iterator[Read]:
    """Every `secrets` read in a YAML subtree; `expression` marks a value that is an expression without `${{ }}`."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from reads(value, source, expression=key.value == "if")
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from reads(item, source)
    elif isinstance(node, yaml.ScalarNode):
        text = str(node.value)
        expressions = [match.group(1) for match in EXPRESSION.finditer(text)]
        if expression and "${{" not in text:
            expressions = [text]
        seen: dict[str | None, int] = {}
        for body in expressions:
            for name in _names(body):
                seen[name] = seen.get(name, 0) + 1
                yield Read(name, _line_of(node, source, name, seen[name]))


def _names(body: str) -> Iterator[str | None]:
    for match in INDEXED.finditer(body):
        yield match.group(1)
    # String literals are blanked first, so a 'secrets' inside a string is not taken for the context.
    code = STRING.sub("''", INDEXED.sub("''", body))
    for match in DOTTED.finditer(code):
        yield match.group(1)
    for _ in WHOLE.finditer(code):
        yield None


def _line_of(node: yaml.Node, source: list[str], name: str | None, nth: int) -> int:
    """The 1-based line of the node's text holding its `nth` read of `name` (its first line if not found)."""
    first, last = node.start_mark.line, min(node.end_mark.line, len(source) - 1)
    needle = re.compile(rf"secrets\s*(?:\.\s*{name}\b|\[\s*'{name}')", re.IGNORECASE) if name else WHOLE
    count = 0
    for number in range(first, last + 1):
        count += len(needle.findall(source[number]))
        if count >= nth:
            return number + 1
    return first + 1


def _pairs(node: yaml.Node | None) -> list[tuple[yaml.Node, yaml.Node]]:
    return list(node.value) if isinstance(node, yaml.MappingNode) else []


def _mapping(node: yaml.Node | None) -> dict[str, yaml.Node]:
    return {str(key.value): value for key, value in _pairs(node)}


def _environment(job: dict[str, yaml.Node]) -> str | None:
    """The environment a job names (`environment: name` or `environment: {name: ...}`), or None."""
    node = job.get("environment")
    if isinstance(node, yaml.MappingNode):
        node = _mapping(node).get("name")
    if isinstance(node, yaml.ScalarNode) and str(node.value).strip():
        return str(node.value).strip()
    return None


@dataclass(frozen=True)
class Rules:
    legacy: frozenset[str]
    managed: frozenset[str]
    environments: frozenset[str]
    """Lower-cased environment names managed names may be read in; empty: any environment."""

    @classmethod
    def of(cls, legacy: Iterable[str], managed: Iterable[str], environments: Iterable[str] = ()) -> Rules:
        upper = frozenset(name.upper() for name in legacy)
        return cls(upper, frozenset(name.upper() for name in managed), frozenset(e.lower() for e in environments))

    def problem(self, read: Read, where: str, environment: str | None) -> str | None:
        """Why this read breaks a rule, or None."""
        if read.name is None:
            return (
                f"{where} reads the whole `secrets` context, or a name computed at run time, so legacy names too if "
                "any exist: read each secret by its literal name (secrets.NAME)"
            )
        name = read.name.upper()
        if name in self.legacy:
            return f"{where} reads legacy secret {read.name}: {LEGACY_FIX}"
        if name not in self.managed:
            return None
        if environment is None:
            return (
                f"{where} reads {read.name} outside any environment, so it gets the repository's or the "
                "organization's copy, or nothing: read it in a job that names its environment (`environment: <name>`)"
            )
        # An environment chosen by an expression (`${{ inputs.environment }}`) cannot be resolved here.
        if self.environments and "${{" not in environment and environment.lower() not in self.environments:
            return f"{where} reads {read.name} in environment {environment!r}, not one of {sorted(self.environments)}"
        return None


def check(path: Path, rules: Rules) -> list[Finding]:
    """The findings of one workflow file; a file that cannot be read as a workflow is one finding."""
    shown = str(path)
    try:
        text = path.read_text()
        # BaseLoader builds only strings, lists and maps, so `on:` stays a key rather than True.
        document = yaml.compose(text, Loader=yaml.BaseLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        mark = getattr(error, "problem_mark", None)
        return [Finding(shown, (mark.line + 1) if mark else 1, f"cannot be read as YAML: {error}")]
    top = _mapping(document)
    if not isinstance(top.get("jobs"), yaml.MappingNode):
        return [Finding(shown, 1, "not a GitHub workflow (no `jobs:` map)")]
    source = text.splitlines()
    findings: list[Finding] = []

    def judge(read: Read, where: str, environment: str | None) -> None:
        if (problem := rules.problem(read, where, environment)) is not None:
            findings.append(Finding(shown, read.line, problem))

    # A reusable workflow's declared secrets come from callers, whose jobs cannot name an environment, so callers
    # can pass only repository or organization copies ("Environment secrets cannot be passed from the caller
    # workflow": https://docs.github.com/en/actions/how-tos/reuse-automations/reuse-workflows).
    for key, _ in _pairs(_mapping(_mapping(top.get("on")).get("workflow_call")).get("secrets")):
        name, line = str(key.value), key.start_mark.line + 1
        if name.upper() in rules.legacy:
            findings.append(
                Finding(shown, line, f"on.workflow_call.secrets declares legacy secret {name}: {LEGACY_FIX}")
            )
        elif name.upper() in rules.managed:
            findings.append(
                Finding(
                    shown,
                    line,
                    f"on.workflow_call.secrets declares {name}, but a caller can pass only a repository or "
                    "organization copy: read it in a job of this workflow that names its environment instead",
                )
            )
    for read in reads(top.get("env") or yaml.MappingNode("", []), source):
        judge(read, "the workflow-level env", None)
    for job_id, job in _mapping(top["jobs"]).items():
        # `secrets: inherit` reads no name itself: the called workflow's jobs read what they name, and are checked
        # where that workflow lives. `secrets: {X: ${{ secrets.Y }}}` is a read by this, the calling, job.
        environment = _environment(_mapping(job))
        for read in reads(job, source):
            judge(read, f"job {job_id!r}", environment)
    return findings


def workflow_files(paths: Iterable[Path]) -> list[Path]:
    """The files given, and the workflow files of the directories given (GitHub reads both extensions)."""
    files: list[Path] = []
    for path in paths:
        files += sorted([*path.glob("*.yml"), *path.glob("*.yaml")]) if path.is_dir() else [path]
    return files


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.workflow_secrets", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "paths", nargs="+", type=Path, help="workflow files, or directories whose *.yml and *.yaml files are checked"
    )
    parser.add_argument("--legacy", action="append", default=[], help="another legacy name (repeatable)")
    parser.add_argument("--managed", action="append", default=[], help="another managed name (repeatable)")
    parser.add_argument(
        "--environment", action="append", default=[], help="an environment managed names may be read in (repeatable)"
    )
    args = parser.parse_args(argv)
    rules = Rules.of(
        [*default_legacy_names(), *RETIRED_TOKENS, *args.legacy],
        [*default_managed_names(), *APP_KEYS, *args.managed],
        args.environment,
    )
    findings = [finding for path in workflow_files(args.paths) for finding in check(path, rules)]
    for finding in findings:
        print(finding)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
