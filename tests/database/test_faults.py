"""Runs that meet a fault: a server that never answers, a runner killed in the middle of a revision."""

from __future__ import annotations

import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tenantguard_db import migrate
from tests.alembic_cli import alembic_in_process, alembic_process, migrations_with
from tests.database.probes import backend_alive, backend_running, session, take_migration_lock, terminate, wait_for

# Far longer than any wait below: a lock given up before this is given up because the client is gone.
STATEMENT_TIMEOUT = "10min"
FREED_WITHIN = 60.0


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port on 127.0.0.1 whose listener lets connections in (the kernel completes the handshake) and never answers."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        yield int(listener.getsockname()[1])


@pytest.mark.slow
def test_a_server_that_never_answers_fails_on_the_connect_timeout(silent_server: int) -> None:
    url = f"postgresql://ci:FakeNeverSent9@127.0.0.1:{silent_server}/tenantguard"
    result = alembic_in_process("upgrade", "head", url=url, TENANTGUARD_CONNECT_TIMEOUT="2s")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "no answer within 2s" in output
    assert "TENANTGUARD_CONNECT_TIMEOUT" in output
    assert "NeverSent9" not in output


@pytest.mark.slow
def test_a_connect_timeout_in_the_url_is_kept_when_the_variable_is_unset(silent_server: int) -> None:
    url = f"postgresql://ci@127.0.0.1:{silent_server}/tenantguard?connect_timeout=2"
    result = alembic_in_process("upgrade", "head", url=url)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "no answer within 2s (connect_timeout in the URL" in output


@pytest.mark.slow
def test_the_in_process_revision_read_has_the_connect_timeout_too(
    silent_server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `pulumi refresh` reads the revision in-process: it must not hang on a silent server either.
    monkeypatch.setenv("TENANTGUARD_CONNECT_TIMEOUT", "2s")
    with pytest.raises(migrate.MigrationError, match="no answer within 2s"):
        migrate.current_revision(f"postgresql://ci@127.0.0.1:{silent_server}/tenantguard")


@pytest.fixture
def sleeping_revision(tmp_path: Path) -> Path:
    """The migrations plus a revision that locks a table and sleeps inside its transaction."""
    return migrations_with(
        tmp_path,
        """
op.execute("LOCK TABLE tenants IN ACCESS EXCLUSIVE MODE")
op.execute("SELECT pg_sleep(3600)")
""",
    )


@pytest.mark.parametrize("kill", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_killed_runner_gives_up_the_migration_lock(
    database: str, sleeping_revision: Path, kill: signal.Signals
) -> None:
    migrate.upgrade(database, "0003")
    runner = alembic_process(
        "upgrade", "head", url=database, cwd=sleeping_revision, TENANTGUARD_STATEMENT_TIMEOUT=STATEMENT_TIMEOUT
    )
    backend = None
    try:
        backend = wait_for(lambda: backend_running(database, "pg_sleep"), 60, "the revision to start sleeping")
        runner.send_signal(kill)
        runner.wait(timeout=30)
        with session(database) as second_runner:
            wait_for(lambda: take_migration_lock(second_runner), FREED_WITHIN, "the dead runner's lock")
        assert not backend_alive(database, backend)
        assert migrate.current_revision(database) == "0003"
    finally:
        if runner.poll() is None:
            runner.kill()
        runner.communicate()
        if backend is not None:
            terminate(database, backend)
