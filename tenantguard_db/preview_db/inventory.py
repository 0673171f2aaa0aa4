"""Our pull requests' databases and roles on the server, told from look-alikes by their comments: what list shows and
prune drops."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from tenantguard_db.preview_db.metadata import PR_DATABASE_KIND, ROLE_KIND, Meta
from tenantguard_db.preview_db.names import PullRequest, Scope
from tenantguard_db.preview_db.server import Connection, Server


@dataclass(frozen=True)
class PrDatabase:
    """A pull-request database of this base, carrying our metadata."""

    name: str
    pr: PullRequest
    meta: Meta

    def row(self, revision: str | None, at: datetime.datetime, role: str | None) -> dict[str, Any]:
        return {
            "database": self.name,
            "repository": self.pr.repository,
            "pr": self.pr.number,
            "role": role,
            "revision": revision,
            "created_at": self.meta.created_at.isoformat(),
            "migrated_at": self.meta.migrated_at.isoformat() if self.meta.migrated_at else None,
            "age_days": round((at - self.meta.created_at).total_seconds() / 86400, 2),
            "idle_days": round((at - self.meta.last_used).total_seconds() / 86400, 2),
        }


def pr_databases(connection: Connection, server: Server, scope: Scope) -> tuple[list[PrDatabase], list[str]]:
    """Our pull-request databases for this base within `scope`, and the names in it that look like one but are
    not ours."""
    rows = connection.execute("SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database").fetchall()
    ours, foreign = _split_by_comment(rows, server, scope, PR_DATABASE_KIND)
    return [PrDatabase(*found) for found in ours], foreign


def _split_by_comment(
    rows: list[tuple[Any, ...]], server: Server, scope: Scope, kind: str
) -> tuple[list[tuple[str, PullRequest, Meta]], list[str]]:
    """Of (name, comment) rows named like a pull request's within `scope`: those whose comment says they are
    ours (of `kind`, this base, that pull request), in pull-request order, and the others' names."""
    ours, foreign = [], []
    for name, comment in rows:
        pr = server.pr_from_name(str(name))
        if pr is None or not scope.covers(pr):
            continue
        meta = Meta.parse(comment)
        if meta is not None and meta.is_for(kind, server.base, pr):
            ours.append((str(name), pr, meta))
        else:
            foreign.append(str(name))
    return sorted(ours, key=lambda found: found[1].sort_key()), sorted(foreign)


@dataclass(frozen=True)
class PrRole:
    """A pull request's login role for this base, carrying our metadata."""

    name: str
    pr: PullRequest
    meta: Meta


def pr_roles(connection: Connection, server: Server, scope: Scope) -> tuple[list[PrRole], list[str]]:
    """Our pull requests' roles for this base within `scope`, and the names in it that look like one but are not
    ours.

    Roles belong to the whole server, not to a database: they outlive a database dropped by hand, and
    only our comment tells ours from an administrator's."""
    rows = connection.execute("SELECT rolname, shobj_description(oid, 'pg_authid') FROM pg_roles").fetchall()
    ours, foreign = _split_by_comment(rows, server, scope, ROLE_KIND)
    return [PrRole(*found) for found in ours], foreign


def orphaned_roles(connection: Connection, roles: list[PrRole]) -> list[PrRole]:
    """Our roles whose database is gone (dropped by hand, or a drop that failed half-way)."""
    databases = {str(name) for (name,) in connection.execute("SELECT datname FROM pg_database").fetchall()}
    return [role for role in roles if role.name not in databases]
