"""A database and a login role per pull request, on a real PostgreSQL, run as a non-superuser role holding only
CREATEDB and CREATEROLE, after the work order's one-time SQL."""

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
from urllib.parse import quote

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from tenantguard_db import migrate
from tenantguard_db.local_postgres import LocalPostgres
from tenantguard_db.preview_db import cli
from tenantguard_db.preview_db.errors import WORK_ORDER, UsageError
from tenantguard_db.preview_db.locks import (
    PR_LOCK_NAMESPACE,
    TEMPLATE_CLONE_LOCK,
    advisory_lock_arguments,
    pr_lock_keys,
    set_lock_wait,
)
from tenantguard_db.preview_db.metadata import Meta, set_database_meta, utc_now
from tenantguard_db.preview_db.names import MAX_BASE_BYTES, MAX_IDENTIFIER_BYTES, MAX_PR, MAX_REPOSITORY_ID, PullRequest
from tenantguard_db.preview_db.roles import PR_ROLE_CONNECTION_LIMIT
from tenantguard_db.preview_db.server import Connection, Server
from tenantguard_db.preview_db.status_codes import EXIT_FAILED, EXIT_REVISIONS_FAILED, EXIT_USAGE
from tenantguard_db.revision_files import checkout, revision_file
from tests.alembic_cli import ROOT, alembic_in_process

ROLE = "tg_preview"
# Every database PostgreSQL lets PUBLIC connect to on a new server; the one-time SQL closes them.
SERVER_DATABASES = ("postgres", "template1")
# Characters that need percent-encoding in a URL, so building the new URL is exercised for real.
FAKE_PASSWORD = "Pv%w:rd/5x@Q" + secrets.token_hex(4)
# The repository most tests run in (GitHub's numeric repository id), and another with overlapping PR numbers.
REPO = 1001
OTHER_REPO = 2002
IN_REPO = ("--repository-id", str(REPO))
IN_OTHER_REPO = ("--repository-id", str(OTHER_REPO))
_bases = itertools.count(1)
_files = itertools.count(1)


def assert_each_refused(connection: Connection, statements: tuple[str, ...]) -> None:
    """Every statement fails for lack of privilege (the connection is in autocommit: each fails alone)."""
    for statement in statements:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute(statement)


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


@dataclass
class Preview:
    """One base database owned by the preview role, and the command run against it."""

    postgres: LocalPostgres
    admin: Connection
    base: str
    url: str
    capsys: pytest.CaptureFixture[str]
    tmp: Path

    @property
    def server(self) -> Server:
        return Server.from_url(self.url)

    def run(self, *args: str) -> Result:
        """The command in this process (fast; Alembic's log records reach caplog)."""
        self.capsys.readouterr()
        out = io.StringIO()
        try:
            code = cli.main(list(args), out=out)
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

    def create(self, number: int, *args: str, repository: int = REPO) -> str:
        """create --repository-id R --pr N, which must succeed; the URL it hands the deployment."""
        target = self.tmp / f"deployment-url-{next(_files)}"
        in_repository = ("--repository-id", str(repository))
        result = self.run("create", *in_repository, "--pr", str(number), "--url-to-file", str(target), *args)
        assert result.code == 0, result.stderr
        return target.read_text()

    def databases(self) -> set[str]:
        rows = self.admin.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (self.base + "%",))
        return {str(name) for (name,) in rows.fetchall()}

    def roles(self) -> set[str]:
        rows = self.admin.execute("SELECT rolname FROM pg_roles WHERE rolname LIKE %s", (self.base + "%",))
        return {str(name) for (name,) in rows.fetchall()}

    def ci_url(self, number: int, repository: int = REPO) -> str:
        """The CI role's URL for the pull request's database (which it owns), for looking inside."""
        return self.server.ci_url_for(self.server.pr_name(PullRequest(repository, number)))

    def hold_pr_lock(self, connection: Connection, number: int) -> None:
        """Take the lock a run for that pull request of REPO holds, as if one were running."""
        keys = pr_lock_keys(self.server, PullRequest(REPO, number))
        connection.execute(sql.SQL("SELECT pg_advisory_lock({})").format(advisory_lock_arguments(keys)), keys)

    def revision(self, database: str) -> str | None:
        return migrate.current_revision(self.server.ci_url_for(database))

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
        set_database_meta(self.admin, database, older)

    def template(self, ini: Path = migrate.ALEMBIC_INI) -> None:
        result = self.run("template", "--config", str(ini))
        assert result.code == 0, result.stderr


@pytest.fixture(scope="module")
def admin(postgres: LocalPostgres) -> Iterator[Connection]:
    """A superuser session, for what only an administrator does (roles, foreign databases)."""
    with psycopg.connect(postgres.url("postgres"), autocommit=True) as connection:
        # The work order's one-time SQL for the preview role and the server (the base database's part is
        # in the preview fixture: each test has its own base).
        connection.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} CREATEDB").format(
                sql.Identifier(ROLE), sql.Literal(FAKE_PASSWORD)
            )
        )
        connection.execute(sql.SQL("ALTER ROLE {} CREATEROLE").format(sql.Identifier(ROLE)))
        every = sql.SQL(", ").join(map(sql.Identifier, SERVER_DATABASES))
        connection.execute(sql.SQL("REVOKE CONNECT ON DATABASE {} FROM PUBLIC").format(every))
        try:
            yield connection
        finally:
            # The server outlives this module: give the other tests PostgreSQL's defaults back.
            connection.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO PUBLIC").format(every))


@pytest.fixture
def preview(
    postgres: LocalPostgres,
    admin: Connection,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Preview:
    """A fresh base database per test (so the names derived from it are the test's own), as CI_DB_URL."""
    base = f"pv{next(_bases)}"
    admin.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(base), sql.Identifier(ROLE)))
    # The work order's one-time SQL for the base database (the shared preview app's role would get CONNECT too).
    admin.execute(sql.SQL("REVOKE CONNECT ON DATABASE {} FROM PUBLIC").format(sql.Identifier(base)))
    url = f"postgresql://{ROLE}:{quote(FAKE_PASSWORD, safe='')}@127.0.0.1:{postgres.port}/{base}"
    monkeypatch.setenv("CI_DB_URL", url)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    return Preview(postgres, admin, base, url, capsys, tmp_path)


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


def test_pr_database_names_are_the_base_name_the_repository_id_and_the_number() -> None:
    server = Server.from_url("postgresql://ci:pw@db.internal:5432/tenantguard")
    assert server.pr_name(PullRequest(987654321, 123)) == "tenantguard_pr_987654321_123"
    assert server.template == "tenantguard_pr_template"
    assert server.pr_from_name("tenantguard_pr_987654321_123") == PullRequest(987654321, 123)
    others = ["tenantguard", "tenantguard_pr_template", "tenantguard_pr_012", "tenantguardx_pr_1", "tg_pr_1"]
    others += ["tenantguard_pr_0_1", "tenantguard_pr_1_01", "tenantguard_pr_1_2_3", "tenantguard_pr__1"]
    others += [f"tenantguard_pr_{2**63}_1", f"tenantguard_pr_1_{2**31}"]
    for other in others:
        assert server.pr_from_name(other) is None


def test_legacy_names_without_a_repository_are_still_read() -> None:
    server = Server.from_url("postgresql://ci:pw@db.internal:5432/tenantguard")
    assert server.pr_from_name("tenantguard_pr_123") == PullRequest(None, 123)
    assert server.pr_name(PullRequest(None, 123)) == "tenantguard_pr_123"


@pytest.mark.parametrize("value", ["0", "-3", "+3", "012", "1.0", "12a", " 12", "١٢", "2147483648", ""])
def test_pr_numbers_other_than_plain_positive_integers_are_refused(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["create", *IN_REPO, "--pr", value])
    assert exit_.value.code == EXIT_USAGE
    assert "argument --pr: takes the pull request's number, a positive integer" in capsys.readouterr().err


@pytest.mark.parametrize(("value", "days"), [("14", 14), ("14d", 14), ("1", 1), ("99999d", 99999)])
def test_older_than_takes_whole_days_with_or_without_a_d(value: str, days: int) -> None:
    assert cli.parse_days(value) == days


@pytest.mark.parametrize("value", ["0", "0d", "-1", "14h", "2w", "1.5", "d", "14 d", "014", "100000", ""])
def test_older_than_other_than_whole_days_is_refused(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["prune", "--older-than", value, *IN_REPO])
    assert exit_.value.code == EXIT_USAGE
    assert "--older-than: takes a whole number of days from 1 to 99999, as 14 or 14d" in capsys.readouterr().err


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
    new = conninfo_to_dict(server.ci_url_for("tenantguard_pr_7"))
    assert new.pop("dbname") == "tenantguard_pr_7"
    assert new == {k: v for k, v in conninfo_to_dict(url).items() if k != "dbname"}


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql://ci:pw@db.internal/ignored?dbname=tenantguard", "'dbname'"),
        ("postgresql://ci:pw@db1.internal:5432,db2.internal:5433/tenantguard", "several hosts"),
        ("postgresql://ci:pw@%2Fvar%2Frun%2Fpostgresql/tenantguard", "Unix-socket"),
        ("postgresql://ci%3AFakePw-Rq72@db.internal/tenantguard", "not a plain role name"),
    ],
)
def test_a_url_libpq_would_read_otherwise_is_refused(url: str, says: str) -> None:
    with pytest.raises(UsageError, match=says) as refused:
        Server.from_url(url)
    assert "Rq72" not in str(refused.value)


def test_the_server_shows_no_password_in_its_repr() -> None:
    assert "fake-s3cr" not in repr(Server.from_url("postgresql://ci:fake-s3cr3t@db.internal:5432/tenantguard"))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "postgresql://ci:pw@db.internal:5432/" + "t" * 30,
            "63-byte identifier limit: use a base database name of at most 29 bytes",
        ),
        ("postgresql://ci:pw@db.internal:5432/", "CI_DB_URL has no database name"),
        ("postgresql://ci:pw@db.internal:5432/tenant-guard", "ASCII letters, digits and underscores"),
        ("postgresql://ci:FakePw-Rq72@db.internal:5432/FakePw-Rq72", "ASCII letters, digits and underscores"),
        ("mysql://ci:pw@db.internal/tenantguard", "does not start with postgresql://"),
    ],
)
def test_a_base_database_the_names_cannot_be_built_from_is_refused_before_connecting(
    url: str, message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI_DB_URL", url)
    assert cli.main(["create", *IN_REPO, "--pr", "1"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert message in err
    assert "cannot connect" not in err
    assert "Rq72" not in err


def test_no_url_says_which_variables_are_read(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI_DB_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert cli.main(["list"]) == EXIT_USAGE
    assert "set CI_DB_URL (or DATABASE_URL)" in capsys.readouterr().err


# --- create ------------------------------------------------------------------------------------


def test_create_without_a_template_migrates_an_empty_database_from_base(preview: Preview) -> None:
    result = preview.run("create", *IN_REPO, "--pr", "5")
    assert result.code == 0, result.stderr
    assert result.stdout == f"{preview.base}_pr_{REPO}_5\n"
    assert "created empty and migrated from base: no template" in result.stderr
    assert preview.revision(f"{preview.base}_pr_{REPO}_5") == "0003"


def test_create_clones_the_template_and_runs_only_the_prs_revisions(
    preview: Preview, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    preview.template()
    pr = checkout(tmp_path, "a", ("a004", "0003", "ALTER TABLE tenants ADD COLUMN plan text"))
    caplog.set_level(logging.INFO, logger="alembic")
    caplog.clear()
    result = preview.run("create", *IN_REPO, "--pr", "12", "--config", str(pr))
    assert result.code == 0, result.stderr
    assert f"created from {preview.base}_pr_template at 0003" in result.stderr
    assert upgrades_run(caplog) == ["Running upgrade 0003 -> a004"]
    assert "plan" in columns(preview.ci_url(12), "tenants")


def test_two_prs_with_diverging_revisions_each_migrate_their_own_database_and_main_stays_at_its_head(
    preview: Preview, tmp_path: Path
) -> None:
    assert migrate.upgrade(preview.url, "head") == "0003"  # the shared preview database, migrated from main
    preview.template()
    pr_a = checkout(tmp_path, "a", ("a004", "0003", "ALTER TABLE tenants ADD COLUMN plan text"))
    pr_b = checkout(tmp_path, "b", ("b004", "0003", "CREATE TABLE widgets (id int)"))
    assert preview.run("create", *IN_REPO, "--pr", "1", "--config", str(pr_a)).code == 0
    assert preview.run("create", *IN_REPO, "--pr", "2", "--config", str(pr_b)).code == 0
    # Each pull request again, after the other: neither sees the other's revision.
    assert preview.run("create", *IN_REPO, "--pr", "1", "--config", str(pr_a)).code == 0
    assert preview.run("create", *IN_REPO, "--pr", "2", "--config", str(pr_b)).code == 0
    assert preview.revision(f"{preview.base}_pr_{REPO}_1") == "a004"
    assert preview.revision(f"{preview.base}_pr_{REPO}_2") == "b004"
    assert "widgets" not in tables(preview.ci_url(1))
    assert "plan" not in columns(preview.ci_url(2), "tenants")
    assert migrate.current_revision(preview.url) == "0003"
    # main's own run still works: no "Can't locate revision" on the shared database.
    result = alembic_in_process("upgrade", "head", url=preview.url)
    assert result.returncode == 0, result.stderr
    assert preview.meta(f"{preview.base}_pr_template").revision == "0003"


def test_a_second_create_only_migrates_and_keeps_the_data(
    preview: Preview, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    preview.template()
    pr = checkout(tmp_path, "a", ("a004", "0003", "ALTER TABLE tenants ADD COLUMN plan text"))
    assert preview.run("create", *IN_REPO, "--pr", "3", "--config", str(pr)).code == 0
    created = preview.meta(f"{preview.base}_pr_{REPO}_3").created_at
    with psycopg.connect(preview.ci_url(3)) as connection:
        connection.execute("INSERT INTO tenants (slug, name) VALUES ('kept', 'Kept')")
    # The pull request pushes one more revision.
    (pr.parent / "alembic" / "versions" / "a005_a.py").write_text(
        revision_file("a005", "a004", "ALTER TABLE tenants ADD COLUMN seats int")
    )
    caplog.set_level(logging.INFO, logger="alembic")
    caplog.clear()
    result = preview.run("create", *IN_REPO, "--pr", "3", "--config", str(pr))
    assert result.code == 0, result.stderr
    assert "exists; migrating it to a005" in result.stderr
    assert upgrades_run(caplog) == ["Running upgrade a004 -> a005"]
    with psycopg.connect(preview.ci_url(3)) as connection:
        assert connection.execute("SELECT slug FROM tenants").fetchall() == [("kept",)]
    assert preview.meta(f"{preview.base}_pr_{REPO}_3").created_at == created


def test_a_pr_behind_main_gets_an_empty_database_migrated_from_base(preview: Preview, tmp_path: Path) -> None:
    main = checkout(tmp_path, "main", ("m004", "0003", "CREATE TABLE from_main (id int)"))
    preview.template(main)
    result = preview.run("create", *IN_REPO, "--pr", "4")  # this checkout: 0003, without main's m004
    assert result.code == 0, result.stderr
    assert "created empty and migrated from base" in result.stderr
    assert "it is at m004, which this checkout's history (up to 0003) does not contain" in result.stderr
    assert "behind main" in result.stderr
    assert preview.revision(f"{preview.base}_pr_{REPO}_4") == "0003"
    assert "from_main" not in tables(preview.ci_url(4))


def test_a_pr_that_edited_one_of_mains_revisions_is_not_cloned_from_the_template(
    preview: Preview, tmp_path: Path
) -> None:
    preview.template()
    pr = checkout(tmp_path, "a")
    edited = pr.parent / "alembic" / "versions" / "0003_audit_events.py"
    edited.write_text(edited.read_text() + "\n# edited in the pull request\n")
    result = preview.run("create", *IN_REPO, "--pr", "6", "--config", str(pr))
    assert result.code == 0, result.stderr
    assert "created empty and migrated from base" in result.stderr
    assert "the revision files up to 0003 differ" in result.stderr


def test_a_pr_that_changed_an_applied_revision_gets_its_database_recreated(preview: Preview, tmp_path: Path) -> None:
    pr = checkout(tmp_path, "a", ("a004", "0003", "ALTER TABLE tenants ADD COLUMN plan text"))
    assert preview.run("create", *IN_REPO, "--pr", "8", "--config", str(pr)).code == 0
    (pr.parent / "alembic" / "versions" / "a004_a.py").write_text(
        revision_file("a004", "0003", "ALTER TABLE tenants ADD COLUMN plan_name text")
    )
    result = preview.run("create", *IN_REPO, "--pr", "8", "--config", str(pr))
    assert result.code == 0, result.stderr
    assert "is recreated: the revision files up to a004 differ" in result.stderr
    assert {"plan_name"} <= columns(preview.ci_url(8), "tenants")
    assert "plan" not in columns(preview.ci_url(8), "tenants")


def test_a_pr_whose_revision_fails_stays_at_its_last_good_revision_and_nothing_else_moves(
    preview: Preview, tmp_path: Path
) -> None:
    assert migrate.upgrade(preview.url, "head") == "0003"
    preview.template()
    other = checkout(tmp_path, "b", ("b004", "0003", "CREATE TABLE widgets (id int)"))
    assert preview.run("create", *IN_REPO, "--pr", "2", "--config", str(other)).code == 0
    broken = checkout(
        tmp_path,
        "a",
        ("a004", "0003", "ALTER TABLE tenants ADD COLUMN plan text"),
        ("a005", "a004", "SELECT 1 / 0"),
    )
    result = preview.run("create", *IN_REPO, "--pr", "1", "--config", str(broken))
    assert result.code == EXIT_REVISIONS_FAILED
    assert "division by zero" in result.stderr
    assert f"migrating {preview.base}_pr_{REPO}_1 to a005 failed" in result.stderr
    assert "it stays at a004" in result.stderr
    assert result.stdout == ""
    assert preview.revision(f"{preview.base}_pr_{REPO}_1") == "a004"
    assert preview.revision(f"{preview.base}_pr_{REPO}_2") == "b004"
    assert migrate.current_revision(preview.url) == "0003"
    assert preview.meta(f"{preview.base}_pr_template").revision == "0003"
    # The author fixes the revision and pushes: the database continues from a004, not from scratch.
    (broken.parent / "alembic" / "versions" / "a005_a.py").write_text(revision_file("a005", "a004", "SELECT 1"))
    again = preview.run("create", *IN_REPO, "--pr", "1", "--config", str(broken))
    assert again.code == 0, again.stderr
    assert "exists; migrating it to a005" in again.stderr
    assert preview.revision(f"{preview.base}_pr_{REPO}_1") == "a005"


def test_a_revision_file_that_does_not_load_fails_as_the_prs_own_and_leaves_its_database(
    preview: Preview, tmp_path: Path
) -> None:
    pr = checkout(tmp_path, "a", ("a004", "0003", "ALTER TABLE tenants ADD COLUMN plan text"))
    assert preview.run("create", *IN_REPO, "--pr", "1", "--config", str(pr)).code == 0
    (pr.parent / "alembic" / "versions" / "a005_a.py").write_text("revision = 'a005'\ndown_revision = 'a004'\n)(\n")
    result = preview.run("create", *IN_REPO, "--pr", "1", "--config", str(pr))
    assert result.code == EXIT_REVISIONS_FAILED
    assert "cannot be loaded: SyntaxError" in result.stderr
    assert "Traceback" not in result.stderr
    assert preview.revision(f"{preview.base}_pr_{REPO}_1") == "a004"


def test_concurrent_creates_for_one_pr_make_one_database(preview: Preview, tmp_path: Path) -> None:
    preview.template()
    pr = checkout(tmp_path, "a", ("a004", "0003", "ALTER TABLE tenants ADD COLUMN plan text"))
    runs = [preview.spawn("create", *IN_REPO, "--pr", "9", "--config", str(pr)) for _ in range(3)]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    assert all(out == f"{preview.base}_pr_{REPO}_9\n" for out, _ in outputs)
    assert sum("created from" in err for _, err in outputs) == 1
    assert sum("exists; migrating" in err for _, err in outputs) == 2
    assert sum("Running upgrade 0003 -> a004" in err for _, err in outputs) == 1
    assert preview.databases() == {preview.base, f"{preview.base}_pr_{REPO}_9", f"{preview.base}_pr_template"}
    assert preview.revision(f"{preview.base}_pr_{REPO}_9") == "a004"


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
        swapping.execute("SELECT pg_advisory_lock(%s::int8)", (TEMPLATE_CLONE_LOCK,))
        run = preview.spawn("create", *IN_REPO, "--pr", "10")
        wait_until_waiting(preview, TEMPLATE_CLONE_LOCK, run)
        swapping.execute("SELECT pg_advisory_unlock(%s::int8)", (TEMPLATE_CLONE_LOCK,))
    _out, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    assert "created from" in err
    assert preview.revision(f"{preview.base}_pr_{REPO}_10") == "0003"


def test_prs_created_while_main_rebuilds_the_template_all_succeed(preview: Preview, tmp_path: Path) -> None:
    preview.template()
    # main moves on with a slow revision, so the rebuild overlaps the creates.
    main = checkout(tmp_path, "main", ("m004", "0003", "SELECT pg_sleep(1)"))
    rebuild = preview.spawn("template", "--config", str(main))
    creates = [preview.spawn("create", *IN_REPO, "--pr", str(number)) for number in (21, 22, 23)]
    results = [run.communicate(timeout=120) for run in [rebuild, *creates]]
    assert [run.returncode for run in [rebuild, *creates]] == [0, 0, 0, 0], results
    assert preview.meta(f"{preview.base}_pr_template").revision == "m004"
    for number in (21, 22, 23):
        assert preview.revision(f"{preview.base}_pr_{REPO}_{number}") == "0003"
    assert f"{preview.base}_pr_template_next" not in preview.databases()


def test_the_lock_wait_bounds_the_wait_for_another_run_on_the_same_pr(preview: Preview) -> None:
    with psycopg.connect(preview.url, autocommit=True) as other:
        preview.hold_pr_lock(other, 11)
        run = preview.spawn("create", *IN_REPO, "--pr", "11", TENANTGUARD_MIGRATION_LOCK_WAIT="300ms")
        _out, err = run.communicate(timeout=120)
    assert run.returncode == EXIT_FAILED
    assert f"gave up waiting for the lock of pull request 11 of repository {REPO} after 300ms" in err
    assert f"{preview.base}_pr_{REPO}_11" not in preview.databases()


def test_a_lock_wait_without_a_unit_is_refused_as_the_migrations_refuse_it(
    preview: Preview, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PostgreSQL would read a bare 5 as 5 ms; env.py refuses it, so the same variable must not mean 5 ms here.
    monkeypatch.setenv("TENANTGUARD_MIGRATION_LOCK_WAIT", "5")
    result = preview.run("create", *IN_REPO, "--pr", "1")
    assert result.code == EXIT_USAGE
    assert "TENANTGUARD_MIGRATION_LOCK_WAIT='5' has no unit" in result.stderr
    assert preview.databases() == {preview.base}


@pytest.mark.parametrize(("value", "in_force"), [("", "10min"), ("1d", "1d")], ids=["empty-is-the-default", "days"])
def test_a_lock_wait_the_migrations_accept_is_accepted_and_applied(
    preview: Preview, monkeypatch: pytest.MonkeyPatch, value: str, in_force: str
) -> None:
    monkeypatch.setenv("TENANTGUARD_MIGRATION_LOCK_WAIT", value)
    result = preview.run("create", *IN_REPO, "--pr", "1")
    assert result.code == 0, result.stderr
    with preview.server.maintenance_session() as connection:
        set_lock_wait(connection)
        assert connection.execute("SHOW lock_timeout").fetchone() == (in_force,)


@pytest.mark.parametrize("args", [("list",), ("prune", "--older-than", "7", *IN_REPO)], ids=["list", "prune"])
def test_a_malformed_lock_wait_does_not_stop_the_commands_that_take_no_lock(
    preview: Preview, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    assert preview.run("create", *IN_REPO, "--pr", "1").code == 0
    preview.backdate(f"{preview.base}_pr_{REPO}_1", days=30)
    monkeypatch.setenv("TENANTGUARD_MIGRATION_LOCK_WAIT", "5")
    result = preview.run(*args)
    assert result.code == 0, result.stderr
    assert f"{preview.base}_pr_{REPO}_1" in result.stdout


@pytest.mark.parametrize("args", [("drop", *IN_REPO, "--pr", "1"), ("template",)], ids=["drop", "template"])
def test_a_malformed_lock_wait_is_refused_by_the_other_commands_that_wait_on_a_lock(
    preview: Preview, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    assert preview.run("create", *IN_REPO, "--pr", "1").code == 0
    before = preview.databases()
    monkeypatch.setenv("TENANTGUARD_MIGRATION_LOCK_WAIT", "5")
    result = preview.run(*args)
    assert result.code == EXIT_USAGE
    assert "TENANTGUARD_MIGRATION_LOCK_WAIT='5' has no unit" in result.stderr
    assert preview.databases() == before


def test_a_malformed_lock_wait_is_refused_before_connecting(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing listens on port 1: a connection attempt would end in exit 1, "cannot connect".
    monkeypatch.setenv("CI_DB_URL", "postgresql://ci@127.0.0.1:1/tenantguard?connect_timeout=2")
    monkeypatch.setenv("TENANTGUARD_MIGRATION_LOCK_WAIT", "5")
    assert cli.main(["create", *IN_REPO, "--pr", "1"]) == EXIT_USAGE
    assert "TENANTGUARD_MIGRATION_LOCK_WAIT='5' has no unit" in capsys.readouterr().err


# --- the template ------------------------------------------------------------------------------


def test_nobody_can_connect_to_the_template(preview: Preview) -> None:
    preview.template()
    with pytest.raises(psycopg.OperationalError, match="not currently accepting connections"):
        psycopg.connect(preview.server.ci_url_for(f"{preview.base}_pr_template")).close()


def test_a_failed_template_build_keeps_the_previous_template(preview: Preview, tmp_path: Path) -> None:
    preview.template()
    main = checkout(tmp_path, "main", ("m004", "0003", "SELECT 1 / 0"))
    result = preview.run("template", "--config", str(main))
    assert result.code == EXIT_REVISIONS_FAILED
    assert f"{preview.base}_pr_template is unchanged" in result.stderr
    assert preview.meta(f"{preview.base}_pr_template").revision == "0003"
    assert preview.databases() == {preview.base, f"{preview.base}_pr_template"}
    assert preview.run("create", *IN_REPO, "--pr", "1").code == 0


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
        assert preview.run("create", *IN_REPO, "--pr", str(number)).code == 0
    result = preview.run("drop", *IN_REPO, "--pr", "1")
    assert result.code == 0, result.stderr
    assert result.stdout == f"{preview.base}_pr_{REPO}_1\n"
    assert preview.databases() == {preview.base, f"{preview.base}_pr_{REPO}_2", f"{preview.base}_pr_template"}


def test_drop_of_a_database_already_gone_succeeds(preview: Preview) -> None:
    result = preview.run("drop", *IN_REPO, "--pr", "404")
    assert result.code == 0
    assert result.stdout == ""
    assert "does not exist; nothing to drop" in result.stderr


def test_drop_ends_the_preview_apps_sessions(preview: Preview) -> None:
    deployment = preview.create(1)
    with psycopg.connect(deployment) as app, psycopg.connect(preview.ci_url(1)) as inspecting:
        assert preview.run("drop", *IN_REPO, "--pr", "1").code == 0
        for session in (app, inspecting):
            with pytest.raises(psycopg.OperationalError):
                session.execute("SELECT 1")
    assert f"{preview.base}_pr_{REPO}_1" not in preview.databases()


def test_drop_removes_the_prs_role(preview: Preview) -> None:
    deployment = preview.create(1)
    preview.create(2)
    result = preview.run("drop", *IN_REPO, "--pr", "1")
    assert result.code == 0, result.stderr
    assert f"role {preview.base}_pr_{REPO}_1 dropped" in result.stderr
    assert preview.roles() == {f"{preview.base}_pr_{REPO}_2"}
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(deployment, dbname=preview.base).close()


def test_a_database_this_command_did_not_create_is_never_migrated_or_dropped(preview: Preview) -> None:
    foreign = f"{preview.base}_pr_{REPO}_7"
    preview.admin.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(foreign), sql.Identifier(ROLE)))
    for args in (("create", *IN_REPO, "--pr", "7"), ("drop", *IN_REPO, "--pr", "7")):
        result = preview.run(*args)
        assert result.code == EXIT_FAILED
        assert f"database {foreign} exists but was not created by this command" in result.stderr
    assert preview.revision(foreign) is None
    assert foreign in preview.databases()


def test_list_shows_each_pr_database_with_its_age_and_revision(preview: Preview, tmp_path: Path) -> None:
    preview.template()
    pr = checkout(tmp_path, "a", ("a004", "0003", "SELECT 1"))
    assert preview.run("create", *IN_REPO, "--pr", "2", "--config", str(pr)).code == 0
    assert preview.run("create", *IN_REPO, "--pr", "10").code == 0
    preview.backdate(f"{preview.base}_pr_{REPO}_2", days=3)
    result = preview.run("list", "--json")
    assert result.code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["template"]["revision"] == "0003"
    rows = {row["pr"]: row for row in document["databases"]}
    assert sorted(rows) == [2, 10]
    assert rows[2]["revision"] == "a004"
    assert rows[10]["revision"] == "0003"
    assert [rows[2]["role"], rows[10]["role"]] == [f"{preview.base}_pr_{REPO}_2", f"{preview.base}_pr_{REPO}_10"]
    assert document["orphaned_roles"] == []
    assert 2.99 < rows[2]["age_days"] < 3.01
    assert rows[10]["age_days"] < 0.01
    table = preview.run("list").stdout.splitlines()
    assert table[0].split() == [
        "database",
        "repository",
        "pr",
        "revision",
        "created",
        "(UTC)",
        "age",
        "days",
        "idle",
        "days",
    ]
    assert [line.split()[:4] for line in table[1:]] == [
        [f"{preview.base}_pr_{REPO}_2", str(REPO), "2", "a004"],
        [f"{preview.base}_pr_{REPO}_10", str(REPO), "10", "0003"],
        [f"{preview.base}_pr_template", "-", "template", "0003"],
    ]


def test_prune_drops_only_our_pr_databases_idle_longer_than_the_limit(preview: Preview) -> None:
    for number in (1, 2, 3):
        assert preview.run("create", *IN_REPO, "--pr", str(number)).code == 0
    preview.backdate(f"{preview.base}_pr_{REPO}_1", days=30)
    preview.backdate(f"{preview.base}_pr_{REPO}_3", days=30)
    preview.backdate(f"{preview.base}_pr_{REPO}_2", days=2)
    # Not ours: a look-alike without our comment, and another base's pull-request database.
    for name in (f"{preview.base}_pr_{REPO}_9", f"{preview.base}_other", f"{preview.base}x_pr_1"):
        preview.admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    with psycopg.connect(preview.url, autocommit=True) as busy:
        # Pull request 3 is being created or migrated right now.
        preview.hold_pr_lock(busy, 3)
        result = preview.run("prune", "--older-than", "7", *IN_REPO)
    assert result.code == 0, result.stderr
    assert result.stdout == f"{preview.base}_pr_{REPO}_1\n"
    assert f"{preview.base}_pr_{REPO}_3 is being created or migrated right now; kept" in result.stderr
    assert preview.databases() == {
        preview.base,
        f"{preview.base}_pr_{REPO}_2",
        f"{preview.base}_pr_{REPO}_3",
        f"{preview.base}_pr_{REPO}_9",
        f"{preview.base}_other",
        f"{preview.base}x_pr_1",
    }


def test_prune_dry_run_names_what_it_would_drop_and_drops_nothing(preview: Preview) -> None:
    assert preview.run("create", *IN_REPO, "--pr", "1").code == 0
    preview.backdate(f"{preview.base}_pr_{REPO}_1", days=30)
    result = preview.run("prune", "--older-than", "7", *IN_REPO, "--dry-run")
    assert result.code == 0
    # Not the bare name a real prune prints for a database it dropped: a script reading stdout can tell.
    assert result.stdout == f"would-drop {preview.base}_pr_{REPO}_1\n"
    assert "dry run: nothing was dropped" in result.stderr
    assert f"{preview.base}_pr_{REPO}_1" in preview.databases()


# --- repositories sharing one server (tenantguard and tenantguard-worker get the same CI_DB_URL) ----------


def legacy_pr(preview: Preview, number: int, days_idle: int) -> str:
    """A database and role as the version before repository ids named them: <base>_pr_<N>, whose comments have
    no repository key at all."""
    name = f"{preview.base}_pr_{number}"
    idle = (utc_now() - datetime.timedelta(days=days_idle)).isoformat()
    comment = {"tenantguard_preview": "pr", "base": preview.base, "pr": number, "created_at": idle}
    comment |= {"migrated_at": idle, "revision": None, "fingerprint": None}
    role = {"tenantguard_preview": "role", "base": preview.base, "pr": number, "created_at": idle}
    role |= {"migrated_at": None, "revision": None, "fingerprint": None}
    identifier = sql.Identifier(name)
    preview.admin.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(identifier, sql.Identifier(ROLE)))
    preview.admin.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(identifier, sql.Literal(json.dumps(comment))))
    preview.admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(identifier))
    preview.admin.execute(sql.SQL("COMMENT ON ROLE {} IS {}").format(identifier, sql.Literal(json.dumps(role))))
    preview.admin.execute(sql.SQL("GRANT {} TO {}").format(identifier, sql.Identifier(ROLE)))
    return name


def test_two_repositories_with_the_same_pr_number_get_separate_databases_and_roles(preview: Preview) -> None:
    mine = preview.create(5)
    theirs = preview.create(5, repository=OTHER_REPO)
    names = {f"{preview.base}_pr_{REPO}_5", f"{preview.base}_pr_{OTHER_REPO}_5"}
    assert preview.databases() == {preview.base, *names}
    assert preview.roles() == names
    with psycopg.connect(mine, autocommit=True) as app:
        assert app.execute("SELECT current_user, current_database()").fetchone() == (f"{preview.base}_pr_{REPO}_5",) * 2
        app.execute("INSERT INTO tenants (slug, name) VALUES ('mine', 'Only in mine')")
    with psycopg.connect(theirs) as app:
        row = app.execute("SELECT current_user, current_database()").fetchone()
        assert row == (f"{preview.base}_pr_{OTHER_REPO}_5",) * 2
        assert app.execute("SELECT count(*) FROM tenants").fetchone() == (0,)
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        psycopg.connect(mine, dbname=f"{preview.base}_pr_{OTHER_REPO}_5").close()


def test_creating_one_repositorys_pr_keeps_the_other_repositorys_password_and_sessions(preview: Preview) -> None:
    mine = preview.create(5)
    with psycopg.connect(mine, autocommit=True) as app:
        preview.create(5, repository=OTHER_REPO)
        assert app.execute("SELECT 1").fetchone() == (1,)
    with psycopg.connect(mine) as again:
        assert again.execute("SELECT current_user").fetchone() == (f"{preview.base}_pr_{REPO}_5",)


def test_dropping_one_repositorys_pr_leaves_the_other_repositorys_database_and_role(preview: Preview) -> None:
    preview.create(5)
    theirs = preview.create(5, repository=OTHER_REPO)
    result = preview.run("drop", *IN_REPO, "--pr", "5")
    assert result.code == 0, result.stderr
    assert result.stdout == f"{preview.base}_pr_{REPO}_5\n"
    assert preview.databases() == {preview.base, f"{preview.base}_pr_{OTHER_REPO}_5"}
    assert preview.roles() == {f"{preview.base}_pr_{OTHER_REPO}_5"}
    with psycopg.connect(theirs) as app:
        assert app.execute("SELECT 1").fetchone() == (1,)


def test_pruning_one_repository_leaves_the_other_repositorys_databases_and_roles(preview: Preview) -> None:
    for number in (5, 6):
        preview.create(number)
        preview.create(number, repository=OTHER_REPO)
        preview.backdate(f"{preview.base}_pr_{REPO}_{number}", days=30)
        preview.backdate(f"{preview.base}_pr_{OTHER_REPO}_{number}", days=30)
    # The other repository's pull request 6 lost its database by hand: its role looks orphaned, but is not ours.
    theirs = sql.Identifier(f"{preview.base}_pr_{OTHER_REPO}_6")
    preview.admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(theirs))
    result = preview.run("prune", "--older-than", "7", *IN_REPO)
    assert result.code == 0, result.stderr
    assert result.stdout == f"{preview.base}_pr_{REPO}_5\n{preview.base}_pr_{REPO}_6\n"
    assert preview.databases() == {preview.base, f"{preview.base}_pr_{OTHER_REPO}_5"}
    assert preview.roles() == {f"{preview.base}_pr_{OTHER_REPO}_5", f"{preview.base}_pr_{OTHER_REPO}_6"}


def test_list_shows_each_databases_repository_and_keeps_to_the_one_asked_for(preview: Preview) -> None:
    preview.create(5)
    preview.create(5, repository=OTHER_REPO)
    every = json.loads(preview.run("list", "--json").stdout)
    assert [(row["repository"], row["pr"], row["role"]) for row in every["databases"]] == [
        (REPO, 5, f"{preview.base}_pr_{REPO}_5"),
        (OTHER_REPO, 5, f"{preview.base}_pr_{OTHER_REPO}_5"),
    ]
    mine = json.loads(preview.run("list", "--json", *IN_OTHER_REPO).stdout)
    assert [row["database"] for row in mine["databases"]] == [f"{preview.base}_pr_{OTHER_REPO}_5"]


@pytest.mark.parametrize(
    "value",
    ["0", "-1", "+1", "01", "1.0", "1e3", " 1", "١٢", "0x10", str(2**63), "", "1; DROP DATABASE x", "1_5"],
)
def test_repository_ids_other_than_plain_positive_int64s_are_refused_naming_the_argument_and_change_nothing(
    preview: Preview, value: str
) -> None:
    for args in (
        ("create", "--repository-id", value, "--pr", "5"),
        ("drop", "--repository-id", value, "--pr", "5"),
        ("prune", "--older-than", "1", "--repository-id", value),
        ("list", "--repository-id", value),
    ):
        result = preview.run(*args)
        assert result.code == EXIT_USAGE
        assert "argument --repository-id: takes the repository's numeric GitHub id" in result.stderr
    assert preview.databases() == {preview.base}
    assert preview.roles() == set()


def test_the_largest_repository_id_is_accepted(preview: Preview) -> None:
    preview.create(MAX_PR, repository=MAX_REPOSITORY_ID)
    name = f"{preview.base}_pr_{MAX_REPOSITORY_ID}_{MAX_PR}"
    assert preview.roles() == {name}
    assert name in preview.databases()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("create", "--pr", "5"), "the following arguments are required: --repository-id"),
        (("drop", "--pr", "5"), "one of the arguments --repository-id --legacy is required"),
        (
            ("prune", "--older-than", "1"),
            "one of the arguments --repository-id --legacy --all-repositories is required",
        ),
    ],
    ids=["create", "drop", "prune"],
)
def test_changes_without_a_repository_are_refused_and_change_nothing(
    preview: Preview, args: tuple[str, ...], says: str
) -> None:
    legacy = legacy_pr(preview, 5, days_idle=30)
    result = preview.run(*args)
    assert result.code == EXIT_USAGE
    assert says in result.stderr
    assert preview.databases() == {preview.base, legacy}
    assert preview.roles() == {legacy}


def test_a_database_whose_comment_names_another_repository_is_never_migrated_or_dropped(preview: Preview) -> None:
    name = f"{preview.base}_pr_{REPO}_7"
    preview.admin.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(ROLE)))
    forged = Meta(kind="pr", base=preview.base, pr=7, repository=OTHER_REPO, created_at=utc_now())
    set_database_meta(preview.admin, name, forged)
    for args in (("create", *IN_REPO, "--pr", "7"), ("drop", *IN_REPO, "--pr", "7")):
        result = preview.run(*args)
        assert result.code == EXIT_FAILED
        assert f"database {name} exists but was not created by this command" in result.stderr
    assert name in preview.databases()
    assert preview.roles() == set()


def test_a_legacy_database_is_listed_without_a_repository_and_left_alone_by_a_repositorys_prune(
    preview: Preview,
) -> None:
    legacy = legacy_pr(preview, 5, days_idle=30)
    preview.create(5)
    listed = preview.run("list", "--json")
    assert listed.code == 0, listed.stderr
    rows = [(row["database"], row["repository"], row["role"]) for row in json.loads(listed.stdout)["databases"]]
    assert rows == [(legacy, None, legacy), (f"{preview.base}_pr_{REPO}_5", REPO, f"{preview.base}_pr_{REPO}_5")]
    assert "prune --legacy --older-than DAYS drops them once idle" in listed.stderr
    pruned = preview.run("prune", "--older-than", "7", *IN_REPO)
    assert pruned.code == 0, pruned.stderr
    assert legacy in preview.databases()
    assert legacy in preview.roles()


def test_prune_legacy_drops_only_idle_legacy_databases_and_their_roles(preview: Preview) -> None:
    idle = legacy_pr(preview, 5, days_idle=30)
    recent = legacy_pr(preview, 6, days_idle=1)
    preview.create(5)
    preview.backdate(f"{preview.base}_pr_{REPO}_5", days=30)
    result = preview.run("prune", "--older-than", "7", "--legacy")
    assert result.code == 0, result.stderr
    assert result.stdout == f"{idle}\n"
    assert preview.databases() == {preview.base, recent, f"{preview.base}_pr_{REPO}_5"}
    assert preview.roles() == {recent, f"{preview.base}_pr_{REPO}_5"}


def test_prune_legacy_keeps_one_an_older_version_is_working_on(preview: Preview) -> None:
    legacy = legacy_pr(preview, 5, days_idle=30)
    with psycopg.connect(preview.url, autocommit=True) as busy:
        # The lock the version before repository ids takes for pull request 5.
        busy.execute("SELECT pg_advisory_lock(%s::int4, %s::int4)", (PR_LOCK_NAMESPACE, 5))
        result = preview.run("prune", "--older-than", "7", "--legacy")
    assert result.code == 0, result.stderr
    assert f"{legacy} is being created or migrated right now; kept" in result.stderr
    assert legacy in preview.databases()


def test_drop_legacy_drops_that_legacy_database_and_role_only(preview: Preview) -> None:
    legacy = legacy_pr(preview, 5, days_idle=1)
    preview.create(5)
    result = preview.run("drop", "--legacy", "--pr", "5")
    assert result.code == 0, result.stderr
    assert result.stdout == f"{legacy}\n"
    assert preview.databases() == {preview.base, f"{preview.base}_pr_{REPO}_5"}
    assert preview.roles() == {f"{preview.base}_pr_{REPO}_5"}


def test_prune_all_repositories_drops_every_repositorys_and_the_legacy_idle_databases(preview: Preview) -> None:
    legacy = legacy_pr(preview, 5, days_idle=30)
    for repository in (REPO, OTHER_REPO):
        preview.create(5, repository=repository)
        preview.backdate(f"{preview.base}_pr_{repository}_5", days=30)
    result = preview.run("prune", "--older-than", "7", "--all-repositories")
    assert result.code == 0, result.stderr
    assert sorted(result.stdout.split()) == sorted(
        [legacy, f"{preview.base}_pr_{REPO}_5", f"{preview.base}_pr_{OTHER_REPO}_5"]
    )
    assert preview.databases() == {preview.base}
    assert preview.roles() == set()


# --- each pull request's own role -----------------------------------------------------------------


def test_the_deployment_url_differs_from_ci_db_url_in_user_password_and_database_only() -> None:
    url = "postgresql://ci:pw@db.internal:6432/tenantguard?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem"
    handed = conninfo_to_dict(Server.from_url(url).deployment_url(PullRequest(42, 7), "Zq-9_kP"))
    assert (handed.pop("user"), handed.pop("password"), handed.pop("dbname")) == (
        "tenantguard_pr_42_7",
        "Zq-9_kP",
        "tenantguard_pr_42_7",
    )
    assert handed == {k: v for k, v in conninfo_to_dict(url).items() if k not in ("user", "password", "dbname")}


def test_the_longest_role_name_fits_postgresql_identifiers() -> None:
    server = Server.from_url(f"postgresql://ci:pw@db.internal/{'t' * MAX_BASE_BYTES}")
    longest = PullRequest(MAX_REPOSITORY_ID, MAX_PR)
    assert len(server.pr_role(longest).encode()) == MAX_IDENTIFIER_BYTES
    assert len(server.template_build.encode()) <= MAX_IDENTIFIER_BYTES


def test_the_prs_role_logs_in_with_nothing_but_its_own_grants(preview: Preview) -> None:
    preview.create(1)
    role = f"{preview.base}_pr_{REPO}_1"
    row = preview.admin.execute(
        "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolinherit, rolreplication, rolbypassrls, "
        "rolconnlimit, shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = %s",
        (role,),
    ).fetchone()
    assert row is not None
    assert row[:8] == (True, False, False, False, False, False, False, PR_ROLE_CONNECTION_LIMIT)
    meta = Meta.parse(row[8])
    assert meta is not None
    assert (meta.kind, meta.base, meta.pr) == ("role", preview.base, 1)
    member_of = preview.admin.execute(
        "SELECT count(*) FROM pg_auth_members WHERE member = (SELECT oid FROM pg_roles WHERE rolname = %s)", (role,)
    ).fetchone()
    assert member_of == (0,)
    # And owns nothing: not its database, nothing in it.
    with psycopg.connect(preview.postgres.url(f"{preview.base}_pr_{REPO}_1")) as inside:
        owned = inside.execute(
            "SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = %s)", (role,)
        ).fetchone()
        assert owned == (0,)
    owner = preview.admin.execute(
        "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", (f"{preview.base}_pr_{REPO}_1",)
    ).fetchone()
    assert owner == (ROLE,)


def test_one_prs_deployment_cannot_connect_to_drop_or_alter_another_prs_database(preview: Preview) -> None:
    first = preview.create(1)
    second = preview.create(2)
    other = f"{preview.base}_pr_{REPO}_2"
    with pytest.raises(psycopg.OperationalError, match=f'permission denied for database "{other}"'):
        psycopg.connect(first, dbname=other).close()
    with psycopg.connect(first, autocommit=True) as pr_1:
        assert_each_refused(
            pr_1,
            (
                f"DROP DATABASE {other}",
                f"DROP DATABASE {other} WITH (FORCE)",
                f"ALTER DATABASE {other} RENAME TO stolen",
                f"ALTER DATABASE {other} OWNER TO {preview.base}_pr_{REPO}_1",
                f"ALTER DATABASE {other} WITH CONNECTION LIMIT 0",
                f"GRANT CONNECT ON DATABASE {other} TO {preview.base}_pr_{REPO}_1",
                f"ALTER ROLE {other} PASSWORD 'mine-now'",
                f"DROP ROLE {other}",
                f"GRANT {other} TO {preview.base}_pr_{REPO}_1",
                f"CREATE ROLE {preview.base}_pr_{REPO}_99 LOGIN",
                f"CREATE DATABASE {preview.base}_pr_{REPO}_99",
            ),
        )
    with psycopg.connect(second) as pr_2:
        assert pr_2.execute("SELECT current_database()").fetchone() == (other,)


def test_no_prs_deployment_can_connect_to_or_change_the_template(preview: Preview) -> None:
    preview.template()
    deployment = preview.create(1)
    template = f"{preview.base}_pr_template"
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(deployment, dbname=template).close()
    # Even with connections allowed again (only its owner, the CI role, can), the pull request's role could not.
    assert preview.admin.execute(
        "SELECT has_database_privilege(%s, %s, 'CONNECT')", (f"{preview.base}_pr_{REPO}_1", template)
    ).fetchone() == (False,)
    with psycopg.connect(deployment, autocommit=True) as pr_1:
        assert_each_refused(
            pr_1,
            (
                f"ALTER DATABASE {template} WITH ALLOW_CONNECTIONS true",
                f"ALTER DATABASE {template} WITH IS_TEMPLATE false",
                f"ALTER DATABASE {template} RENAME TO stolen",
                f"DROP DATABASE {template}",
                "CREATE TABLE planted (id int)",  # in its own database: what a clone of it would carry
            ),
        )
    preview.create(2)
    assert tables(preview.ci_url(2)) == tables(preview.ci_url(1))
    assert "planted" not in tables(preview.ci_url(2))


def said_reachable(stderr: str, role: str) -> set[str]:
    """The other databases create says `role` can connect to."""
    prefix = f"preview-db: role {role} can also connect to "
    lines = [line.removeprefix(prefix) for line in stderr.splitlines() if line.startswith(prefix)]
    return set(lines[0].partition(":")[0].split(", ")) if lines else set()


def test_the_base_database_is_closed_to_pr_roles_once_the_one_time_sql_ran(preview: Preview) -> None:
    deployment = preview.create(1)
    with pytest.raises(psycopg.OperationalError, match=f'permission denied for database "{preview.base}"'):
        psycopg.connect(deployment, dbname=preview.base).close()
    for database in SERVER_DATABASES:
        with pytest.raises(psycopg.OperationalError, match=f'permission denied for database "{database}"'):
            psycopg.connect(deployment, dbname=database).close()


def test_without_the_one_time_sql_a_prs_role_can_connect_to_the_base_database_and_create_says_so(
    preview: Preview, tmp_path: Path
) -> None:
    # PostgreSQL's default: PUBLIC, so every role, may connect to every new database.
    preview.admin.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO PUBLIC").format(sql.Identifier(preview.base)))
    assert migrate.upgrade(preview.url, "head") == "0003"
    target = tmp_path / "url"
    result = preview.run("create", *IN_REPO, "--pr", "1", "--url-to-file", str(target))
    assert result.code == 0, result.stderr
    assert preview.base in said_reachable(result.stderr, f"{preview.base}_pr_{REPO}_1")
    # Connected, but the tables are the CI role's and PUBLIC was granted none of them.
    with (
        psycopg.connect(target.read_text(), dbname=preview.base) as inside,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        inside.execute("SELECT * FROM tenants")
    preview.admin.execute(sql.SQL("REVOKE CONNECT ON DATABASE {} FROM PUBLIC").format(sql.Identifier(preview.base)))
    again = preview.run("create", *IN_REPO, "--pr", "1")
    assert preview.base not in said_reachable(again.stderr, f"{preview.base}_pr_{REPO}_1")


def test_a_prs_role_reads_and_writes_its_own_tables_including_those_of_its_later_revisions(
    preview: Preview, tmp_path: Path
) -> None:
    preview.template()
    notes = "CREATE TABLE notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body text)"
    pr = checkout(tmp_path, "a", ("a004", "0003", notes))
    deployment = preview.create(1, "--config", str(pr))
    with psycopg.connect(deployment) as app:
        app.execute("INSERT INTO tenants (slug, name) VALUES ('acme', 'Acme')")
        app.execute("UPDATE tenants SET name = 'Acme Ltd' WHERE slug = 'acme'")
        app.execute("INSERT INTO notes (body) VALUES ('from the first push')")
        assert app.execute("SELECT name FROM tenants").fetchall() == [("Acme Ltd",)]
    # The next push adds a revision creating another table, with a serial (its sequence needs USAGE).
    (pr.parent / "alembic" / "versions" / "a005_a.py").write_text(
        revision_file("a005", "a004", "CREATE TABLE labels (id serial PRIMARY KEY, name text)")
    )
    deployment = preview.create(1, "--config", str(pr))
    with psycopg.connect(deployment) as app:
        assert app.execute("INSERT INTO labels (name) VALUES ('new') RETURNING id").fetchone() == (1,)
        assert app.execute("SELECT body FROM notes").fetchall() == [("from the first push",)]
        app.execute("DELETE FROM tenants WHERE slug = 'acme'")
        assert app.execute("SELECT version_num FROM alembic_version").fetchall() == [("a005",)]


def test_a_table_the_ci_role_creates_by_hand_is_usable_by_the_prs_role_through_default_privileges(
    preview: Preview,
) -> None:
    deployment = preview.create(1)
    with psycopg.connect(preview.ci_url(1)) as ci:
        ci.execute("CREATE SCHEMA reports")
        ci.execute("CREATE TABLE reports.daily (id serial PRIMARY KEY, total int)")
    with psycopg.connect(deployment) as app:
        assert app.execute("INSERT INTO reports.daily (total) VALUES (3) RETURNING id").fetchone() == (1,)


def test_a_prs_role_can_neither_create_nor_change_the_schema_nor_move_the_recorded_revision(
    preview: Preview,
) -> None:
    deployment = preview.create(1)
    with psycopg.connect(deployment, autocommit=True) as app:
        assert_each_refused(
            app,
            (
                "CREATE TABLE planted (id int)",
                "CREATE SCHEMA planted",
                "CREATE FUNCTION public.lower(text) RETURNS text LANGUAGE sql AS 'SELECT $1'",
                "CREATE TEMPORARY TABLE scratch (id int)",
                "ALTER TABLE tenants ADD COLUMN planted int",
                "DROP TABLE tenants",
                "TRUNCATE tenants",
                "UPDATE alembic_version SET version_num = 'zzzz'",
                "DELETE FROM alembic_version",
                f"ALTER DATABASE {preview.base}_pr_{REPO}_1 OWNER TO {preview.base}_pr_{REPO}_1",
                f"ALTER ROLE {preview.base}_pr_{REPO}_1 CREATEDB",
            ),
        )
    assert preview.revision(f"{preview.base}_pr_{REPO}_1") == "0003"


def test_a_second_create_invalidates_the_previous_password_and_ends_its_sessions(preview: Preview) -> None:
    first = preview.create(1)
    with psycopg.connect(first) as old_deployment:
        second = preview.create(1)
        with pytest.raises(psycopg.OperationalError):
            old_deployment.execute("SELECT 1")
    assert conninfo_to_dict(first)["password"] != conninfo_to_dict(second)["password"]
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(first).close()
    with psycopg.connect(second) as new_deployment:
        assert new_deployment.execute("SELECT count(*) FROM tenants").fetchone() == (0,)


def test_create_without_a_destination_for_the_url_migrates_and_keeps_the_deployments_password(
    preview: Preview, tmp_path: Path
) -> None:
    first = preview.create(1)
    pr = checkout(tmp_path, "a", ("a004", "0003", "ALTER TABLE tenants ADD COLUMN plan text"))
    with psycopg.connect(first, autocommit=True) as deployment:
        result = preview.run("create", *IN_REPO, "--pr", "1", "--config", str(pr))  # as README shows it
        assert deployment.execute("SELECT 1").fetchone() == (1,)  # its session was not ended
    assert result.code == 0, result.stderr
    assert result.stdout == f"{preview.base}_pr_{REPO}_1\n"
    assert preview.revision(f"{preview.base}_pr_{REPO}_1") == "a004"
    assert "no URL handed out (neither --url-to-file PATH nor --github-output)" in result.stderr
    with psycopg.connect(first) as deployment:
        assert deployment.execute("SELECT count(plan) FROM tenants").fetchone() == (0,)


def test_the_password_reaches_the_server_only_as_a_scram_verifier(preview: Preview) -> None:
    # With every statement of the CI role logged, the log shows the ALTER ROLE but never the password.
    preview.admin.execute(sql.SQL("ALTER ROLE {} SET log_statement = 'all'").format(sql.Identifier(ROLE)))
    try:
        deployment = preview.create(1)
    finally:
        preview.admin.execute(sql.SQL("ALTER ROLE {} RESET log_statement").format(sql.Identifier(ROLE)))
    log = (preview.postgres.directory / "log").read_text(errors="replace")
    assert f'ALTER ROLE "{preview.base}_pr_{REPO}_1" PASSWORD \'SCRAM-SHA-256$' in log
    assert str(conninfo_to_dict(deployment)["password"]) not in log


def test_a_role_of_that_name_this_command_did_not_create_is_never_used_or_dropped(preview: Preview) -> None:
    foreign = f"{preview.base}_pr_{REPO}_7"
    preview.admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(foreign)))
    result = preview.run("create", *IN_REPO, "--pr", "7")
    assert result.code == EXIT_FAILED
    assert f"role {foreign} exists but was not created by this command" in result.stderr
    assert preview.databases() == {preview.base}
    result = preview.run("drop", *IN_REPO, "--pr", "7")
    assert result.code == 0, result.stderr
    assert f"role {foreign} exists but was not created by this command" in result.stderr
    assert foreign in preview.roles()


def test_a_prs_role_given_more_by_hand_gets_no_url(preview: Preview, tmp_path: Path) -> None:
    preview.create(1)
    preview.admin.execute(sql.SQL("GRANT pg_read_all_data TO {}").format(sql.Identifier(f"{preview.base}_pr_{REPO}_1")))
    target = tmp_path / "not-written"
    result = preview.run("create", *IN_REPO, "--pr", "1", "--url-to-file", str(target))
    assert result.code == EXIT_FAILED
    assert f"role {preview.base}_pr_{REPO}_1 holds membership in pg_read_all_data" in result.stderr
    assert not target.exists()


def test_a_prs_role_that_could_create_objects_gets_no_url(preview: Preview, tmp_path: Path) -> None:
    # What PostgreSQL 14 and older do in schema public by default: PUBLIC may create there.
    preview.create(1)
    with psycopg.connect(preview.postgres.url(f"{preview.base}_pr_{REPO}_1"), autocommit=True) as superuser:
        superuser.execute("CREATE SCHEMA shared")
        superuser.execute("GRANT CREATE ON SCHEMA shared TO PUBLIC")
    target = tmp_path / "not-written"
    result = preview.run("create", *IN_REPO, "--pr", "1", "--url-to-file", str(target))
    assert result.code == EXIT_FAILED
    assert (
        f"role {preview.base}_pr_{REPO}_1 could create objects in shared of {preview.base}_pr_{REPO}_1" in result.stderr
    )
    assert "REVOKE CREATE ON SCHEMA public FROM PUBLIC;" in result.stderr
    assert not target.exists()


def test_createrole_before_postgresql_16_is_said_to_reach_further(preview: Preview) -> None:
    result = preview.run("create", *IN_REPO, "--pr", "1")
    assert result.code == 0, result.stderr
    said = f"CREATEROLE lets role {ROLE} grant itself almost any privilege on this server" in result.stderr
    assert said == (preview.admin.info.server_version < 160000)


def test_a_database_made_before_prs_had_roles_gets_its_role_and_is_closed_to_public(preview: Preview) -> None:
    name = f"{preview.base}_pr_{REPO}_1"
    preview.admin.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(ROLE)))
    set_database_meta(
        preview.admin, name, Meta(kind="pr", base=preview.base, pr=1, repository=REPO, created_at=utc_now())
    )
    preview.admin.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO PUBLIC").format(sql.Identifier(name)))
    deployment = preview.create(1)
    with psycopg.connect(deployment) as app:
        assert app.execute("SELECT current_user").fetchone() == (name,)
    assert preview.admin.execute("SELECT has_database_privilege('public', %s, 'CONNECT')", (name,)).fetchone() == (
        False,
    )


def test_list_and_prune_find_roles_whose_database_is_gone_and_prune_drops_them(preview: Preview) -> None:
    for number in (1, 2, 3):
        preview.create(number)
    preview.backdate(f"{preview.base}_pr_{REPO}_1", days=30)
    # Dropped by hand: its role stays behind, since roles belong to the whole server.
    preview.admin.execute(
        sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(f"{preview.base}_pr_{REPO}_2"))
    )
    preview.admin.execute(sql.SQL("CREATE ROLE {}").format(sql.Identifier(f"{preview.base}_pr_{REPO}_9")))  # not ours
    listed = preview.run("list", "--json")
    assert listed.code == 0, listed.stderr
    assert [row["role"] for row in json.loads(listed.stdout)["orphaned_roles"]] == [f"{preview.base}_pr_{REPO}_2"]
    assert f"role {preview.base}_pr_{REPO}_2 has no database any more; prune drops it" in listed.stderr
    assert f"role {preview.base}_pr_{REPO}_9 looks like a pull request's role but carries no" in listed.stderr
    dry = preview.run("prune", "--older-than", "7", *IN_REPO, "--dry-run")
    assert f"would drop role {preview.base}_pr_{REPO}_2 (its database is gone)" in dry.stderr
    assert preview.roles() == {f"{preview.base}_pr_{REPO}_{number}" for number in (1, 2, 3, 9)}
    with psycopg.connect(preview.url, autocommit=True) as busy:
        # Pull request 2 is being created right now: between its role and its database.
        preview.hold_pr_lock(busy, 2)
        kept = preview.run("prune", "--older-than", "7", *IN_REPO)
    assert kept.code == 0, kept.stderr
    assert f"role {preview.base}_pr_{REPO}_2: its pull request is being created right now; kept" in kept.stderr
    assert preview.roles() == {f"{preview.base}_pr_{REPO}_{number}" for number in (2, 3, 9)}
    result = preview.run("prune", "--older-than", "7", *IN_REPO)
    assert result.code == 0, result.stderr
    assert result.stdout == ""
    assert f"role {preview.base}_pr_{REPO}_2 dropped: its database is gone" in result.stderr
    assert preview.roles() == {f"{preview.base}_pr_{REPO}_3", f"{preview.base}_pr_{REPO}_9"}


def test_prune_drops_the_role_of_each_database_it_drops(preview: Preview) -> None:
    deployment = preview.create(1)
    preview.backdate(f"{preview.base}_pr_{REPO}_1", days=30)
    with psycopg.connect(deployment) as app:
        result = preview.run("prune", "--older-than", "7", *IN_REPO)
        with pytest.raises(psycopg.OperationalError):
            app.execute("SELECT 1")
    assert result.stdout == f"{preview.base}_pr_{REPO}_1\n"
    assert f"role {preview.base}_pr_{REPO}_1 dropped" in result.stderr
    assert preview.roles() == set()


# --- privileges and limits ---------------------------------------------------------------------


def login_role(preview: Preview, role: str, *options: str) -> str:
    """A role with the given options that can connect to the base database; its URL there."""
    password = secrets.token_hex(12)
    preview.admin.execute(
        sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} " + " ".join(options)).format(
            sql.Identifier(role), sql.Literal(password)
        )
    )
    preview.admin.execute(
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(preview.base), sql.Identifier(role))
    )
    return f"postgresql://{role}:{password}@127.0.0.1:{preview.postgres.port}/{preview.base}"


def test_a_role_without_createdb_is_told_which_privilege_and_where_the_sql_is(
    preview: Preview, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI_DB_URL", login_role(preview, f"{preview.base}_nocreatedb", "NOCREATEDB"))
    for args in (("create", *IN_REPO, "--pr", "1"), ("template",)):
        result = preview.run(*args)
        assert result.code == EXIT_FAILED
        assert "lacks the CREATEDB privilege" in result.stderr
        assert f'ALTER ROLE "{preview.base}_nocreatedb" CREATEDB;' in result.stderr
        assert "workorders/WO-ci-secrets.md" in result.stderr
    assert preview.databases() == {preview.base}


def test_a_role_without_createrole_is_told_which_privilege_and_where_the_sql_is(
    preview: Preview, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI_DB_URL", login_role(preview, f"{preview.base}_nocreaterole", "CREATEDB"))
    result = preview.run("create", *IN_REPO, "--pr", "1")
    assert result.code == EXIT_FAILED
    assert "lacks the CREATEROLE privilege (which each pull request's own login role needs)" in result.stderr
    assert f'ALTER ROLE "{preview.base}_nocreaterole" CREATEROLE;' in result.stderr
    assert "CREATEDB privilege" not in result.stderr
    assert "workorders/WO-ci-secrets.md" in result.stderr
    assert preview.databases() == {preview.base}
    assert preview.roles() == {f"{preview.base}_nocreaterole"}


def test_drop_without_createrole_says_so_and_drops_nothing(preview: Preview, monkeypatch: pytest.MonkeyPatch) -> None:
    preview.create(1)
    monkeypatch.setenv("CI_DB_URL", login_role(preview, f"{preview.base}_nocreaterole", "CREATEDB"))
    for args in (("drop", *IN_REPO, "--pr", "1"), ("prune", "--older-than", "1", *IN_REPO)):
        preview.backdate(f"{preview.base}_pr_{REPO}_1", days=30)
        result = preview.run(*args)
        assert result.code == EXIT_FAILED
        assert "lacks the CREATEROLE privilege" in result.stderr
    assert f"{preview.base}_pr_{REPO}_1" in preview.databases()
    assert f"{preview.base}_pr_{REPO}_1" in preview.roles()


def test_a_role_that_does_not_own_the_database_is_told_why_drop_failed(preview: Preview) -> None:
    assert preview.run("create", *IN_REPO, "--pr", "1").code == 0
    preview.admin.execute(
        sql.SQL("ALTER DATABASE {} OWNER TO tenantguard").format(sql.Identifier(f"{preview.base}_pr_{REPO}_1"))
    )
    result = preview.run("drop", *IN_REPO, "--pr", "1")
    assert result.code == EXIT_FAILED
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
    url = login_role(preview, f"{preview.base}_limited", "CREATEDB", "CREATEROLE", "CONNECTION LIMIT 1")
    monkeypatch.setenv("CI_DB_URL", url)
    with sessions(url, held):
        result = preview.run("create", *IN_REPO, "--pr", "1")
    assert result.code == EXIT_FAILED
    assert "too many connections" in result.stderr
    assert "A connection limit is reached" in result.stderr
    assert "each run needs two connections at once" in result.stderr


# --- the new database's URL, and secrecy ------------------------------------------------------


def test_the_url_file_is_private_and_opens_the_new_database_as_the_prs_role(preview: Preview, tmp_path: Path) -> None:
    target = tmp_path / "pr-db-url"
    result = preview.run("create", *IN_REPO, "--pr", "4", "--url-to-file", str(target))
    assert result.code == 0, result.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with psycopg.connect(target.read_text()) as connection:
        assert connection.execute("SELECT current_database(), current_user").fetchone() == (
            f"{preview.base}_pr_{REPO}_4",
            f"{preview.base}_pr_{REPO}_4",
        )
    password = str(conninfo_to_dict(target.read_text())["password"])
    assert len(password) >= 40
    for secret in (FAKE_PASSWORD, password):
        assert secret not in result.stdout + result.stderr


def test_the_url_file_is_never_written_through_a_symlink(preview: Preview, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("untouched")
    (tmp_path / "pr-db-url").symlink_to(elsewhere)
    result = preview.run("create", *IN_REPO, "--pr", "4", "--url-to-file", str(tmp_path / "pr-db-url"))
    assert result.code == EXIT_USAGE
    assert "not a symlink" in result.stderr
    assert elsewhere.read_text() == "untouched"
    assert preview.databases() == {preview.base}


def test_github_output_masks_the_url_and_password_before_writing_them(
    preview: Preview, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "github_output"
    output.write_text("earlier=kept\n")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    result = preview.run("create", *IN_REPO, "--pr", "4", "--github-output")
    assert result.code == 0, result.stderr
    written = output.read_text()
    url = written.rpartition("url=")[2].removesuffix("\n")
    handed = conninfo_to_dict(url)
    assert (handed["user"], handed["dbname"]) == (f"{preview.base}_pr_{REPO}_4", f"{preview.base}_pr_{REPO}_4")
    password = str(handed["password"])
    lines = result.stderr.splitlines()
    masks = [line.removeprefix("::add-mask::") for line in lines if line.startswith("::add-mask::")]
    # The deployment's URL and password, then CI_DB_URL's password (it never leaves, but no log may show it).
    values = (url, password, FAKE_PASSWORD, quote(FAKE_PASSWORD, safe=""))
    escaped = [value.replace("%", "%25") for value in values]
    assert masks == escaped
    assert all(line.startswith("::add-mask::") for line in lines[: len(masks)])  # before anything else
    assert written == f"earlier=kept\ndatabase={preview.base}_pr_{REPO}_4\nurl={url}\n"
    assert result.stdout == f"{preview.base}_pr_{REPO}_4\n"
    unmasked = "\n".join(line for line in lines if not line.startswith("::add-mask::"))
    assert FAKE_PASSWORD not in unmasked
    assert password not in unmasked


def test_github_output_outside_github_actions_is_refused_before_anything_is_created(preview: Preview) -> None:
    result = preview.run("create", *IN_REPO, "--pr", "4", "--github-output")
    assert result.code == EXIT_USAGE
    assert "--github-output needs GITHUB_OUTPUT" in result.stderr
    assert preview.databases() == {preview.base}


def test_no_output_shows_the_password(preview: Preview, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = checkout(tmp_path, "a", ("a004", "0003", "SELECT 1 / 0"))
    handed = tmp_path / "pr-1-url"
    texts = []
    for args in (
        ("template",),
        ("create", *IN_REPO, "--pr", "1", "--url-to-file", str(handed)),
        ("create", *IN_REPO, "--pr", "2", "--config", str(broken)),
        ("list",),
        ("list", "--json"),
        ("prune", "--older-than", "1", *IN_REPO),
        ("drop", *IN_REPO, "--pr", "1"),
    ):
        result = preview.run(*args)
        texts.append(result.stdout + result.stderr)
    wrong = "Wr0ngPassw0rdZ"
    monkeypatch.setenv("CI_DB_URL", preview.url.replace(quote(FAKE_PASSWORD, safe=""), wrong))
    result = preview.run("create", *IN_REPO, "--pr", "1")
    assert result.code == EXIT_FAILED
    assert "password authentication failed" in result.stderr
    texts.append(result.stdout + result.stderr)
    role_password = str(conninfo_to_dict(handed.read_text())["password"])
    for text in texts:
        assert FAKE_PASSWORD not in text
        assert quote(FAKE_PASSWORD, safe="") not in text
        assert wrong not in text
        assert role_password not in text


def test_the_work_order_holds_the_section_and_sql_the_messages_point_to() -> None:
    work_order = (ROOT / "workorders" / "WO-ci-secrets.md").read_text()
    assert "\n## Preview databases per pull request\n" in work_order
    assert WORK_ORDER == 'workorders/WO-ci-secrets.md, section "Preview databases per pull request"'
    assert "ALTER ROLE ci CREATEDB;" in work_order
    assert "ALTER ROLE ci CREATEROLE;" in work_order
    assert "REVOKE CONNECT ON DATABASE tenantguard FROM PUBLIC;" in work_order
