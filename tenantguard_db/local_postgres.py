"""A throwaway PostgreSQL server on a free loopback port, for tests, benchmarks and trying the repo.

`python -m tenantguard_db.local_postgres` starts one, migrates it to head and keeps it running until Ctrl-C,
SIGTERM or its terminal closes. Each server is recorded per user, so the next start stops one whose
owner was killed.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

from tenantguard_db import migrate
from tenantguard_db.urls import mask_url

USER = "tenantguard"
DATABASE = "tenantguard_ci"
DIRECTORY_PREFIX = "tenantguard-pg-"
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


def server_binaries() -> Path:
    """The directory holding initdb and pg_ctl."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if versions:
        return Path(versions[-1]).parent
    raise FileNotFoundError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found; install Debian's postgresql package"
    )


def state_directory() -> Path:
    """Where this user's running servers are recorded ($XDG_STATE_HOME, else ~/.local/state)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "tenantguard" / "local-postgres"


def _process_start(pid: int) -> str | None:
    """When `pid` started (Linux clock ticks since boot), to tell our process from a later one given its pid."""
    fields = _proc_stat(pid)
    return fields[19] if fields else None


def _proc_stat(pid: int) -> list[str] | None:
    """Fields 3 and on of /proc/PID/stat (proc(5)), or None where there is no /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: count from its last ")".
    return stat.rsplit(")", 1)[1].split()


def _alive(pid: int, started: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        # Our own processes can always be signalled: the pid now belongs to another user.
        return False
    fields = _proc_stat(pid)
    if fields is None:
        return True
    # A killed process nobody has reaped yet (state Z) is as dead as it gets; a different start time
    # means the pid was given to a later process.
    return fields[0] != "Z" and (started is None or fields[19] == started)


def _records(state: Path) -> list[Path]:
    """The records in `state`, read only when the directory is this user's and private."""
    try:
        info = state.stat()
    except FileNotFoundError:
        return []
    if info.st_uid != os.geteuid() or info.st_mode & 0o077:
        # Someone else could have written these: never stop or delete what they name.
        return []
    return sorted(state.glob(f"{DIRECTORY_PREFIX}*.json"))


def clean_up_after_killed_runs(state: Path | None = None) -> list[Path]:
    """Stop the servers, and delete the files, of earlier runs whose process is gone; returns their directories.

    A SIGKILLed run cannot clean up itself: its server keeps running and its files (the URL with the
    password) stay. Runs whose process is alive are left alone.
    """
    cleaned = []
    for record_file in _records(state or state_directory()):
        try:
            record = json.loads(record_file.read_text())
            owner, started, directory = int(record["owner"]), record.get("started"), Path(record["directory"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if _alive(owner, started):
            continue
        # Only ever a directory this module made, named as the record is.
        if directory.is_absolute() and f"{directory.name}.json" == record_file.name:
            if _runs_server_of(directory / "data"):
                _stop_server(directory / "data")
            shutil.rmtree(directory, ignore_errors=True)
            cleaned.append(directory)
        record_file.unlink(missing_ok=True)
    return cleaned


def _runs_server_of(data: Path) -> bool:
    """The pid in `data`'s postmaster.pid is that server, so stopping it signals nothing else."""
    try:
        pid = int((data / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return False
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except FileNotFoundError:
        # The pid is gone (or there is no /proc): pg_ctl finds out the same way.
        return not Path("/proc/self").exists()
    except OSError:
        return False
    # pg_ctl starts it as `postgres -D <data> ...`; a reused pid runs something else.
    return str(data).encode() in command


def _as_server_user() -> list[str]:
    # initdb refuses to run as root: run the server as the postgres user when we are root.
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _stop_server(data: Path) -> None:
    with contextlib.suppress(OSError, RuntimeError):
        pg_ctl = str(server_binaries() / "pg_ctl")
        subprocess.run(
            [*_as_server_user(), pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
            check=False,
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalPostgres:
    """initdb + pg_ctl in a temporary directory; password authentication over TCP like a real server.

    `state` is where the server is recorded (default: state_directory()), `parent` where its temporary
    directory is made (default: the system's temporary directory).
    """

    def __init__(self, state: Path | None = None, parent: Path | None = None) -> None:
        self.bin = server_binaries()
        self.password = secrets.token_urlsafe(18)
        self.port = free_port()
        self.state = state or state_directory()
        self.left_by_killed_runs: list[Path] = []
        """Directories of earlier runs' servers this one stopped and deleted when it started."""
        self.directory = Path(tempfile.mkdtemp(prefix=DIRECTORY_PREFIX, dir=parent))
        self.data = self.directory / "data"
        self._as = _as_server_user()
        if self._as:
            account = pwd.getpwnam("postgres")
            os.chown(self.directory, account.pw_uid, account.pw_gid)
        self._record = self.state / f"{self.directory.name}.json"

    def _run(self, *command: str) -> None:
        try:
            result = subprocess.run([*self._as, *command], capture_output=True, text=True, check=False)
        except FileNotFoundError as missing:
            raise RuntimeError(f"{Path(command[0]).name} failed: {missing}") from None
        if result.returncode != 0:
            raise RuntimeError(f"{Path(command[0]).name} failed ({result.returncode}): {result.stderr.strip()}")

    def start(self) -> LocalPostgres:
        try:
            self.left_by_killed_runs = clean_up_after_killed_runs(self.state)
            self._write_record()
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _write_record(self) -> None:
        """Say which process owns this server, before it exists, so a kill at any point leaves a record."""
        record = {"owner": os.getpid(), "started": _process_start(os.getpid()), "directory": str(self.directory)}
        # Without a writable state directory the server still works; only the cleanup after a SIGKILL is lost.
        with contextlib.suppress(OSError):
            self.state.mkdir(parents=True, exist_ok=True, mode=0o700)
            if self.state.stat().st_uid == os.geteuid():
                self.state.chmod(0o700)
            self._record.write_text(json.dumps(record))

    def _start(self) -> None:
        password_file = self.directory / "password"
        password_file.write_text(self.password)
        if self._as:
            shutil.chown(password_file, "postgres")
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            USER,
            f"--pwfile={password_file}",
            "--auth-host=scram-sha-256",
            "--auth-local=trust",
            "--no-sync",
        )
        password_file.unlink()
        # Prepared transactions on, as some servers have them: what a session can leave behind with them (a lock
        # held, a database that cannot be dropped) is tested against the real thing.
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c max_prepared_transactions=8"
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.directory / "log"),
            "-w",
            "start",
        )
        self.create_database(DATABASE)

    def create_database(self, name: str) -> str:
        """Create an empty database and return its URL."""
        self._run(
            str(self.bin / "psql") if (self.bin / "psql").exists() else "psql",
            "-h",
            str(self.directory),
            "-p",
            str(self.port),
            "-U",
            USER,
            "-d",
            "postgres",
            "-qc",
            f'CREATE DATABASE "{name}"',
        )
        return self.url(name)

    def url(self, database: str = DATABASE, password: str | None = None) -> str:
        return f"postgresql://{USER}:{password or self.password}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError):
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)
        self._record.unlink(missing_ok=True)

    def __enter__(self) -> LocalPostgres:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    argparse.ArgumentParser(
        prog="python -m tenantguard_db.local_postgres",
        description="A throwaway PostgreSQL server, migrated to head; it prints the export line for CI_DB_URL and "
        "stops and deletes itself on Ctrl-C, kill or a closed terminal (docs/how-to/local-migrations.md).",
    ).parse_args(argv)
    # Ctrl-C, a plain `kill` and a closed terminal (SIGHUP) all stop it cleanly, even in the background.
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    with LocalPostgres() as server:
        for directory in server.left_by_killed_runs:
            print(f"Stopped the server a killed earlier run left in {directory}, and deleted its files.")
        url = server.url()
        applied = migrate.upgrade(url, "head")
        # The URL carries the password: it goes to a file only you can read, never to the terminal.
        url_file = server.directory / "CI_DB_URL"
        url_file.touch(mode=0o600)
        url_file.write_text(url)
        print(f"PostgreSQL at {mask_url(url)}, migrated to {applied} (server files in {server.directory}).")
        print("In another shell:")
        print(f'  export CI_DB_URL="$(cat {url_file})"')
        print("  ./scripts/uv run alembic current")
        print("Ctrl-C, kill or closing this terminal stops the server and deletes it, and the file.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            signal.sigwait(STOP_SIGNALS)


if __name__ == "__main__":
    main()
