"""The plan at another commit (`--base`): that commit's own program and stack files, planned by its own code."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from tools.plan.model import Baseline
from tools.plan.stack_files import StackFileError


def base_plan(ref: str, directory: Path) -> Baseline:
    """The plan at another commit: that commit's own program and stack files, planned by its own code."""
    with tempfile.TemporaryDirectory(prefix="tenantguard-base-") as checkout:
        subprocess.run(  # noqa: S603 - git with a ref the operator gave
            ["git", "-C", str(directory), "worktree", "add", "--quiet", "--detach", checkout, ref],  # noqa: S607
            check=True,
            capture_output=True,
        )
        try:
            result = subprocess.run(  # noqa: S603 - this repository's own plan at the base commit
                [sys.executable, "-m", "tools.plan", "--json", "--dir", checkout],
                cwd=checkout,
                capture_output=True,
                text=True,
                check=False,
            )
        finally:
            subprocess.run(  # noqa: S603
                ["git", "-C", str(directory), "worktree", "remove", "--force", checkout],  # noqa: S607
                check=False,
                capture_output=True,
            )
    try:
        document = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise StackFileError(f"the plan at {ref} did not run: {result.stderr.strip()[-300:]}") from None
    stacks = document.get("stacks") or {}
    return Baseline(
        matrix=dict(document["matrix"]),
        repositories={
            stack: list(about.get("repositories") or []) for stack, about in stacks.items() if about.get("ok")
        },
        owners={stack: str(about["githubOwner"]) for stack, about in stacks.items() if about.get("githubOwner")},
        invalid=frozenset(stack for stack, about in stacks.items() if not about.get("ok", True)),
        counters={stack: dict(about["counters"]) for stack, about in stacks.items() if about.get("counters")},
    )
