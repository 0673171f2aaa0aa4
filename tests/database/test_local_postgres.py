"""The throwaway PostgreSQL server: real password authentication, and nothing left behind on failure or kill."""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tenantguard_db import migrate
from tenantguard_db.local_postgres import LocalPostgres, clean_up_after_killed_runs, server_binaries
from tests.alembic_cli import ROOT
from tests.database.probes import wait_for


def test_the_server_takes_its_password_and_refuses_another(postgres: LocalPostgres) -> None:
    url = postgres.create_database("auth")
    assert migrate.current_revision(url) is None
    with pytest.raises(migrate.MigrationError, match="password authentication failed"):
        migrate.current_revision(postgres.url("auth", password="not-it"))


def test_a_failed_start_says_why_and_removes_its_directory(tmp_path: Path) -> None:
    server = LocalPostgres()
    server.bin = tmp_path  # no initdb here
    with pytest.raises(RuntimeError, match="initdb"):
        server.start()
    assert not server.directory.exists()


@dataclass
class Run:
    """`python -m tenantguard_db.local_postgres` in the background, and what it printed about itself."""

    process: subprocess.Popen[str]
    directory: Path
    url_file: Path

    @property
    def postmaster(self) -> int:
        return int((self.directory / "data" / "postmaster.pid").read_text().split()[0])


def gone(pid: int) -> bool:
    """The process exited: no such pid, or a zombie its parent has not reaped yet."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


@pytest.fixture
def start_runs(tmp_path: Path) -> Iterator[Callable[[], Run]]:
    """Start the command with its own state directory; whatever a failed test leaves is stopped afterwards."""
    state = tmp_path / "state"
    environment = {**os.environ, "XDG_STATE_HOME": str(state), "PYTHONUNBUFFERED": "1"}
    processes: list[subprocess.Popen[str]] = []
    directories: list[Path] = []

    def start() -> Run:
        process = subprocess.Popen(
            [sys.executable, "-m", "tenantguard_db.local_postgres"],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        processes.append(process)
        lines: queue.Queue[str] = queue.Queue()

        def read() -> None:
            for line in process.stdout or ():
                lines.put(line)

        threading.Thread(target=read, daemon=True).start()
        printed = ""
        while "export CI_DB_URL" not in printed:
            try:
                printed += lines.get(timeout=60)
            except queue.Empty:
                raise AssertionError(f"no export line within 60s; printed: {printed!r}") from None
        directory = re.search(r"server files in (\S+)\)", printed)
        url_file = re.search(r'\$\(cat (\S+)\)"', printed)
        assert directory, printed
        assert url_file, printed
        directories.append(Path(directory[1]))
        return Run(process, Path(directory[1]), Path(url_file[1]))

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait()
    # Every owner is dead now: the module's own sweep stops their servers; anything it missed, by hand.
    clean_up_after_killed_runs(state / "tenantguard" / "local-postgres")
    for directory in directories:
        if (directory / "data" / "postmaster.pid").exists():
            as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
            pg_ctl = str(server_binaries() / "pg_ctl")
            subprocess.run(
                [*as_postgres, pg_ctl, "-D", str(directory / "data"), "-m", "immediate", "stop"], check=False
            )
        shutil.rmtree(directory, ignore_errors=True)


@pytest.mark.slow
def test_closing_its_terminal_stops_the_server_and_removes_its_files(start_runs: Callable[[], Run]) -> None:
    run = start_runs()
    postmaster = run.postmaster
    run.process.send_signal(signal.SIGHUP)
    run.process.wait(timeout=60)
    assert not run.directory.exists()
    assert not run.url_file.exists()
    wait_for(lambda: gone(postmaster), 30, "the server to exit")


@pytest.mark.slow
def test_the_next_run_stops_what_a_killed_run_left(start_runs: Callable[[], Run]) -> None:
    killed = start_runs()
    postmaster = killed.postmaster
    url = killed.url_file.read_text()
    killed.process.kill()
    killed.process.wait(timeout=60)
    assert migrate.current_revision(url) == "0003"  # the server outlived the command that started it

    start_runs()
    wait_for(lambda: gone(postmaster), 30, "the old server to exit")
    assert not killed.directory.exists()
    assert not killed.url_file.exists()
