"""The preview command as its tests run it: a base database of the test's own as CI_DB_URL, the command in this
process or as the workflow runs it, and what to look at afterwards."""

from __future__ import annotations

import datetime
import io
import itertools
import json
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from tenantguard_db import migrate
from tenantguard_db.local_postgres import LocalPostgres
from tenantguard_db.preview_db import cli
from tenantguard_db.preview_db.locks import advisory_lock_arguments, pr_lock_keys
from tenantguard_db.preview_db.metadata import Meta, set_database_meta, utc_now
from tenantguard_db.preview_db.names import PullRequest
from tenantguard_db.preview_db.revisions import Revisions
from tenantguard_db.preview_db.server import Connection, Server
from tenantguard_db.revision_files import checkout, python_revision_file
from tests.alembic_cli import ROOT

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
_files = itertools.count(1)


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

    def inside(self, number: int, repository: int = REPO) -> str:
        """A superuser's URL for the pull request's database, for looking inside (the CI role never reads what is in
        there)."""
        return self.postgres.url(self.server.pr_name(PullRequest(repository, number)))

    def hold_pr_lock(self, connection: Connection, number: int) -> None:
        """Take the lock a run for that pull request of REPO holds, as if one were running."""
        keys = pr_lock_keys(self.server, PullRequest(REPO, number))
        connection.execute(sql.SQL("SELECT pg_advisory_lock({})").format(advisory_lock_arguments(keys)), keys)

    def revision(self, database: str) -> str | None:
        """The revision the database is at, as a superuser reads it."""
        return migrate.current_revision(self.postgres.url(database))

    def owner(self, database: str) -> str:
        row = self.admin.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", (database,))
        return str(row.fetchone()[0])  # type: ignore[index]

    def meta(self, database: str) -> Meta:
        """What the command records of `database`: in the comment of the pull request's role that owns it, or of the
        database itself (the template; a database the CI role owned)."""
        owned_by_its_role = self.owner(database) == database
        catalog = "pg_roles WHERE rolname" if owned_by_its_role else "pg_database WHERE datname"
        kind = "pg_authid" if owned_by_its_role else "pg_database"
        row = self.admin.execute(
            f"SELECT shobj_description(oid, '{kind}') FROM {catalog} = %s",  # noqa: S608 - two fixed spellings
            (database,),
        ).fetchone()
        meta = Meta.parse(row[0] if row else None)
        assert meta is not None
        return meta

    def backdate(self, database: str, days: int) -> None:
        """Pretend the database was created and last migrated `days` ago."""
        meta = self.meta(database)
        earlier = datetime.timedelta(days=days)
        older = replace(meta, created_at=meta.created_at - earlier, migrated_at=meta.last_used - earlier)
        if self.owner(database) == database:
            self.admin.execute(
                sql.SQL("COMMENT ON ROLE {} IS {}").format(sql.Identifier(database), sql.Literal(older.comment()))
            )
        else:
            set_database_meta(self.admin, database, older)

    def template(self, ini: Path = migrate.ALEMBIC_INI) -> None:
        result = self.run("template", "--config", str(ini))
        assert result.code == 0, result.stderr


# What one pull request's role can do in its own database that names another pull request's role: each leaves a
# dependency (pg_shdepend) in that database which DROP ROLE of the other refuses to pass.
GRANTS_TO_ANOTHER_PRS_ROLE = {
    "default-privileges": ("ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO {victim}",),
    "large-object": (
        "DO $$ BEGIN EXECUTE format('GRANT SELECT ON LARGE OBJECT %s TO {victim}', lo_create(0)); END $$",
    ),
    "table": ("GRANT SELECT ON tenants TO {victim}",),
    "database": ("GRANT CONNECT ON DATABASE {own} TO {victim}",),
}


def grant_to_another_prs_role(deployment: str, statements: tuple[str, ...], victim: str) -> None:
    """As the pull request whose URL `deployment` is, run `statements` naming the role `victim` (and `own`, its
    database)."""
    with psycopg.connect(deployment, autocommit=True) as hostile:
        own = str(hostile.info.dbname)
        for statement in statements:
            hostile.execute(statement.format(victim=f'"{victim}"', own=f'"{own}"'))


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
    # As that version did it: the CI role creates both, and makes itself a member of the role.
    with psycopg.connect(preview.url, autocommit=True) as ci:
        ci.execute(sql.SQL("CREATE DATABASE {}").format(identifier))
        ci.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(identifier, sql.Literal(json.dumps(comment))))
        ci.execute(sql.SQL("CREATE ROLE {} LOGIN").format(identifier))
        ci.execute(sql.SQL("COMMENT ON ROLE {} IS {}").format(identifier, sql.Literal(json.dumps(role))))
        ci.execute(sql.SQL("GRANT {} TO CURRENT_USER").format(identifier))
    return name


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


def python_checkout(directory: Path, label: str, *revisions: tuple[str, str, str]) -> Path:
    """A checkout as revision_files.checkout makes one, whose own revisions (revision, down, Python) run any Python
    in their upgrade(), as a pull request's revision file may; returns its alembic.ini."""
    ini = checkout(directory, label)
    for revision, down, body in revisions:
        (ini.parent / "alembic" / "versions" / f"{revision}_{label}.py").write_text(
            python_revision_file(revision, down, body)
        )
    return ini


def made_by_the_ci_role(preview: Preview, name: str, meta: Meta) -> None:
    """A database `name` as the version before this one left it: created, owned and migrated to head by the CI role
    itself (everything in it the CI role's), with `meta` as its comment."""
    with psycopg.connect(preview.url, autocommit=True) as ci:
        ci.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        ci.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(name)))
        set_database_meta(ci, name, meta)
    migrate.upgrade(preview.server.ci_url_for(name), "head")


def old_pr(preview: Preview, number: int, repository: int = REPO) -> str:
    """A pull request's database and role as the version where the CI role owned every database left them: the
    database the CI role's, the role created by it, member of nothing, granted to the CI role, CONNECT only."""
    name = preview.server.pr_name(PullRequest(repository, number))
    at = utc_now()
    made_by_the_ci_role(
        preview, name, Meta(kind="pr", base=preview.base, pr=number, repository=repository, created_at=at)
    )
    role = Meta(kind="role", base=preview.base, pr=number, repository=repository, created_at=at)
    with psycopg.connect(preview.url, autocommit=True) as ci:
        identifier = sql.Identifier(name)
        ci.execute(sql.SQL("CREATE ROLE {} LOGIN NOINHERIT CONNECTION LIMIT 10 PASSWORD NULL").format(identifier))
        ci.execute(sql.SQL("COMMENT ON ROLE {} IS {}").format(identifier, sql.Literal(role.comment())))
        ci.execute(sql.SQL("GRANT {} TO CURRENT_USER").format(identifier))
        ci.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(identifier, identifier))
    return name


def old_template(preview: Preview) -> str:
    """The template as the version where the CI role owned it left it: built by the CI role at this checkout's head,
    everything in it the CI role's, closed to every connection."""
    name = preview.server.template
    revisions = Revisions.load(migrate.ALEMBIC_INI)
    at = utc_now()
    meta = Meta(kind="template", base=preview.base, created_at=at, migrated_at=at, revision=revisions.head)
    made_by_the_ci_role(preview, name, replace(meta, fingerprint=revisions.fingerprint(revisions.head)))
    with psycopg.connect(preview.url, autocommit=True) as ci:
        ci.execute(
            sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false").format(sql.Identifier(name))
        )
    return name
