"""A generated stack's roles on the test's PostgreSQL, made by the SQL tools/role_sql.py renders from the privilege
table, as a non-superuser administrator (CREATEDB, CREATEROLE, owner of the database: a managed service's admin)."""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass

import psycopg
from psycopg import sql

from infra.tables.database_roles import MAINTENANCE_DATABASES, SLOTS, active_slot
from infra.tables.tiers import Tier
from tenantguard_db.local_postgres import LocalPostgres
from tools.role_sql import Password, Roles, passwords, urls

ADMIN = "tg_test_admin"
ADMIN_PASSWORD = secrets.token_hex(12)
_stacks = itertools.count(1)


def ensure_admin(postgres: LocalPostgres) -> None:
    """The administrative login the provider would use: no superuser, CREATEDB and CREATEROLE (once per server)."""
    with psycopg.connect(postgres.url("postgres"), autocommit=True) as superuser:
        if superuser.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (ADMIN,)).fetchone() is None:
            superuser.execute(
                sql.SQL("CREATE ROLE {} LOGIN CREATEDB CREATEROLE NOSUPERUSER PASSWORD {}").format(
                    sql.Identifier(ADMIN), sql.Literal(ADMIN_PASSWORD)
                )
            )


@dataclass
class GeneratedStack:
    """One stack's database and roles on the server, at some rotation."""

    postgres: LocalPostgres
    roles: Roles
    password: Password
    rotation: int = 1

    @classmethod
    def make(cls, postgres: LocalPostgres, tier: Tier = "staging", rotation: int = 1) -> GeneratedStack:
        ensure_admin(postgres)
        number = next(_stacks)
        stack = cls(postgres, Roles(f"t{number}", tier, f"gen{number}"), passwords(secrets.token_hex(6)), rotation)
        with psycopg.connect(postgres.url("postgres"), autocommit=True) as superuser:
            # The database exists before the stack (made by whoever runs the server), owned by the administrator.
            superuser.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(stack.roles.database), sql.Identifier(ADMIN)
                )
            )
        stack.as_admin(stack.roles.server(stack.password, rotation))
        stack.as_admin(stack.roles.database_rights())
        return stack

    def admin_url(self, database: str | None = None) -> str:
        return f"postgresql://{ADMIN}:{ADMIN_PASSWORD}@127.0.0.1:{self.postgres.port}/{database or self.roles.database}"

    def as_admin(self, statements: list[sql.Composed]) -> None:
        """Run statements as the administrator, each in its own transaction, as the provider's resources do."""
        with psycopg.connect(self.admin_url(), autocommit=True) as admin:
            for statement in statements:
                admin.execute(statement)

    def rotate(self) -> None:
        """What `pulumi up` does after the counter is raised: the new slot's password changes (ALTER ROLE ...)."""
        self.as_admin(self.roles.rotate(self.password, self.rotation, self.rotation + 1))
        self.rotation += 1

    def login(self, suffix: str, slot: str | None = None) -> str:
        return self.roles.name(suffix, slot)

    def handed_out(self, suffix: str) -> str:
        """The login whose URL the stack hands out now (CI_DB_URL's, DATABASE_URL's)."""
        return self.roles.name(suffix, active_slot(self.rotation))

    def other(self, suffix: str) -> str:
        """The login handed out at the previous rotation."""
        return self.roles.name(suffix, SLOTS[self.rotation % 2])

    def url(self, login: str, rotation: int | None = None) -> str:
        """The URL a deployment made at `rotation` (default: now) holds for `login`."""
        every = urls(self.roles, "127.0.0.1", self.postgres.port, self.password, rotation or self.rotation)
        return every[login]

    def connect(self, login: str, rotation: int | None = None) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.url(login, rotation), autocommit=True, connect_timeout=5)


def close_maintenance_databases(postgres: LocalPostgres, closed: bool) -> None:
    """The runbook's one-time SQL (docs/how-to/switch-to-generated-credentials.md), or PostgreSQL's defaults back."""
    every = sql.SQL(", ").join(map(sql.Identifier, MAINTENANCE_DATABASES))
    verb = "REVOKE CONNECT ON DATABASE {} FROM PUBLIC" if closed else "GRANT CONNECT ON DATABASE {} TO PUBLIC"
    with psycopg.connect(postgres.url("postgres"), autocommit=True) as superuser:
        superuser.execute(sql.SQL(verb).format(every))
