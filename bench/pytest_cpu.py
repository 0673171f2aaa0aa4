"""A pytest plugin for the benchmarks: CPU and wall seconds per test file, written as JSON at the end of the session.

    pytest -p bench.pytest_cpu -n 0   (with TENANTGUARD_CPU_REPORT=PATH)

CPU is the pytest process's own and that of the processes it waited for during each test (alembic, detect-secrets,
the plan...); PostgreSQL's server, which pg_ctl detaches, is not among them.
"""

from __future__ import annotations

import json
import os
import resource
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

_TOTALS: dict[str, list[float]] = {}


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    own, children = _cpu()
    start = time.perf_counter()
    yield
    own_after, children_after = _cpu()
    totals = _TOTALS.setdefault(item.nodeid.split("::")[0], [0.0, 0.0, 0.0])
    totals[0] += own_after - own
    totals[1] += children_after - children
    totals[2] += time.perf_counter() - start


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = os.environ.get("TENANTGUARD_CPU_REPORT")
    if target:
        Path(target).write_text(
            json.dumps({name: dict(zip(("own", "children", "wall"), v, strict=True)) for name, v in _TOTALS.items()})
        )
