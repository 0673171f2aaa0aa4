"""A stack's database as `databaseCredentials: provided` leaves it, for the runbooks' SQL: a CI login that owns what
its migrations made and an app login with grants on it, both reaching the database through PUBLIC's CONNECT, as a
team that typed the URLs set them up; and the page's shell lines run as an operator's bash runs them."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from tenantguard_db import migrate
from tenantguard_db.local_postgres import LocalPostgres

OLD = {"app": "tenantguard_app", "ci": "tenantguard_ci"}
"""The logins of today's databaseUrl and ciDbUrl, as the runbooks name them."""


@dataclass
class Provided:
    postgres: LocalPostgres
    database: str
    passwords: dict[str, str]

    def url(self, login: str, password: str) -> str:
        return f"postgresql://{login}:{password}@127.0.0.1:{self.postgres.port}/{self.database}"

    def old_url(self, which: str) -> str:
        return self.url(OLD[which], self.passwords[OLD[which]])

    def master_url(self) -> str:
        return self.postgres.url(self.database)

    def to_server(self, url: str) -> str:
        """A URL of the page (db.staging.internal:5432/tenantguard?sslmode=...) pointed at the test's database."""
        parts = urlsplit(url)
        netloc = parts.netloc.rsplit("@", 1)[0] + f"@127.0.0.1:{self.postgres.port}"
        return urlunsplit((parts.scheme, netloc, f"/{self.database}", "", ""))


def drop_everything(postgres: LocalPostgres, database: str, roles_like: tuple[str, ...]) -> None:
    """The database and every role whose name starts with one of `roles_like`, members before their groups."""
    with psycopg.connect(postgres.url("postgres"), autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
        names = [
            str(name)
            for prefix in roles_like
            for (name,) in connection.execute(
                "SELECT rolname FROM pg_roles WHERE starts_with(rolname, %s)", (prefix,)
            ).fetchall()
        ]
        for name in sorted(set(names), key=len, reverse=True):
            connection.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
            connection.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))
        connection.execute("GRANT CONNECT ON DATABASE postgres, template1 TO PUBLIC")


def make_provided(
    postgres: LocalPostgres, database: str, passwords: dict[str, str], owner: str | None = None
) -> Provided:
    """The old logins, the database (owned by `owner`, or the server's superuser), migrated to head by the CI login."""
    ident = sql.Identifier
    with psycopg.connect(postgres.url("postgres"), autocommit=True) as superuser:
        for name in OLD.values():
            superuser.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(ident(name), sql.Literal(passwords[name]))
            )
        create = sql.SQL("CREATE DATABASE {}").format(ident(database))
        if owner is not None:
            create += sql.SQL(" OWNER {}").format(ident(owner))
        superuser.execute(create)
    with psycopg.connect(postgres.url(database), autocommit=True) as superuser:
        superuser.execute(sql.SQL("GRANT CREATE ON SCHEMA public TO {}").format(ident(OLD["ci"])))
    world = Provided(postgres, database, passwords)
    migrate.upgrade(world.old_url("ci"), migrate.head_revision())
    with psycopg.connect(world.old_url("ci"), autocommit=True) as ci:
        app = ident(OLD["app"])
        ci.execute(sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(app))
        ci.execute(sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(app))
    return world


def bash(script: str, environment: dict[str, str], stdin: str | None = None) -> str:
    """Lines of a page, run by bash with `environment` (PATH added) and `stdin`; fails the test on an error."""
    result = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + script],
        input=stdin,
        env={"PATH": os.environ["PATH"], **environment},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def who(url: str) -> tuple[object, ...] | None:
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as connection:
        return connection.execute("SELECT session_user, current_user").fetchone()
