"""How long ./scripts/check takes, as the operator waits for it, beside other checkouts' (`--check-against`),
and where the suite's CPU goes (bench/pytest_cpu.py)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.measure import PYTHON, ROOT, spread, table


def check_section(others: Sequence[Path], rounds: int) -> list[str]:
    """./scripts/check of this checkout (and of `others`), twice in a row each; the second run is measured."""
    checkouts = [ROOT, *others]
    runs: dict[Path, list[tuple[float, float, subprocess.CompletedProcess[str]]]] = {root: [] for root in checkouts}
    for _ in range(rounds):
        for root in checkouts:
            command = [str(root / "scripts" / "check")]
            subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
            runs[root].append(timed_check(command, root))
    rows = []
    for root, taken in runs.items():
        last = taken[-1][2]
        summary = re.findall(r"^=+ (.*) in [\d.]+s.*=+$", last.stdout, re.MULTILINE)
        git = shutil.which("git") or "git"
        log = [git, "-C", str(root), "log", "-1", "--format=%h"]
        revision = subprocess.run(log, capture_output=True, text=True, check=False).stdout.strip()
        rows.append(
            [
                f"{root.name} ({revision or 'not a git checkout'})",
                ", ".join(str(run[2].returncode) for run in taken),
                spread([run[0] for run in taken], 1),
                spread([run[1] for run in taken], 1),
                summary[-1] if summary else "-",
            ]
        )
    durations = re.findall(r"^(\d+\.\d+)s (call|setup|teardown)\s+(\S+)$", runs[ROOT][-1][2].stdout, re.MULTILINE)
    profile = suite_profile()
    return [
        f"Each checkout's `./scripts/check` twice in a row, the second measured (warm: mypy's cache and whatever "
        f".pyc the checkout's own check leaves in place), {rounds} round(s), checkouts interleaved. Wall time on "
        "this machine as it was, other work included; CPU time is that of the check and every process it waited "
        "for (PostgreSQL's server processes, which pg_ctl detaches, excluded).",
        "",
        *table(["checkout", "exit", "wall s", "CPU s", "pytest (last run)"], rows),
        "",
        "Slowest tests (this checkout, last run):",
        "",
        *table(["seconds", "phase", "test"], durations[:10]),
        "",
        "Where the suite's time goes: this checkout's pytest once more, on one worker (-n 0), with "
        "bench/pytest_cpu.py: CPU seconds of the pytest process and of the processes it waited for, per file "
        "(session fixtures are charged to the first test that asks for them), the files with the most first.",
        "",
        *profile,
    ]


def suite_profile() -> list[str]:
    with tempfile.TemporaryDirectory() as directory:
        report = Path(directory) / "cpu.json"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TENANTGUARD_CPU_REPORT": str(report)}
        command = [PYTHON, "-m", "pytest", "-q", "-n", "0", "-p", "bench.pytest_cpu", "-p", "no:cacheprovider"]
        subprocess.run(command, cwd=ROOT, env=env, capture_output=True, check=False)
        files: dict[str, dict[str, float]] = json.loads(report.read_text())
    ordered = sorted(files.items(), key=lambda item: -(item[1]["own"] + item[1]["children"]))
    rows: list[list[object]] = [
        [name, f"{v['own']:.1f}", f"{v['children']:.1f}", f"{v['wall']:.1f}"] for name, v in ordered[:12]
    ]
    rest = ordered[12:]
    rows.append(
        [
            f"{len(rest)} other files",
            f"{sum(v['own'] for _, v in rest):.1f}",
            f"{sum(v['children'] for _, v in rest):.1f}",
            f"{sum(v['wall'] for _, v in rest):.1f}",
        ]
    )
    rows.append(
        [
            "all",
            f"{sum(v['own'] for v in files.values()):.1f}",
            f"{sum(v['children'] for v in files.values()):.1f}",
            f"{sum(v['wall'] for v in files.values()):.1f}",
        ]
    )
    return table(["file", "CPU s, pytest", "CPU s, its processes", "wall s"], rows)


def timed_check(command: Sequence[str], cwd: Path) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Wall and CPU seconds of one run (its waited-for descendants included), and what it printed."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(list(command), cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        result = subprocess.CompletedProcess(
            list(command), child.returncode, out.read().decode(errors="replace"), err.read().decode(errors="replace")
        )
    return wall, usage.ru_utime + usage.ru_stime, result
