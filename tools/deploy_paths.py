"""Which changed files a deploy deploys: infra-deploy.yml's own push `paths` filter, applied to a list of files.

    gh api repos/OWNER/REPO/compare/OLD...NEW --jq '.files[].filename' | python -m tools.deploy_paths

prints the files the filter matches and exits 1 when there are any (or the list may be cut), 0 when none.
The deploy job of an older commit than main's head runs only when main changed nothing since that a push would
deploy (those later commits started no deploy of their own: GitHub skips a push whose files all miss `paths`), so
a docs-only merge landing during a deploy neither strands it nor lets a re-run roll a deployed change back.

The filter is read as GitHub reads it (docs, "Workflow syntax for GitHub Actions", "Filter pattern cheat sheet"):
`*` matches any characters but `/`, `**` any characters; the patterns here use no other special character, and one
that does is refused rather than read differently.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY_WORKFLOW = ROOT / ".github" / "workflows" / "infra-deploy.yml"
_SPECIAL = re.compile(r"[?+\[\]!]")
COMPARE_FILE_LIMIT = 300
"""GitHub's compare API lists at most this many changed files (its docs, "Compare two commits"): a list that long may
be cut, so it counts as changing what a deploy deploys."""


def patterns(workflow: Path = DEPLOY_WORKFLOW) -> tuple[str, ...]:
    document = yaml.safe_load(workflow.read_text())
    triggers = document.get("on", document.get(True))  # YAML 1.1 reads a bare `on` as true
    return tuple(triggers["push"]["paths"])


def pattern_regex(pattern: str) -> re.Pattern[str]:
    """One path filter as a regex. Raises ValueError for a character this reading does not cover."""
    if _SPECIAL.search(pattern):
        raise ValueError(f"path filter {pattern!r}: only `*` and `**` are read here; extend tools/deploy_paths.py")
    parts = re.split(r"(\*\*|\*)", pattern)
    body = "".join(".*" if part == "**" else "[^/]*" if part == "*" else re.escape(part) for part in parts)
    return re.compile(body)


def deployed(files: Iterable[str], filters: Sequence[str]) -> list[str]:
    """The files any of `filters` matches, in their order."""
    compiled = [pattern_regex(pattern) for pattern in filters]
    return [name for name in files if any(regex.fullmatch(name) for regex in compiled)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.deploy_paths", description=__doc__.split("\n\n")[0])
    parser.add_argument("--workflow", type=Path, default=DEPLOY_WORKFLOW, help="the workflow whose push paths apply")
    args = parser.parse_args(argv)
    files = [line.strip() for line in sys.stdin if line.strip()]
    if len(files) >= COMPARE_FILE_LIMIT:
        print(f"{len(files)} files (the compare API lists at most {COMPARE_FILE_LIMIT}: the list may be cut)")
        return 1
    matched = deployed(files, patterns(args.workflow))
    for name in matched:
        print(name)
    return 1 if matched else 0


if __name__ == "__main__":
    raise SystemExit(main())
