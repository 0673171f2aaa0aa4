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
        subprocess.run([*self._as, *command], check=True, capture_output=True, text=True)

    def start(self) -> LocalPostgres:
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
        return self

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
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> LocalPostgres:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def main() -> None:
    with LocalPostgres() as server:
        url = server.url()
        applied = migrate.upgrade(url, "head")
        print(f"PostgreSQL on 127.0.0.1:{server.port}, migrated to {applied}. In another shell:", flush=True)
        print(f"  export CI_DB_URL='{url}'")
        print("  uv run alembic current")
        print(f"(shown masked in logs as {mask_url(url)}; Ctrl-C stops and deletes the server)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()


if __name__ == "__main__":
    main()
