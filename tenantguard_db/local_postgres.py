"""A throwaway PostgreSQL server on a free loopback port, for tests, benchmarks and trying the repo.

`python -m tenantguard_db.local_postgres` starts one, migrates it to head and keeps it running until Ctrl-C.
"""

from __future__ import annotations

import contextlib
import glob
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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalPostgres:
    """initdb + pg_ctl in a temporary directory; password authentication over TCP like a real server."""

    def __init__(self) -> None:
        self.bin = server_binaries()
        self.password = secrets.token_urlsafe(18)
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="tenantguard-pg-"))
        self.data = self.directory / "data"
        # initdb refuses to run as root: run the server as the postgres user when we are root.
        self._as: list[str] = []
        if os.geteuid() == 0:
            self._as = ["runuser", "-u", "postgres", "--"]
            account = pwd.getpwnam("postgres")
            os.chown(self.directory, account.pw_uid, account.pw_gid)

    def _run(self, *command: str) -> None:
        try:
            result = subprocess.run([*self._as, *command], capture_output=True, text=True, check=False)
        except FileNotFoundError as missing:
            raise RuntimeError(f"{Path(command[0]).name} failed: {missing}") from None
        if result.returncode != 0:
            raise RuntimeError(f"{Path(command[0]).name} failed ({result.returncode}): {result.stderr.strip()}")

    def start(self) -> LocalPostgres:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

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
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
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

    def __enter__(self) -> LocalPostgres:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def main() -> None:
    # Ctrl-C or a plain `kill` both stop it cleanly, even when started in the background.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    with LocalPostgres() as server, tempfile.TemporaryDirectory(prefix="tenantguard-url-") as private:
        url = server.url()
        applied = migrate.upgrade(url, "head")
        # The URL carries the password: it goes to a file only you can read, never to the terminal.
        url_file = Path(private) / "CI_DB_URL"
        url_file.touch(mode=0o600)
        url_file.write_text(url)
        print(f"PostgreSQL at {mask_url(url)}, migrated to {applied}. In another shell:", flush=True)
        print(f'  export CI_DB_URL="$(cat {url_file})"')
        print("  uv run alembic current")
        print("Ctrl-C stops the server and deletes it, and the file.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            signal.sigwait({signal.SIGINT, signal.SIGTERM})


if __name__ == "__main__":
    main()
