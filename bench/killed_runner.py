"""How long a killed `alembic upgrade` keeps the migration lock, with and without the server's client check.

    ./scripts/uv run python bench/killed_runner.py [--rounds N] [--statement-timeout 20s]

A copy of the migrations gets a revision that locks a table and sleeps inside its transaction; the
runner is killed while it sleeps, and the clock runs from the kill until another session can take the
advisory lock. TENANTGUARD_CLIENT_CHECK_INTERVAL=0 turns the check off (the behaviour before it was set),
so the lock is then held until the statement timeout ends the sleep. Prints medians and appends them to
bench/RESULTS.md. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tenantguard_db import migrate  # noqa: E402
from tenantguard_db.local_postgres import LocalPostgres  # noqa: E402
from tests.alembic_cli import alembic_process, migrations_with  # noqa: E402
from tests.database.probes import backend_running, session, take_migration_lock, terminate, wait_for  # noqa: E402

SLEEPING_REVISION = """
op.execute("LOCK TABLE tenants IN ACCESS EXCLUSIVE MODE")
op.execute("SELECT pg_sleep(3600)")
"""


def lock_held_after_kill(
    server: LocalPostgres, name: str, project: Path, kill: signal.Signals, env: dict[str, str]
) -> float:
    """Seconds from killing a runner mid-revision until another session takes the migration lock."""
    url = server.create_database(name)
    migrate.upgrade(url, "0003")
    runner = alembic_process("upgrade", "head", url=url, cwd=project, **env)
    backend = wait_for(lambda: backend_running(url, "pg_sleep"), 60, "the revision to start sleeping")
    with session(url) as second_runner:
        runner.send_signal(kill)
        killed = time.monotonic()
        runner.wait()
        wait_for(lambda: take_migration_lock(second_runner), 3600, "the lock")
        held = time.monotonic() - killed
    runner.communicate()
    terminate(url, backend)
    return held


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--statement-timeout", default="20s", help="bounds the run without the check")
    args = parser.parse_args()
    cases = [
        ("off (0), as before", "0"),
        ("1s (the default)", "1s"),
    ]
    rows = []
    with LocalPostgres() as server, tempfile.TemporaryDirectory() as work:
        project = migrations_with(Path(work), SLEEPING_REVISION)
        for kill in (signal.SIGKILL, signal.SIGTERM):
            for label, interval in cases:
                env = {
                    "TENANTGUARD_CLIENT_CHECK_INTERVAL": interval,
                    "TENANTGUARD_STATEMENT_TIMEOUT": args.statement_timeout,
                }
                held = [
                    lock_held_after_kill(server, f"k_{kill.name.lower()}_{interval}_{n}", project, kill, env)
                    for n in range(args.rounds)
                ]
                rows.append(f"| {kill.name} | {label} | {statistics.median(held):.2f} | {max(held):.2f} |")
                print(rows[-1], flush=True)
    now = datetime.datetime.now(datetime.UTC)
    machine = f"{platform.node()}, {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    report = "\n".join(
        [
            f"## {now:%Y-%m-%d %H:%M} UTC on {machine} ({args.rounds} rounds, medians)",
            "",
            "### A runner killed mid-revision: seconds until another runner can take the migration lock",
            "",
            f"The revision sleeps inside its transaction; TENANTGUARD_STATEMENT_TIMEOUT={args.statement_timeout} "
            "(default 5min) bounds the run without the check. bench/killed_runner.py.",
            "",
            "| signal | client_connection_check_interval | lock held s (median) | max s |",
            "|---|---|---|---|",
            *rows,
            "",
        ]
    )
    print(report)
    with (ROOT / "bench" / "RESULTS.md").open("a") as handle:
        handle.write(report + "\n")


if __name__ == "__main__":
    main()
