"""The command: rewrite every generated page and block, or with --check only name the stale ones."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from tools import evaluator
from tools.docs import ci_environments, commands, config, github, workflows
from tools.docs.blocks import blocks, rewritten
from tools.docs.index import index
from tools.docs.markdown import COMMAND, GENERATED, REFERENCE, RUN, Page

DESCRIPTION = (
    "Writes every generated document: the reference pages under docs/reference/, and the generated blocks of the "
    "work order and of each stack file's header."
)
PAGES: tuple[Page, ...] = (
    config.PAGE,
    workflows.PAGE,
    ci_environments.PAGE,
    github.PLANS_PAGE,
    github.PERMISSIONS_PAGE,
    commands.PAGE,
)
ALL_PAGES: tuple[Page, ...] = (*PAGES, index(PAGES))


def generated(root: Path) -> list[tuple[Path, str]]:
    """Every generated file with the text it must hold: whole pages, and hand-written files with their blocks."""
    files = [(root / page.path, page.text(root)) for page in ALL_PAGES]
    files += [(path, rewritten(path, block, body)) for path, block, body in blocks(root)]
    return files


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=DESCRIPTION)
    parser.add_argument("--check", action="store_true", help="only report stale files; exit 1 if there are any")
    parser.add_argument("--dir", type=Path, default=evaluator.ROOT, help="the repository root")
    args = parser.parse_args(argv)
    stale = []
    for path, text in generated(args.dir):
        shown = path.relative_to(args.dir)
        if path.is_file() and path.read_text() == text:
            continue
        stale.append(path)
        if args.check:
            what = "missing" if not path.is_file() else "stale"
            print(f"{shown}: generated lines are {what}; run `{RUN}`", file=sys.stderr)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"rewrote {shown}")
    for path in orphans(args.dir):
        stale.append(path)
        if args.check:
            print(f"{path.relative_to(args.dir)}: no page is generated there any more; run `{RUN}`", file=sys.stderr)
        else:
            path.unlink()
            print(f"deleted {path.relative_to(args.dir)}: no page is generated there any more")
    return 1 if args.check and stale else 0


def orphans(root: Path) -> list[Path]:
    """Pages under docs/reference/ that this command wrote once (they open with its header) and writes no more."""
    written = {root / page.path for page in ALL_PAGES}
    return [
        path
        for path in sorted((root / REFERENCE).glob("*.md"))
        if path not in written and path.read_text().startswith(GENERATED)
    ]
