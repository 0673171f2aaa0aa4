"""Benchmarks: program vs baseline, scale with secrets, migrations vs stock env.py and raw SQL, plan and tests.

    uv run python bench/run.py [--rounds N] [--skip-tests]

Every comparison runs interleaved (A B A B ...) and reports medians and ratios; the tables are
printed and appended to bench/RESULTS.md with the date and the machine. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import alembic  # noqa: E402
from tenantguard_db.local_postgres import USER, LocalPostgres  # noqa: E402

PYTHON = sys.executable
STOCK_ENV = Path(alembic.__file__ or "").parent / "templates" / "generic" / "env.py"


def run(command: Sequence[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(command), check=True, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload, no-any-return]


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def evaluate_once(which: str, stack: str, extras: int, repeats: int = 1) -> dict[str, float]:
    command = [PYTHON, str(ROOT / "bench" / "evaluate_once.py"), which, stack, str(extras), str(repeats)]
    result = run(command, cwd=ROOT)
    return dict(json.loads(result.stdout))


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    return [
        "| " + " | ".join(headers) + " |",
        "|" + "---|" * len(headers),
        *["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows],
    ]


def program_vs_baseline(rounds: int) -> list[str]:
    rows = []
    for stack in ("preview", "staging", "production"):
        samples: dict[str, list[dict[str, float]]] = {"program": [], "baseline": []}
        for _ in range(rounds):
            for which, taken in samples.items():
                # One small stack takes ~35 ms: the median of 10 in each process steadies it.
                taken.append(evaluate_once(which, stack, 0, repeats=10))
        p = statistics.median(s["seconds"] for s in samples["program"])
        b = statistics.median(s["seconds"] for s in samples["baseline"])
        pm = statistics.median(s["peak_kib"] for s in samples["program"]) / 1024
        bm = statistics.median(s["peak_kib"] for s in samples["baseline"]) / 1024
        rows.append(
            [stack, f"{1000 * p:.1f}", f"{1000 * b:.1f}", f"{p / b:.2f}", f"{pm:.0f}", f"{bm:.0f}", f"{pm / bm:.2f}"]
        )
    headers = ["stack", "program ms", "baseline ms", "time ratio", "program MiB", "baseline MiB", "memory ratio"]
    return table(headers, rows)


def scale(rounds: int) -> list[str]:
    rows = []
    for count in (10, 100, 1000):
        samples: dict[str, list[dict[str, float]]] = {"program": [], "baseline": []}
        for _ in range(max(1, rounds // 2)):
            for which, taken in samples.items():
                taken.append(evaluate_once(which, "preview", count))
        p = statistics.median(s["seconds"] for s in samples["program"])
        b = statistics.median(s["seconds"] for s in samples["baseline"])
        secrets = int(samples["program"][0]["resources"])
        managed = 2 * (count + 3) + (count + 3)  # 2 repositories' GitHub secrets + the Vercel variables
        rows.append([count, managed, secrets, f"{p:.3f}", f"{b:.3f}", f"{p / b:.2f}", f"{1000 * p / managed:.2f}"])
    headers = [
        "extra secrets",
        "secret resources",
        "all resources",
        "program s",
        "baseline s",
        "ratio",
        "ms per secret",
    ]
    return table(headers, rows)


def stock_project(work: Path, url: str) -> Path:
    """The same revisions under Alembic's stock env.py and alembic.ini (URL in the ini, no lock, no timeouts)."""
    project = work / "stock"
    shutil.copytree(ROOT / "alembic", project / "alembic", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(STOCK_ENV, project / "alembic" / "env.py")
    ini = (ROOT / "alembic.ini").read_text().replace("[alembic]", f"[alembic]\nsqlalchemy.url = {url}", 1)
    (project / "alembic.ini").write_text(ini)
    return project


def migrations(rounds: int) -> list[str]:
    ours = [PYTHON, "-m", "alembic", "upgrade", "head"]
    samples: dict[str, list[float]] = {
        key: [] for key in ("ours empty", "stock empty", "ours head", "stock head", "psql")
    }
    sql = run([PYTHON, "-m", "alembic", "upgrade", "head", "--sql"], cwd=ROOT).stdout
    with LocalPostgres() as server, tempfile.TemporaryDirectory(prefix="tenantguard-bench-") as work:
        psql = shutil.which("psql") or "psql"
        script = Path(work) / "upgrade.sql"
        script.write_text(sql)
        for index in range(rounds):
            mine, stock, raw = (server.create_database(f"{kind}_{index}") for kind in ("ours", "stock", "raw"))
            stock_dir = stock_project(Path(work) / str(index), stock.replace("postgresql://", "postgresql+psycopg://"))
            env = {**os.environ, "CI_DB_URL": mine}
            samples["ours empty"].append(timed(lambda: run(ours, cwd=ROOT, env=env)))  # noqa: B023
            samples["stock empty"].append(timed(lambda: run(ours, cwd=stock_dir)))  # noqa: B023
            samples["ours head"].append(timed(lambda: run(ours, cwd=ROOT, env=env)))  # noqa: B023
            samples["stock head"].append(timed(lambda: run(ours, cwd=stock_dir)))  # noqa: B023
            command = [psql, "-q", "-v", "ON_ERROR_STOP=1", "-f", str(script), raw]
            samples["psql"].append(timed(lambda: run(command, env={**os.environ, "PGUSER": USER})))  # noqa: B023
    m = {key: statistics.median(values) for key, values in samples.items()}
    rows = [
        [
            "upgrade head, empty database",
            f"{m['ours empty']:.3f}",
            f"{m['stock empty']:.3f}",
            f"{m['ours empty'] / m['stock empty']:.2f}",
            f"{m['psql']:.3f}",
        ],
        [
            "upgrade head, at head (no-op)",
            f"{m['ours head']:.3f}",
            f"{m['stock head']:.3f}",
            f"{m['ours head'] / m['stock head']:.2f}",
            "-",
        ],
    ]
    return table(["alembic CLI run", "our env.py s", "stock env.py s", "ratio", "raw SQL via psql s (floor)"], rows)


def plan_and_tests(rounds: int, skip_tests: bool) -> list[str]:
    plan = [PYTHON, "-m", "tools.plan"]
    samples = [timed(lambda: run(plan, cwd=ROOT)) for _ in range(rounds)]
    rows: list[list[object]] = [
        ["python -m tools.plan (all stacks, whole process)", f"{statistics.median(samples):.3f}"]
    ]
    lines: list[str] = []
    if not skip_tests:
        start = time.perf_counter()
        result = subprocess.run(
            [str(ROOT / "scripts" / "check")], cwd=ROOT, capture_output=True, text=True, check=False
        )
        rows.append([f"./scripts/check (exit {result.returncode})", f"{time.perf_counter() - start:.1f}"])
        durations = re.findall(r"^(\d+\.\d+)s (call|setup|teardown)\s+(\S+)$", result.stdout, re.MULTILINE)
        lines = ["", "Slowest tests:", "", *table(["seconds", "phase", "test"], durations[:10])]
    return table(["what", "median s"], rows) + lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-tests", action="store_true", help="do not time ./scripts/check")
    args = parser.parse_args()
    sections = {
        "Program evaluation under mocks: real program vs its replayed resources (bench/replay.py)": program_vs_baseline(
            args.rounds
        ),
        "Scale: preview stack, 2 repositories, N extra secrets": scale(args.rounds),
        "Migrations on a real PostgreSQL (CLI, whole process)": migrations(args.rounds),
        "Offline plan and the test command": plan_and_tests(args.rounds, args.skip_tests),
    }
    now = datetime.datetime.now(datetime.UTC)
    machine = f"{platform.node()}, {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    lines = [f"## {now:%Y-%m-%d %H:%M} UTC on {machine} ({args.rounds} rounds, medians)", ""]
    for title, rows in sections.items():
        lines += [f"### {title}", "", *rows, ""]
    report = "\n".join(lines)
    print(report)
    results = ROOT / "bench" / "RESULTS.md"
    if not results.exists():
        results.write_text("# Benchmark results\n\nAppended by `uv run python bench/run.py`; newest last.\n\n")
    with results.open("a") as handle:
        handle.write(report + "\n")


if __name__ == "__main__":
    main()
