"""How the benchmarks time what the operator waits for: whole child processes, their CPU and peak memory, with
a controlled .pyc state, in interleaved rounds; and the Markdown tables the results are written as."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


@dataclass(frozen=True)
class Run:
    """One whole child process."""

    wall: float
    cpu: float
    """User plus system CPU seconds: less moved than wall time by other work on the machine."""
    peak_mib: float
    report: dict[str, object]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def spread(values: Sequence[float], digits: int = 3) -> str:
    """Median (min-max)."""
    return f"{median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    return [
        "| " + " | ".join(headers) + " |",
        "|" + "---|" * len(headers),
        *["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows],
    ]


class Bytecode:
    """Child environments with a controlled .pyc state: a private cache, warm (filled first) or cold (empty)."""

    def __init__(self, work: Path) -> None:
        self.warm_dir = work / "pyc-warm"
        self.cold_dir = work / "pyc-cold"
        self.warm_dir.mkdir()
        self.cold_dir.mkdir()

    def env(self, *, warm: bool = True, **extra: str) -> dict[str, str]:
        environment = {
            k: v for k, v in os.environ.items() if k not in ("PYTHONPYCACHEPREFIX", "PYTHONDONTWRITEBYTECODE")
        }
        environment["PYTHONPYCACHEPREFIX"] = str(self.warm_dir if warm else self.cold_dir)
        environment["PYTHONDONTWRITEBYTECODE"] = "1"  # measured runs never change the state they are measured in
        environment["PYTHONPATH"] = str(ROOT)
        environment.update(extra)
        return environment

    def fill(self, *commands: Sequence[str]) -> None:
        """Run each command once, unmeasured, writing the .pyc of everything it imports."""
        environment = self.env()
        del environment["PYTHONDONTWRITEBYTECODE"]
        for command in commands:
            subprocess.run(list(command), cwd=ROOT, env=environment, check=True, capture_output=True)


def whole(command: Sequence[str], env: dict[str, str]) -> Run:
    """Start a process, wait for its exit; wall time, CPU time and peak memory of that process alone."""
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        child = subprocess.Popen(list(command), cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=errors)
        assert child.stdout is not None
        output = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        child.stdout.close()
        if child.returncode != 0:
            errors.seek(0)
            raise RuntimeError(f"{' '.join(command)} failed:\n{errors.read().decode(errors='replace')[-3000:]}")
    lines = output.decode().strip().splitlines()
    report = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, report)


def pairs(commands: Mapping[str, Sequence[str]], env: dict[str, str], count: int) -> dict[str, list[Run]]:
    """`count` interleaved rounds of every command, the order reversed every other round."""
    runs: dict[str, list[Run]] = {name: [] for name in commands}
    names = list(commands)
    for index in range(count):
        for name in names if index % 2 == 0 else reversed(names):
            runs[name].append(whole(commands[name], env))
    return runs


def timed_run(command: Sequence[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(list(command), cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


@contextmanager
def workspace() -> Iterator[tuple[Path, Bytecode]]:
    with tempfile.TemporaryDirectory(prefix="tenantguard-bench-") as directory:
        work = Path(directory)
        yield work, Bytecode(work)
