"""The production-database guard's worst case: one whole process reading one 48 KB value (GitHub's limit for a
secret) as a staging stack's guard does, for the slowest shapes found so far.

    python bench/guard_worst_case.py [--rounds N] [ROOT ...]
    python bench/guard_worst_case.py child ROOT CASE

Each ROOT is a checkout of this repository (default: this one), so two versions can be compared in one run; every
(ROOT, CASE) process runs once per round, interleaved, the order reversed every other round. Prints, per case and
root, the whole process's wall time (median, min-max) and the reading's own time inside it. Reading a value: the
config rule (secret_values.extra_problems), the guard's reading (database_names.read) and the comparison with
production's exports (production_database.compare).
"""

from __future__ import annotations

import base64
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Collection
from pathlib import Path
from typing import cast

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 48 * 1024
KEY = "bench" * 8
"""A fingerprint key for the benchmark (a stand-in; a real key is random)."""
PRODUCTION = "postgresql://ci:pw@db.production.internal:5432/tenantguard?sslmode=require"


def _wrapped_base64() -> str:
    text = ("postgresql://ci:pw@db.production.internal:5432/tenantguard " * 1000).encode()
    lines = base64.encodebytes(text).decode().splitlines()
    return "data:\n  URL: |\n" + "\n".join(f"    {line}" for line in lines)


CASES: dict[str, Callable[[], str]] = {
    # The reviewer's slowest (notes/attack-guard.md, "ReDoS / slowness"): NFKC expansions inside JSON, IPv6 runs.
    "json of U+FDFA strings": lambda: json.dumps(["\ufdfa" * 10] * (LIMIT // 40), ensure_ascii=False),
    "U+FDFA run": lambda: "\ufdfa" * (LIMIT // 3),
    "colon run": lambda: ":" * LIMIT,
    "escaped colons": lambda: "\\:" * (LIMIT // 2),
    # Shapes the later decodings read: zero-padded numbers, wrapped base64, escaped line breaks, invisible characters.
    "digit run": lambda: "0" * LIMIT,
    "dotted zeros": lambda: ("0" * 60 + ".") * (LIMIT // 61),
    "wrapped base64": _wrapped_base64,
    "escaped line breaks": lambda: "a\\\n  " * (LIMIT // 5),
    "soft hyphens": lambda: "db.pro\u00adduction.internal " * (LIMIT // 25),
    # Naming production's server: every word is then a database name on it, on every port the value holds.
    "production's host among words and numbers": lambda: (
        "db.production.internal " + " ".join(f"w{n} {n}" for n in range(LIMIT // 8))
    ),
}


def value(case: str) -> str:
    return CASES[case]().encode()[:LIMIT].decode(errors="ignore")


def child(root: str, case: str) -> None:
    sys.path.insert(0, root)
    from infra.config.rules.secret_values import extra_problems  # noqa: PLC0415 - from the root measured
    from infra.guard.database_names import UnguardableValueError, read  # noqa: PLC0415
    from infra.guard.production_database import (  # noqa: PLC0415
        FINGERPRINTS_OUTPUT,
        SERVER_FINGERPRINTS_OUTPUT,
        compare,
        exports,
    )

    exported = exports({"ciDbUrl": read(PRODUCTION, url=True)}, PRODUCTION, KEY)
    text = value(case)
    start = time.perf_counter()
    extra_problems("staging", {"BENCH_VALUE": text}, True)
    try:
        reading = read(text)
    except UnguardableValueError:
        pass
    else:
        databases = cast("Collection[str]", exported[FINGERPRINTS_OUTPUT])
        servers = cast("Collection[str]", exported[SERVER_FINGERPRINTS_OUTPUT])
        compare({"BENCH_VALUE": reading}, KEY, databases, servers)
    print(json.dumps({"reading_s": time.perf_counter() - start}))


def main(arguments: list[str]) -> None:
    rounds = 5
    if arguments[:1] == ["--rounds"]:
        rounds, arguments = int(arguments[1]), arguments[2:]
    roots = [str(Path(root).resolve()) for root in arguments] or [str(ROOT)]
    sys.path.insert(0, str(ROOT))
    from bench.measure import whole  # noqa: PLC0415

    jobs = [(root, case) for case in CASES for root in roots]
    runs: dict[tuple[str, str], list[tuple[float, float]]] = {job: [] for job in jobs}
    for index in range(rounds):
        for root, case in jobs if index % 2 == 0 else reversed(jobs):
            run = whole([sys.executable, __file__, "child", root, case], {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
            runs[root, case].append((run.wall, float(str(run.report["reading_s"]))))
    print("| case | root | process s, median (min-max) | reading s, median |")
    print("|---|---|---|---|")
    for root, case in jobs:
        walls = [wall for wall, _ in runs[root, case]]
        readings = [reading for _, reading in runs[root, case]]
        print(
            f"| {case} | {root} | {statistics.median(walls):.2f} ({min(walls):.2f}-{max(walls):.2f}) "
            f"| {statistics.median(readings):.2f} |"
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        child(sys.argv[2], sys.argv[3])
    else:
        main(sys.argv[1:])
