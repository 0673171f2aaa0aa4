"""Our pull requests' databases and roles on the server, told from look-alikes by who owns them, who granted them and
their comments: what list shows and prune drops."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from psycopg import sql

from tenantguard_db.preview_db.metadata import (
    GRANTED_BY_US,
    ROLE_KIND,
    ExistingDatabase,
    ExistingRole,
    Meta,
    our_pr_database,
    our_role_meta,
)
from tenantguard_db.preview_db.names import PullRequest, Scope
from tenantguard_db.preview_db.server import Connection, Server


@dataclass(frozen=True)
class PrDatabase:
    """A pull-request database of this base that this command made, with what it knows of it."""

    name: str
    pr: PullRequest
    meta: Meta
    owned_by_ci_role: bool  # made before LAYOUT: the next create remakes it

    def row(self, at: datetime.datetime, role: str | None) -> dict[str, Any]:
        return {
            "database": self.name,
            "repository": self.pr.repository,
            "pr": self.pr.number,
            "role": role,
            "revision": self.meta.revision,
            "created_at": self.meta.created_at.isoformat(),
            "migrated_at": self.meta.migrated_at.isoformat() if self.meta.migrated_at else None,
            "age_days": round((at - self.meta.created_at).total_seconds() / 86400, 2),
            "idle_days": round((at - self.meta.last_used).total_seconds() / 86400, 2),
        }


@dataclass(frozen=True)
class PrRole:
    """A pull request's login role for this base, carrying our metadata."""

    name: str
    pr: PullRequest
    meta: Meta


def all_roles(connection: Connection) -> dict[str, ExistingRole]:
    """Every role on the server, as find_role reads one."""
    rows = connection.execute(
        sql.SQL(
            "SELECT r.rolname, pg_catalog.shobj_description(r.oid, 'pg_authid'), {} "
            "FROM pg_catalog.pg_roles r, (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user) me"
        ).format(GRANTED_BY_US)
    ).fetchall()
    return {str(name): ExistingRole(str(name), Meta.parse(comment), bool(granted)) for name, comment, granted in rows}


def pr_databases(connection: Connection, server: Server, scope: Scope) -> tuple[list[PrDatabase], list[str]]:
    """Our pull-request databases for this base within `scope`, and the names in it that look like one but are not
    ours (another owner, another creator, no matching comment)."""
    rows = connection.execute(
        "SELECT d.datname, pg_catalog.pg_get_userbyid(d.datdba), d.datdba = me.oid, "
        "pg_catalog.shobj_description(d.oid, 'pg_database') FROM pg_catalog.pg_database d, "
        "(SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user) me"
    ).fetchall()
    roles = all_roles(connection)
    ours, foreign = [], []
    for name, owner, owned_by_us, comment in rows:
        pr = server.pr_from_name(str(name))
        if pr is None or not scope.covers(pr):
            continue
        found = ExistingDatabase(str(name), str(owner), bool(owned_by_us), Meta.parse(comment))
        state = our_pr_database(found, roles.get(server.pr_role(pr)), server, pr)
        if state is None:
            foreign.append(found.name)
        else:
            ours.append(PrDatabase(found.name, pr, state.meta, state.owned_by_ci_role))
    return sorted(ours, key=lambda database: database.pr.sort_key()), sorted(foreign)


def pr_roles(connection: Connection, server: Server, scope: Scope) -> tuple[list[PrRole], list[str]]:
    """Our pull requests' roles for this base within `scope`, and the names in it that look like one but are not
    ours.

    Roles belong to the whole server, not to a database: they outlive a database dropped by hand, and
    only our comment and our grant tell ours from an administrator's."""
    ours, foreign = [], []
    for name, found in all_roles(connection).items():
        pr = server.pr_from_name(name)
        if pr is None or not scope.covers(pr):
            continue
        meta = our_role_meta(found, server, pr, ROLE_KIND)
        if meta is None:
            foreign.append(name)
        else:
            ours.append(PrRole(name, pr, meta))
    return sorted(ours, key=lambda role: role.pr.sort_key()), sorted(foreign)


def orphaned_roles(connection: Connection, roles: list[PrRole]) -> list[PrRole]:
    """Our roles whose database is gone (dropped by hand, or a drop that failed half-way)."""
    databases = {str(name) for (name,) in connection.execute("SELECT datname FROM pg_catalog.pg_database").fetchall()}
    return [role for role in roles if role.name not in databases]
