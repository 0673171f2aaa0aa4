"""Markers by kind, from the directory a test lives in, and `slow` for every test that evaluates the program anew.

    tests/program/    program    the real program under Pulumi's mock runtime (and the tools that run it offline)
    tests/database/   database   a real PostgreSQL server, started by tests/database/conftest.py
    tests/static/     static     neither: files, workflows, the policy pack's catalog, the secret scan

`slow` marks what takes 0.1 s or more on a two-core machine (`pytest -n 0 --durations=0`). A test that asks for a
fixture building a new world for it is marked here: `run_stack` evaluates the program again (0.1-0.3 s);
`database`, `alembic_engine` and `preview` create and migrate databases (0.1-3 s). The others (whole plans, copies
of the repository, subprocesses, the secret scan) carry `@pytest.mark.slow` in their modules. tests/README.md has
the commands for each scope and the quick subset.
"""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
KINDS = ("program", "database", "static")
FRESH_PER_TEST = frozenset({"run_stack", "database", "alembic_engine", "preview"})
"""Fixtures that build something new for each test: the program evaluated again (tests/program/conftest.py), a
migrated database (tests/database/conftest.py, and pytest-alembic's engine in test_alembic_builtin.py), a pull
request's databases and roles (tests/database/preview_db/)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        kind = Path(item.path).resolve().relative_to(TESTS).parts[0]
        if kind not in KINDS:
            raise pytest.UsageError(f"{item.nodeid}: a test lives in one of tests/{', tests/'.join(KINDS)}")
        item.add_marker(getattr(pytest.mark, kind))
        if FRESH_PER_TEST & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
