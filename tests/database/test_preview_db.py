"""A database per pull request, on a real PostgreSQL, run as a non-superuser role holding only CREATEDB."""

from __future__ import annotations

import contextlib
import datetime
import io
import itertools
import json
import logging
import os
import secrets
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from tenantguard_db import migrate, preview_db
from tenantguard_db.local_postgres import LocalPostgres
from tenantguard_db.preview_db import CLONE_LOCK, PR_LOCK_NAMESPACE, Meta, Server
from tenantguard_db.revision_files import checkout, revision_file
from tests.alembic_cli import ROOT, alembic_cli

ROLE = "tg_preview"
# Characters that need percent-encoding in a URL, so building the new URL is exercised for real.
FAKE_PASSWORD = "Pv%w:rd/5x@Q" + secrets.token_hex(4)
_bases = itertools.count(1)


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


@dataclass
class Preview:
    """One base database owned by the preview role, and the command run against it."""

    postgres: LocalPostgres
    admin: psycopg.Connection[tuple[Any, ...]]
    base: str
    url: str
    capsys: pytest.CaptureFixture[str]

    @property
    def server(self) -> Server:
        return Server.from_url(self.url)

    def run(self, *args: str) -> Result:
        """The command in this process (fast; Alembic's log records reach caplog)."""
        self.capsys.readouterr()
        out = io.StringIO()
        try:
            code = preview_db.main(list(args), out=out)
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        captured = self.capsys.readouterr()
        return Result(code, out.getvalue() + captured.out, captured.err)

    def spawn(self, *args: str, **env: str) -> subprocess.Popen[str]:
        """The command as the workflow runs it: its own process."""
        environment = {k: v for k, v in os.environ.items() if k not in ("CI_DB_URL", "DATABASE_URL")}
        environment.update(CI_DB_URL=self.url, PYTHONPATH=str(ROOT), **env)
        return subprocess.Popen(
            [sys.executable, "-m", "tenantguard_db.preview_db", *args],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def databases(self) -> set[str]:
        rows = self.admin.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (self.base + "%",))
        return {str(name) for (name,) in rows.fetchall()}

    def pr_url(self, number: int) -> str:
        return self.server.url_for(self.server.pr_name(number))

    def revision(self, database: str) -> str | None:
        return migrate.current_revision(self.server.url_for(database))

    def meta(self, database: str) -> Meta:
        row = self.admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        meta = Meta.parse(row[0] if row else None)
        assert meta is not None
        return meta

    def backdate(self, database: str, days: int) -> None:
        """Pretend the database was created and last migrated `days` ago."""
        meta = self.meta(database)
        earlier = datetime.timedelta(days=days)
        older = replace(meta, created_at=meta.created_at - earlier, migrated_at=meta.last_used - earlier)
        preview_db.set_meta(self.admin, database, older)

    def template(self, ini: Path = migrate.ALEMBIC_INI) -> None:
        result = self.run("template", "--config", str(ini))
        assert result.code == 0, result.stderr


@pytest.fixture(scope="module")
def admin(postgres: LocalPostgres) -> Iterator[psycopg.Connection[tuple[Any, ...]]]:
    """A superuser session, for what only an administrator does (roles, foreign databases)."""
    with psycopg.connect(postgres.url("postgres"), autocommit=True) as connection:
        # The work order's one-time SQL for the preview role.
        connection.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} CREATEDB").format(
                sql.Identifier(ROLE), sql.Literal(FAKE_PASSWORD)
            )
        )
        yield connection


@pytest.fixture
def preview(
    postgres: LocalPostgres,
    admin: psycopg.Connection[tuple[Any, ...]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Preview:
    """A fresh base database per test (so the names derived from it are the test's own), as CI_DB_URL."""
    base = f"pv{next(_bases)}"
    admin.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(base), sql.Identifier(ROLE)))
    url = f"postgresql://{ROLE}:{quote(FAKE_PASSWORD, safe='')}@127.0.0.1:{postgres.port}/{base}"
    monkeypatch.setenv("CI_DB_URL", url)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    return Preview(postgres, admin, base, url, capsys)


def columns(url: str, table: str) -> set[str]:
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s", (table,)
        ).fetchall()
    return {str(name) for (name,) in rows}


def tables(url: str) -> set[str]:
    with psycopg.connect(url) as connection:
        rows = connection.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {str(name) for (name,) in rows}


def upgrades_run(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage().split(",")[0] for r in caplog.records if r.getMessage().startswith("Running upgrade")]


# --- names, numbers and URLs -------------------------------------------------------------------


def test_pr_database_names_are_the_base_name_and_the_number() -> None:
    server = Server.from_url("postgresql://ci:pw@db.internal:5432/tenantguard")
    assert server.pr_name(123) == "tenantguard_pr_123"
    assert server.template == "tenantguard_pr_template"
    assert server.pr_number_of("tenantguard_pr_123") == 123
    for other in ("tenantguard", "tenantguard_pr_template", "tenantguard_pr_012", "tenantguardx_pr_1", "tg_pr_1"):
        assert server.pr_number_of(other) is None


@pytest.mark.parametrize("value", ["0", "-3", "+3", "012", "1.0", "12a", " 12", "١٢", "2147483648", ""])
def test_pr_numbers_other_than_plain_positive_integers_are_refused(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        preview_db.main(["create", "--pr", value])
    assert exit_.value.code == preview_db.EXIT_USAGE
    assert "argument --pr: takes the pull request's number, a positive integer" in capsys.readouterr().err


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://ci:fake%40s3cr%2Fx@db.internal:5432/tenantguard?sslmode=require&application_name=ci",
        "postgresql://ci:pw@db.internal/tenantguard?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem",
        "postgres://ci@[2001:db8::1]:6432/tenantguard",
    ],
)
def test_the_new_url_differs_from_ci_db_url_only_in_its_database(url: str) -> None:
    server = Server.from_url(url)
    assert server.base == "tenantguard"
    new = conninfo_to_dict(server.url_for("tenantguard_pr_7"))
    assert new.pop("dbname") == "tenantguard_pr_7"
    assert new == {k: v for k, v in conninfo_to_dict(url).items() if k != "dbname"}


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql://ci:pw@db.internal/ignored?dbname=tenantguard", "'dbname'"),
        ("postgresql://ci:pw@db1.internal:5432,db2.internal:5433/tenantguard", "several hosts"),
        ("postgresql://ci:pw@%2Fvar%2Frun%2Fpostgresql/tenantguard", "Unix-socket"),
    ],
)
def test_a_url_libpq_would_read_otherwise_is_refused(url: str, says: str) -> None:
    with pytest.raises(preview_db.UsageError, match=says):
        Server.from_url(url)


def test_the_server_shows_no_password_in_its_repr() -> None:
    assert "fake-s3cr" not in repr(Server.from_url("postgresql://ci:fake-s3cr3t@db.internal:5432/tenantguard"))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://ci:pw@db.internal:5432/" + "t" * 47, "at most 46 bytes"),
        ("postgresql://ci:pw@db.internal:5432/", "CI_DB_URL has no database name"),
        ("postgresql://ci:pw@db.internal:5432/tenant-guard", "ASCII letters, digits and underscores"),
        ("mysql://ci:pw@db.internal/tenantguard", "does not start with postgresql://"),
    ],
)
def test_a_base_database_the_names_cannot_be_built_from_is_refused_before_connecting(
    url: str, message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI_DB_URL", url)
    assert preview_db.main(["create", "--pr", "1"]) == preview_db.EXIT_USAGE
    err = capsys.readouterr().err
    assert message in err
    assert "cannot connect" not in err


def test_no_url_says_which_variables_are_read(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI_DB_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert preview_db.main(["list"]) == preview_db.EXIT_USAGE
    assert "set CI_DB_URL (or DATABASE_URL)" in capsys.readouterr().err


# --- create ------------------------------------------------------------------------------------


def test_create_without_a_template_migrates_an_empty_database_from_base(preview: Preview) -> None:
    result = preview.run("create", "--pr", "5")
    assert result.code == 0, result.stderr
    assert result.stdout == f"{preview.base}_pr_5\n"
    assert "created empty and migrated from base: no template" in result.stderr
    assert preview.revision(f"{preview.base}_pr_5") == "0003"


def test_create_clones_the_template_and_runs_only_the_prs_revisions(
    preview: Preview, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    preview.template()
    pr = checkout(tmp_path, "a", ("a004", "0003", "ALTER TABLE tenants ADD COLUMN plan text"))
    caplog.set_level(logging.INFO, logger="alembic")
    caplog.clear()
    result = preview.run("create", "--pr", "12", "--config", str(pr))
    assert result.code == 0, result.stderr
    assert f"created from {preview.base}_pr_template at 0003" in result.stderr
    assert upgrades_run(caplog) == ["Running upgrade 0003 -> a004"]
    assert "plan" in columns(preview.pr_url(12), "tenants")


def test_two_prs_with_diverging_revisions_each_migrate_their_own_database_and_main_stays_at_its_head(
    preview: Preview, tmp_path: Path
) -> None:
    assert migrate.upgrade(preview.url, "head") == "0003"  # the shared preview database, migrated from main
    preview.template()
    pr_a = checkout(tmp_path, "a", ("a004", "0003", "ALTER TABLE tenants ADD COLUMN plan text"))
    pr_b = checkout(tmp_path, "b", ("b004", "0003", "CREATE TABLE widgets (id int)"))
    assert preview.run("create", "--pr", "1", "--config", str(pr_a)).code == 0
    assert preview.run("create", "--pr", "2", "--config", str(pr_b)).code == 0
    # Each pull request again, after the other: neither sees the other's revision.
    assert preview.run("create", "--pr", "1", "--config", str(pr_a)).code == 0
    assert preview.run("create", "--pr", "2", "--config", str(pr_b)).code == 0
    assert preview.revision(f"{preview.base}_pr_1") == "a004"
    assert preview.revision(f"{preview.base}_pr_2") == "b004"
    assert "widgets" not in tables(preview.pr_url(1))
    assert "plan" not in columns(preview.pr_url(2), "tenants")
    assert migrate.current_revision(preview.url) == "0003"
    # main's own run still works: no "Can't locate revision" on the shared database.
    result = alembic_cli("upgrade", "head", url=preview.url)
    assert result.returncode == 0, result.stderr
    assert preview.meta(f"{preview.base}_pr_template").revision == "0003"


def test_a_second_create_only_migrates_and_keeps_the_data(
    preview: Preview, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    preview.template()
    pr = checkout(tmp_path, "a", ("a004", "0003", "ALTER TABLE tenants ADD COLUMN plan text"))
    assert preview.run("create", "--pr", "3", "--config", str(pr)).code == 0
    created = preview.meta(f"{preview.base}_pr_3").created_at
    with psycopg.connect(preview.pr_url(3)) as connection:
        connection.execute("INSERT INTO tenants (slug, name) VALUES ('kept', 'Kept')")
    # The pull request pushes one more revision.
    (pr.parent / "alembic" / "versions" / "a005_a.py").write_text(
        revision_file("a005", "a004", "ALTER TABLE tenants ADD COLUMN seats int")
    )
    caplog.set_level(logging.INFO, logger="alembic")
    caplog.clear()
    result = preview.run("create", "--pr", "3", "--config", str(pr))
    assert result.code == 0, result.stderr
    assert "exists; migrating it to a005" in result.stderr
    assert upgrades_run(caplog) == ["Running upgrade a004 -> a005"]
    with psycopg.connect(preview.pr_url(3)) as connection:
        assert connection.execute("SELECT slug FROM tenants").fetchall() == [("kept",)]
    assert preview.meta(f"{preview.base}_pr_3").created_at == created


def test_a_pr_behind_main_gets_an_empty_database_migrated_from_base(preview: Preview, tmp_path: Path) -> None:
    main = checkout(tmp_path, "main", ("m004", "0003", "CREATE TABLE from_main (id int)"))
    preview.template(main)
    result = preview.run("create", "--pr", "4")  # this checkout: 0003, without main's m004
    assert result.code == 0, result.stderr
    assert "created empty and migrated from base" in result.stderr
    assert "it is at m004, which this checkout's history (up to 0003) does not contain" in result.stderr
    assert "behind main" in result.stderr
    assert preview.revision(f"{preview.base}_pr_4") == "0003"
    assert "from_main" not in tables(preview.pr_url(4))


def test_a_pr_that_edited_one_of_mains_revisions_is_not_cloned_from_the_template(
    preview: Preview, tmp_path: Path
) -> None:
    preview.template()
    pr = checkout(tmp_path, "a")
    edited = pr.parent / "alembic" / "versions" / "0003_audit_events.py"
    edited.write_text(edited.read_text() + "\n# edited in the pull request\n")
    result = preview.run("create", "--pr", "6", "--config", str(pr))
    assert result.code == 0, result.stderr
    assert "created empty and migrated from base" in result.stderr
    assert "the revision files up to 0003 differ" in result.stderr


def test_a_pr_that_changed_an_applied_revision_gets_its_database_recreated(preview: Preview, tmp_path: Path) -> None:
    pr = checkout(tmp_path, "a", ("a004", "0003", "ALTER TABLE tenants ADD COLUMN plan text"))
    assert preview.run("create", "--pr", "8", "--config", str(pr)).code == 0
    (pr.parent / "alembic" / "versions" / "a004_a.py").write_text(
        revision_file("a004", "0003", "ALTER TABLE tenants ADD COLUMN plan_name text")
    )
    result = preview.run("create", "--pr", "8", "--config", str(pr))
    assert result.code == 0, result.stderr
    assert "is recreated: the revision files up to a004 differ" in result.stderr
    assert {"plan_name"} <= columns(preview.pr_url(8), "tenants")
    assert "plan" not in columns(preview.pr_url(8), "tenants")


def test_a_pr_whose_revision_fails_stays_at_its_last_good_revision_and_nothing_else_moves(
    preview: Preview, tmp_path: Path
) -> None:
    assert migrate.upgrade(preview.url, "head") == "0003"
    preview.template()
    other = checkout(tmp_path, "b", ("b004", "0003", "CREATE TABLE widgets (id int)"))
    assert preview.run("create", "--pr", "2", "--config", str(other)).code == 0
    broken = checkout(
        tmp_path,
        "a",
        ("a004", "0003", "ALTER TABLE tenants ADD COLUMN plan text"),
        ("a005", "a004", "SELECT 1 / 0"),
    )
    result = preview.run("create", "--pr", "1", "--config", str(broken))
    assert result.code == preview_db.EXIT_REVISIONS_FAILED
    assert "division by zero" in result.stderr
    assert f"migrating {preview.base}_pr_1 to a005 failed" in result.stderr
    assert "it stays at a004" in result.stderr
    assert result.stdout == ""
    assert preview.revision(f"{preview.base}_pr_1") == "a004"
    assert preview.revision(f"{preview.base}_pr_2") == "b004"
    assert migrate.current_revision(preview.url) == "0003"
    assert preview.meta(f"{preview.base}_pr_template").revision == "0003"
    # The author fixes the revision and pushes: the database continues from a004, not from scratch.
    (broken.parent / "alembic" / "versions" / "a005_a.py").write_text(revision_file("a005", "a004", "SELECT 1"))
    again = preview.run("create", "--pr", "1", "--config", str(broken))
    assert again.code == 0, again.stderr
    assert "exists; migrating it to a005" in again.stderr
    assert preview.revision(f"{preview.base}_pr_1") == "a005"


def test_a_revision_file_that_does_not_load_fails_as_the_prs_own_and_leaves_its_database(
    preview: Preview, tmp_path: Path
) -> None:
    pr = checkout(tmp_path, "a", ("a004", "0003", "ALTER TABLE tenants ADD COLUMN plan text"))
    assert preview.run("create", "--pr", "1", "--config", str(pr)).code == 0
    (pr.parent / "alembic" / "versions" / "a005_a.py").write_text("revision = 'a005'\ndown_revision = 'a004'\n)(\n")
    result = preview.run("create", "--pr", "1", "--config", str(pr))
    assert result.code == preview_db.EXIT_REVISIONS_FAILED
    assert "cannot be loaded: SyntaxError" in result.stderr
    assert "Traceback" not in result.stderr
    assert preview.revision(f"{preview.base}_pr_1") == "a004"


def test_concurrent_creates_for_one_pr_make_one_database(preview: Preview, tmp_path: Path) -> None:
    preview.template()
    pr = checkout(tmp_path, "a", ("a004", "0003", "ALTER TABLE tenants ADD COLUMN plan text"))
    runs = [preview.spawn("create", "--pr", "9", "--config", str(pr)) for _ in range(3)]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    assert all(out == f"{preview.base}_pr_9\n" for out, _ in outputs)
    assert sum("created from" in err for _, err in outputs) == 1
    assert sum("exists; migrating" in err for _, err in outputs) == 2
    assert sum("Running upgrade 0003 -> a004" in err for _, err in outputs) == 1
    assert preview.databases() == {preview.base, f"{preview.base}_pr_9", f"{preview.base}_pr_template"}
    assert preview.revision(f"{preview.base}_pr_9") == "a004"


def waiting_for(preview: Preview, objid: int) -> bool:
    row = preview.admin.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = %s",
        (objid & 0xFFFF_FFFF,),
    ).fetchone()
    return bool(row and row[0])


def wait_until_waiting(preview: Preview, objid: int, run: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not waiting_for(preview, objid):
        assert run.poll() is None, run.communicate()
        assert time.monotonic() < deadline, "the run never queued on the lock"
        time.sleep(0.05)


def test_a_clone_waits_while_the_template_is_being_swapped(preview: Preview) -> None:
    preview.template()
    with psycopg.connect(preview.url, autocommit=True) as swapping:
        swapping.execute("SELECT pg_advisory_lock(%s::int8)", (CLONE_LOCK,))
        run = preview.spawn("create", "--pr", "10")
        wait_until_waiting(preview, CLONE_LOCK, run)
        swapping.execute("SELECT pg_advisory_unlock(%s::int8)", (CLONE_LOCK,))
    _out, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    assert "created from" in err
    assert preview.revision(f"{preview.base}_pr_10") == "0003"


def test_prs_created_while_main_rebuilds_the_template_all_succeed(preview: Preview, tmp_path: Path) -> None:
    preview.template()
    # main moves on with a slow revision, so the rebuild overlaps the creates.
    main = checkout(tmp_path, "main", ("m004", "0003", "SELECT pg_sleep(1)"))
    rebuild = preview.spawn("template", "--config", str(main))
    creates = [preview.spawn("create", "--pr", str(number)) for number in (21, 22, 23)]
    results = [run.communicate(timeout=120) for run in [rebuild, *creates]]
    assert [run.returncode for run in [rebuild, *creates]] == [0, 0, 0, 0], results
    assert preview.meta(f"{preview.base}_pr_template").revision == "m004"
    for number in (21, 22, 23):
        assert preview.revision(f"{preview.base}_pr_{number}") == "0003"
    assert f"{preview.base}_pr_template_next" not in preview.databases()


def test_the_lock_wait_bounds_the_wait_for_another_run_on_the_same_pr(preview: Preview) -> None:
    with psycopg.connect(preview.url, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s::int4, %s::int4)", (PR_LOCK_NAMESPACE, 11))
        run = preview.spawn("create", "--pr", "11", TENANTGUARD_MIGRATION_LOCK_WAIT="300ms")
        _out, err = run.communicate(timeout=120)
    assert run.returncode == preview_db.EXIT_FAILED
    assert "gave up waiting for the lock of pull request 11 after 300ms" in err
    assert f"{preview.base}_pr_11" not in preview.databases()


def test_a_lock_wait_without_a_unit_is_refused_as_the_migrations_refuse_it(
    preview: Preview, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PostgreSQL would read a bare 5 as 5 ms; env.py refuses it, so the same variable must not mean 5 ms here.
    monkeypatch.setenv("TENANTGUARD_MIGRATION_LOCK_WAIT", "5")
    result = preview.run("create", "--pr", "1")
    assert result.code == preview_db.EXIT_USAGE
    assert "TENANTGUARD_MIGRATION_LOCK_WAIT='5' has no unit" in result.stderr
    assert preview.databases() == {preview.base}


@pytest.mark.parametrize(("value", "in_force"), [("", "10min"), ("1d", "1d")], ids=["empty-is-the-default", "days"])
def test_a_lock_wait_the_migrations_accept_is_accepted_and_applied(
    preview: Preview, monkeypatch: pytest.MonkeyPatch, value: str, in_force: str
) -> None:
    monkeypatch.setenv("TENANTGUARD_MIGRATION_LOCK_WAIT", value)
    result = preview.run("create", "--pr", "1")
    assert result.code == 0, result.stderr
    with preview.server.maintenance() as connection:
        preview_db.set_lock_wait(connection)
        assert connection.execute("SHOW lock_timeout").fetchone() == (in_force,)


# --- the template ------------------------------------------------------------------------------


def test_nobody_can_connect_to_the_template(preview: Preview) -> None:
    preview.template()
    with pytest.raises(psycopg.OperationalError, match="not currently accepting connections"):
        psycopg.connect(preview.server.url_for(f"{preview.base}_pr_template")).close()


def test_a_failed_template_build_keeps_the_previous_template(preview: Preview, tmp_path: Path) -> None:
    preview.template()
    main = checkout(tmp_path, "main", ("m004", "0003", "SELECT 1 / 0"))
    result = preview.run("template", "--config", str(main))
    assert result.code == preview_db.EXIT_REVISIONS_FAILED
    assert f"{preview.base}_pr_template is unchanged" in result.stderr
    assert preview.meta(f"{preview.base}_pr_template").revision == "0003"
    assert preview.databases() == {preview.base, f"{preview.base}_pr_template"}
    assert preview.run("create", "--pr", "1").code == 0


def test_a_template_already_at_head_is_left_alone(preview: Preview) -> None:
    preview.template()
    oid = preview.admin.execute("SELECT oid FROM pg_database WHERE datname = %s", (f"{preview.base}_pr_template",))
    before = oid.fetchone()
    result = preview.run("template")
    assert result.code == 0
    assert "is already at 0003" in result.stderr
    again = preview.admin.execute("SELECT oid FROM pg_database WHERE datname = %s", (f"{preview.base}_pr_template",))
    assert again.fetchone() == before


# --- drop, list, prune -------------------------------------------------------------------------


def test_drop_removes_only_that_prs_database(preview: Preview) -> None:
    preview.template()
    for number in (1, 2):
        assert preview.run("create", "--pr", str(number)).code == 0
    result = preview.run("drop", "--pr", "1")
    assert result.code == 0, result.stderr
    assert result.stdout == f"{preview.base}_pr_1\n"
    assert preview.databases() == {preview.base, f"{preview.base}_pr_2", f"{preview.base}_pr_template"}


def test_drop_of_a_database_already_gone_succeeds(preview: Preview) -> None:
    result = preview.run("drop", "--pr", "404")
    assert result.code == 0
    assert result.stdout == ""
    assert "does not exist; nothing to drop" in result.stderr


def test_drop_ends_the_preview_apps_sessions(preview: Preview) -> None:
    assert preview.run("create", "--pr", "1").code == 0
    with psycopg.connect(preview.pr_url(1)) as app:
        assert preview.run("drop", "--pr", "1").code == 0
        with pytest.raises(psycopg.OperationalError):
            app.execute("SELECT 1")
    assert f"{preview.base}_pr_1" not in preview.databases()


def test_a_database_this_command_did_not_create_is_never_migrated_or_dropped(preview: Preview) -> None:
    foreign = f"{preview.base}_pr_7"
    preview.admin.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(foreign), sql.Identifier(ROLE)))
    for args in (("create", "--pr", "7"), ("drop", "--pr", "7")):
        result = preview.run(*args)
        assert result.code == preview_db.EXIT_FAILED
        assert f"database {foreign} exists but was not created by this command" in result.stderr
    assert preview.revision(foreign) is None
    assert foreign in preview.databases()


def test_list_shows_each_pr_database_with_its_age_and_revision(preview: Preview, tmp_path: Path) -> None:
    preview.template()
    pr = checkout(tmp_path, "a", ("a004", "0003", "SELECT 1"))
    assert preview.run("create", "--pr", "2", "--config", str(pr)).code == 0
    assert preview.run("create", "--pr", "10").code == 0
    preview.backdate(f"{preview.base}_pr_2", days=3)
    result = preview.run("list", "--json")
    assert result.code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["template"]["revision"] == "0003"
    rows = {row["pr"]: row for row in document["databases"]}
    assert sorted(rows) == [2, 10]
    assert rows[2]["revision"] == "a004"
    assert rows[10]["revision"] == "0003"
    assert 2.99 < rows[2]["age_days"] < 3.01
    assert rows[10]["age_days"] < 0.01
    table = preview.run("list").stdout.splitlines()
    assert table[0].split() == ["database", "pr", "revision", "created", "(UTC)", "age", "days", "idle", "days"]
    assert [line.split()[:3] for line in table[1:]] == [
        [f"{preview.base}_pr_2", "2", "a004"],
        [f"{preview.base}_pr_10", "10", "0003"],
        [f"{preview.base}_pr_template", "template", "0003"],
    ]


def test_prune_drops_only_our_pr_databases_idle_longer_than_the_limit(preview: Preview) -> None:
    for number in (1, 2, 3):
        assert preview.run("create", "--pr", str(number)).code == 0
    preview.backdate(f"{preview.base}_pr_1", days=30)
    preview.backdate(f"{preview.base}_pr_3", days=30)
    preview.backdate(f"{preview.base}_pr_2", days=2)
    # Not ours: a look-alike without our comment, and another base's pull-request database.
    for name in (f"{preview.base}_pr_9", f"{preview.base}_other", f"{preview.base}x_pr_1"):
        preview.admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    with psycopg.connect(preview.url, autocommit=True) as busy:
        # Pull request 3 is being created or migrated right now.
        busy.execute("SELECT pg_advisory_lock(%s::int4, %s::int4)", (PR_LOCK_NAMESPACE, 3))
        result = preview.run("prune", "--older-than", "7")
    assert result.code == 0, result.stderr
    assert result.stdout == f"{preview.base}_pr_1\n"
    assert f"{preview.base}_pr_3 is being created or migrated right now; kept" in result.stderr
    assert preview.databases() == {
        preview.base,
        f"{preview.base}_pr_2",
        f"{preview.base}_pr_3",
        f"{preview.base}_pr_9",
        f"{preview.base}_other",
        f"{preview.base}x_pr_1",
    }


def test_prune_dry_run_names_what_it_would_drop_and_drops_nothing(preview: Preview) -> None:
    assert preview.run("create", "--pr", "1").code == 0
    preview.backdate(f"{preview.base}_pr_1", days=30)
    result = preview.run("prune", "--older-than", "7", "--dry-run")
    assert result.code == 0
    assert result.stdout == f"{preview.base}_pr_1\n"
    assert f"{preview.base}_pr_1" in preview.databases()


# --- privileges and limits ---------------------------------------------------------------------


def login_role(preview: Preview, role: str, *options: str) -> str:
    """A role with the given options that can connect to the base database; its URL there."""
    password = secrets.token_hex(12)
    preview.admin.execute(
        sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} " + " ".join(options)).format(
            sql.Identifier(role), sql.Literal(password)
        )
    )
    return f"postgresql://{role}:{password}@127.0.0.1:{preview.postgres.port}/{preview.base}"


def test_a_role_without_createdb_is_told_which_privilege_and_where_the_sql_is(
    preview: Preview, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI_DB_URL", login_role(preview, f"{preview.base}_nocreatedb", "NOCREATEDB"))
    for args in (("create", "--pr", "1"), ("template",)):
        result = preview.run(*args)
        assert result.code == preview_db.EXIT_FAILED
        assert "lacks the CREATEDB privilege" in result.stderr
        assert f'ALTER ROLE "{preview.base}_nocreatedb" CREATEDB;' in result.stderr
        assert "workorders/WO-ci-secrets.md" in result.stderr
    assert preview.databases() == {preview.base}


def test_a_role_that_does_not_own_the_database_is_told_why_drop_failed(preview: Preview) -> None:
    assert preview.run("create", "--pr", "1").code == 0
    preview.admin.execute(
        sql.SQL("ALTER DATABASE {} OWNER TO tenantguard").format(sql.Identifier(f"{preview.base}_pr_1"))
    )
    result = preview.run("drop", "--pr", "1")
    assert result.code == preview_db.EXIT_FAILED
    assert "must be owner of database" in result.stderr
    assert "must own the pull-request databases" in result.stderr


@contextlib.contextmanager
def sessions(url: str, count: int) -> Iterator[None]:
    """`count` other sessions of the role, held open for the block."""
    opened = [psycopg.connect(url) for _ in range(count)]
    try:
        yield
    finally:
        for session in opened:
            session.close()


@pytest.mark.parametrize("held", [1, 0], ids=["limit-reached-by-another-session", "limit-too-low-for-a-run"])
def test_a_connection_limit_reached_is_reported_clearly(
    preview: Preview, monkeypatch: pytest.MonkeyPatch, held: int
) -> None:
    url = login_role(preview, f"{preview.base}_limited", "CREATEDB", "CONNECTION LIMIT 1")
    monkeypatch.setenv("CI_DB_URL", url)
    with sessions(url, held):
        result = preview.run("create", "--pr", "1")
    assert result.code == preview_db.EXIT_FAILED
    assert "too many connections" in result.stderr
    assert "A connection limit is reached" in result.stderr
    assert "each run needs two connections at once" in result.stderr


# --- the new database's URL, and secrecy ------------------------------------------------------


def test_the_url_file_is_private_and_opens_the_new_database(preview: Preview, tmp_path: Path) -> None:
    target = tmp_path / "pr-db-url"
    result = preview.run("create", "--pr", "4", "--url-to-file", str(target))
    assert result.code == 0, result.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with psycopg.connect(target.read_text()) as connection:
        assert connection.execute("SELECT current_database()").fetchone() == (f"{preview.base}_pr_4",)
    assert FAKE_PASSWORD not in result.stdout + result.stderr


def test_the_url_file_is_never_written_through_a_symlink(preview: Preview, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("untouched")
    (tmp_path / "pr-db-url").symlink_to(elsewhere)
    result = preview.run("create", "--pr", "4", "--url-to-file", str(tmp_path / "pr-db-url"))
    assert result.code == preview_db.EXIT_USAGE
    assert "not a symlink" in result.stderr
    assert elsewhere.read_text() == "untouched"
    assert preview.databases() == {preview.base}


def test_github_output_masks_the_url_and_password_before_writing_them(
    preview: Preview, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "github_output"
    output.write_text("earlier=kept\n")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    result = preview.run("create", "--pr", "4", "--github-output")
    assert result.code == 0, result.stderr
    url = preview.pr_url(4)
    lines = result.stderr.splitlines()
    masks = [line.removeprefix("::add-mask::") for line in lines if line.startswith("::add-mask::")]
    escaped = [value.replace("%", "%25") for value in (url, FAKE_PASSWORD, quote(FAKE_PASSWORD, safe=""))]
    assert masks == escaped
    assert all(line.startswith("::add-mask::") for line in lines[: len(masks)])  # before anything else
    assert output.read_text() == f"earlier=kept\ndatabase={preview.base}_pr_4\nurl={url}\n"
    assert result.stdout == f"{preview.base}_pr_4\n"
    assert FAKE_PASSWORD not in "\n".join(line for line in lines if not line.startswith("::add-mask::"))


def test_github_output_outside_github_actions_is_refused_before_anything_is_created(preview: Preview) -> None:
    result = preview.run("create", "--pr", "4", "--github-output")
    assert result.code == preview_db.EXIT_USAGE
    assert "--github-output needs GITHUB_OUTPUT" in result.stderr
    assert preview.databases() == {preview.base}


def test_no_output_shows_the_password(preview: Preview, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = checkout(tmp_path, "a", ("a004", "0003", "SELECT 1 / 0"))
    texts = []
    for args in (
        ("template",),
        ("create", "--pr", "1"),
        ("create", "--pr", "2", "--config", str(broken)),
        ("list",),
        ("list", "--json"),
        ("prune", "--older-than", "1"),
        ("drop", "--pr", "1"),
    ):
        result = preview.run(*args)
        texts.append(result.stdout + result.stderr)
    wrong = "Wr0ngPassw0rdZ"
    monkeypatch.setenv("CI_DB_URL", preview.url.replace(quote(FAKE_PASSWORD, safe=""), wrong))
    result = preview.run("create", "--pr", "1")
    assert result.code == preview_db.EXIT_FAILED
    assert "password authentication failed" in result.stderr
    texts.append(result.stdout + result.stderr)
    for text in texts:
        assert FAKE_PASSWORD not in text
        assert quote(FAKE_PASSWORD, safe="") not in text
        assert wrong not in text


def test_the_work_order_holds_the_section_and_sql_the_messages_point_to() -> None:
    work_order = (ROOT / "workorders" / "WO-ci-secrets.md").read_text()
    assert "\n## Preview databases per pull request\n" in work_order
    assert preview_db.WORK_ORDER == 'workorders/WO-ci-secrets.md, section "Preview databases per pull request"'
    assert "ALTER ROLE ci CREATEDB;" in work_order
