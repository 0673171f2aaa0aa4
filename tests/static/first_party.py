"""The first-party Python files, as the static tests of the code's shape read them (import graph, module sizes)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("infra", "tools", "tenantguard_db", "policy", "bench", "scripts")
"""The code the import graph is drawn over (alembic/ is left out there: its env.py is a script Alembic runs, and
`alembic` is also the name of the third-party package the migrations import)."""
ENTRY_POINT = "__main__.py"
SKIPPED_DIRECTORIES = frozenset({"venv", ".venv", "__pycache__"})


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def python_files(directory: Path) -> Iterator[Path]:
    for path in sorted(directory.rglob("*.py")):
        if not SKIPPED_DIRECTORIES & set(path.relative_to(ROOT).parts):
            yield path
