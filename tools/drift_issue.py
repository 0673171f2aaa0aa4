"""Keeps one GitHub issue per drifted stack: opened on drift, updated while it lasts, closed when clean.

    python -m tools.drift_issue --stack NAME --status CODE --output FILE --run-url URL

Run by infra-drift.yml after `pulumi preview --refresh --expect-no-changes` with the `gh` CLI and
the job's token. Exits 1 when the stack drifted or could not be checked, so the run shows it too.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

LABEL = "infra-drift"
MAX_OUTPUT_LINES = 150
# What `--expect-no-changes` fails with when changes were proposed: NoChangesExpectedError in
# pulumi/pulumi pkg/backend/backenderr/backenderr.go (@1b594989), with or without the operation's name.
DRIFT_MESSAGE = re.compile(r"no changes were expected( for \S+)? but changes were proposed")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

Outcome = Literal["clean", "drifted", "failed"]


def outcome(status: int, output: str) -> Outcome:
    if status == 0:
        return "clean"
    return "drifted" if DRIFT_MESSAGE.search(output) else "failed"


def title(stack: str) -> str:
    return f"[drift] stack {stack}"


def body(stack: str, result: Outcome, output: str, run_url: str) -> str:
    lines = _ANSI.sub("", output).splitlines()
    shown = lines[-MAX_OUTPUT_LINES:]
    cut = f"(last {MAX_OUTPUT_LINES} of {len(lines)} lines)\n" if len(lines) > len(shown) else ""
    headline = (
        f"The live state of stack `{stack}` differs from its program: someone changed it outside Pulumi."
        if result == "drifted"
        else f"The drift check of stack `{stack}` could not run to the end."
    )
    advice = (
        "Find who changed what below; then either `pulumi up --stack {s}` to put the program's state back, "
        "or change the program and stack config to keep the change. Secret values never show here: a secret "
        "edited by hand appears as a changed update time. Runbook: docs/how-to/respond-to-drift.md#steps"
        if result == "drifted"
        else "Read the output below (credentials, network to the databases, INFRA_RUNNERS) and run the check again "
        "(docs/how-to/respond-to-drift.md#steps)."
    ).format(s=stack)
    fence = "````"
    return f"{headline}\n\n{advice}\n\nRun: {run_url}\n\n{cut}{fence}\n" + "\n".join(shown) + f"\n{fence}\n"


@dataclass(frozen=True)
class Action:
    """One `gh` command, with the text it reads from standard input (an issue body) if any."""

    argv: tuple[str, ...]
    stdin: str | None = None


def actions(stack: str, result: Outcome, existing: int | None, text: str, run_url: str) -> list[Action]:
    """The `gh` commands that bring the stack's issue in line with this run's result."""
    if result == "clean":
        if existing is None:
            return []
        return [Action(("gh", "issue", "close", str(existing), "--comment", f"Clean again: {run_url}"))]
    label = Action(("gh", "label", "create", LABEL, "--force", "--description", "A stack drifted from its program"))
    if existing is None:
        create = ("gh", "issue", "create", "--title", title(stack), "--label", LABEL, "--body-file", "-")
        return [label, Action(create, text)]
    return [
        Action(("gh", "issue", "edit", str(existing), "--body-file", "-"), text),
        Action(("gh", "issue", "comment", str(existing), "--body", f"Still {result}: {run_url}")),
    ]


def open_issue(stack: str) -> int | None:
    command = ["gh", "issue", "list", "--label", LABEL, "--state", "open", "--json", "number,title", "--limit", "100"]
    listed = subprocess.run(  # noqa: S603 - gh, with arguments built here
        command,
        capture_output=True,
        text=True,
        check=True,
    )
    for issue in json.loads(listed.stdout or "[]"):
        if issue.get("title") == title(stack):
            return int(issue["number"])
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.drift_issue", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--status", type=int, required=True, help="exit status of the refreshing preview")
    parser.add_argument("--output", type=Path, required=True, help="file holding the preview's output")
    parser.add_argument("--run-url", required=True)
    args = parser.parse_args(argv)
    output = args.output.read_text(errors="replace") if args.output.exists() else ""
    result = outcome(args.status, output)
    text = body(args.stack, result, output, args.run_url)
    for action in actions(args.stack, result, open_issue(args.stack), text, args.run_url):
        subprocess.run(action.argv, input=action.stdin, text=True, check=True)  # noqa: S603 - gh, arguments built here
    print(f"stack {args.stack}: {result}")
    return 0 if result == "clean" else 1


if __name__ == "__main__":
    sys.exit(main())
