"""Benchmarks: program evaluation vs a baseline, scale with secrets, migrations, offline plan.

    uv run python bench/run.py [--rounds N]

Comparisons run interleaved (A B A B ...); medians and ratios are printed and appended to
bench/RESULTS.md with the date and machine. Nothing here is asserted: it measures.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from infra import offline, plan  # noqa: E402
from tenantguard_db.local_postgres import LocalPostgres  # noqa: E402
from tests.conftest import stack_values  # noqa: E402

BASELINE = ROOT / "bench" / "baseline_program.py"


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def with_extras(stack: str, count: int) -> tuple[dict[str, str], set[str]]:
    values, secret = stack_values(stack)
    values["extraSecrets"] = json.dumps({f"LLM_KEY_{n:04d}": f"sk-bench-{n}" for n in range(count)})
    return values, secret


def program_vs_baseline(rounds: int) -> list[str]:
    rows = ["| stack | program median s | baseline median s | ratio |", "|---|---|---|---|"]
    for stack in ("preview", "staging", "production"):
        values, secret = stack_values(stack)
        reference = {"organization/tenantguard-infra/production": {}}
        real, base = [], []
        for _ in range(rounds):
            real.append(timed(lambda: offline.evaluate(stack, values, secret, reference)))  # noqa: B023
            base.append(timed(lambda: offline.evaluate(stack, values, secret, reference, BASELINE)))  # noqa: B023
        r, b = statistics.median(real), statistics.median(base)
        rows.append(f"| {stack} | {r:.3f} | {b:.3f} | {r / b:.2f} |")
    return rows


def scale(rounds: int) -> list[str]:
    rows = ["| extra secrets | resources | median s | ms per secret |", "|---|---|---|---|"]
    reference = {"organization/tenantguard-infra/production": {}}
    for count in (10, 100, 1000):
        values, secret = with_extras("preview", count)
        samples = []
        evaluation = None
        for _ in range(max(1, rounds // 2)):
            start = time.perf_counter()
            evaluation = offline.evaluate("preview", values, secret, reference)
            samples.append(time.perf_counter() - start)
        median = statistics.median(samples)
        resources = len(evaluation.resources) if evaluation else 0
        rows.append(f"| {count} | {resources} | {median:.3f} | {1000 * median / count:.2f} |")
    return rows


def migrations(rounds: int) -> list[str]:
    rows = ["| case | median s |", "|---|---|"]
    cli = [sys.executable, "-m", "alembic", "upgrade", "head"]
    with LocalPostgres() as server:
        empty, at_head = [], []
        for index in range(rounds):
            url = server.create_database(f"bench_{index}")
            env = {**os.environ, "CI_DB_URL": url}
            empty.append(timed(lambda: subprocess.run(cli, cwd=ROOT, env=env, check=True, capture_output=True)))  # noqa: B023
            at_head.append(timed(lambda: subprocess.run(cli, cwd=ROOT, env=env, check=True, capture_output=True)))  # noqa: B023
    rows.append(f"| alembic upgrade head, empty database (CLI) | {statistics.median(empty):.3f} |")
    rows.append(f"| alembic upgrade head, at head (CLI) | {statistics.median(at_head):.3f} |")
    return rows


def plan_time(rounds: int) -> list[str]:
    samples = [timed(lambda: plan.plan_all(["preview", "staging", "production"], ROOT)) for _ in range(rounds)]
    return [
        "| case | median s |",
        "|---|---|",
        f"| offline plan, 3 stacks (in-process) | {statistics.median(samples):.3f} |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    sections = {
        "Program evaluation under mocks vs baseline": program_vs_baseline(rounds),
        "Scale (preview stack, 2 repositories)": scale(rounds),
        "Migrations on a real PostgreSQL": migrations(rounds),
        "Offline plan": plan_time(rounds),
    }
    stamp = f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    text = [f"## {stamp} ({rounds} rounds)", ""]
    for title, rows in sections.items():
        text += [f"### {title}", "", *rows, ""]
    report = "\n".join(text)
    print(report)
    results = ROOT / "bench" / "RESULTS.md"
    if not results.exists():
        results.write_text("# Benchmark results\n\nAppended by `uv run python bench/run.py`.\n\n")
    with results.open("a") as handle:
        handle.write(report + "\n")


if __name__ == "__main__":
    main()
