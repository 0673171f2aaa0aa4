"""Fixtures of the plan's tests: a git repository holding a copy of this one, for --base."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import STACKS
from tools import evaluator


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A git repository holding a copy of this one's program and its three stacks, one commit deep.

    Only the three: the tests below spell out their matrix, and an operator's own stack files (a copy made
    with tools.bootstrap) would add columns to it.
    """
    root = evaluator.ROOT
    copy = tmp_path / "repo"
    for name in ("infra", "tools", "tenantguard_db", "alembic"):
        shutil.copytree(root / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("__main__.py", "Pulumi.yaml", "alembic.ini", *(evaluator.stack_file(s).name for s in STACKS)):
        shutil.copy(root / name, copy / name)
    git = ["git", "-C", str(copy)]
    subprocess.run(["git", "init", "-q", str(copy)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    commit = [*git, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "base"]
    subprocess.run(commit, check=True)
    return copy
