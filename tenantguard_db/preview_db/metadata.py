"""What tells this command's databases and roles from anything else of the same name: who owns a database, who granted
a role's membership to the CI role, and the metadata each carries in a comment only the CI role can have written."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass

from psycopg import sql

from tenantguard_db.preview_db.errors import PreviewDbError
from tenantguard_db.preview_db.names import PullRequest
from tenantguard_db.preview_db.server import Connection, Server

COMMENT_MARKER = "tenantguard_preview"
# What a comment says it marks (its COMMENT_MARKER key): a pull request's database (as the CI role owned it), the
# template, the template being built aside, a pull request's role, the role owning the template's objects.
PR_DATABASE_KIND = "pr"
TEMPLATE_KIND = "template"
TEMPLATE_BUILD_KIND = "template-build"
ROLE_KIND = "role"
TEMPLATE_OWNER_KIND = "template-owner"

# Who owns what, as this version lays it out: each pull request's role owns its database and every object in it, the
# template owner role owns every object in the template, the CI role owns the template itself. A template's comment
# records it; a pull request's database tells it by its owner. Before (no layout recorded) the CI role owned them all.
LAYOUT = 2


def utc_now() -> datetime.datetime:
    """Now, in UTC, to the second: the times the comments record."""
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0)


@dataclass(frozen=True)
class Meta:
    """What COMMENT ON ROLE (and COMMENT ON DATABASE, for the template) records: only databases and roles carrying it
    for this base are ever touched.

    A pull request's database, which its role owns and may comment on itself, carries none: its metadata (created,
    migrated, revision, fingerprint) is its role's comment, which only a role with CREATEROLE can write."""

    kind: str  # one of the *_KIND above
    base: str
    created_at: datetime.datetime
    pr: int | None = None
    repository: int | None = None  # absent from a legacy name's comment
    migrated_at: datetime.datetime | None = None
    revision: str | None = None
    fingerprint: str | None = None
    layout: int | None = None  # LAYOUT for a template built by this version

    def comment(self) -> str:
        return json.dumps(
            {
                COMMENT_MARKER: self.kind,
                "base": self.base,
                "pr": self.pr,
                "repository": self.repository,
                "created_at": self.created_at.isoformat(),
                "migrated_at": self.migrated_at.isoformat() if self.migrated_at else None,
                "revision": self.revision,
                "fingerprint": self.fingerprint,
                "layout": self.layout,
            },
            sort_keys=True,
        )

    @classmethod
    def parse(cls, comment: str | None) -> Meta | None:
        """The metadata a comment records, or None for a comment that does not carry it."""
        try:
            data = json.loads(comment or "")
            migrated = data.get("migrated_at")
            return cls(
                kind=str(data[COMMENT_MARKER]),
                base=str(data["base"]),
                pr=int(data["pr"]) if data.get("pr") is not None else None,
                repository=int(data["repository"]) if data.get("repository") is not None else None,
                created_at=datetime.datetime.fromisoformat(data["created_at"]),
                migrated_at=datetime.datetime.fromisoformat(migrated) if migrated else None,
                revision=data.get("revision"),
                fingerprint=data.get("fingerprint"),
                layout=int(data["layout"]) if data.get("layout") is not None else None,
            )
        except (ValueError, TypeError, KeyError, AttributeError):
            return None

    @property
    def last_used(self) -> datetime.datetime:
        return self.migrated_at or self.created_at

    def is_for(self, kind: str, base: str, pr: PullRequest | None) -> bool:
        """Whether this comment says: this kind, this base, this pull request of this repository (or none)."""
        wanted = (None, None) if pr is None else (pr.number, pr.repository)
        return self.kind == kind and self.base == base and (self.pr, self.repository) == wanted


@dataclass(frozen=True)
class ExistingDatabase:
    """A database that exists: its owner, whether that is the CI role, and our metadata if its comment carries it."""

    name: str
    owner: str
    owned_by_us: bool
    meta: Meta | None


@dataclass(frozen=True)
class ExistingRole:
    """A role that exists, with our metadata if its comment carries it, and whether the CI role holds a membership in
    it that the CI role itself granted: what create does right after CREATE ROLE, and what no other role can forge
    (GRANTED BY another role needs a superuser)."""

    name: str
    meta: Meta | None
    granted_by_us: bool


# The CI role's own membership in role r, granted by itself (me: the CI role).
GRANTED_BY_US = sql.SQL(
    "EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m WHERE m.roleid = r.oid AND m.member = me.oid "
    "AND m.grantor = me.oid)"
)


def find_database(connection: Connection, name: str) -> ExistingDatabase | None:
    """The database `name` with its owner and the metadata its comment carries, or None if there is no such one."""
    row = connection.execute(
        "SELECT pg_catalog.pg_get_userbyid(d.datdba), d.datdba = me.oid, "
        "pg_catalog.shobj_description(d.oid, 'pg_database') FROM pg_catalog.pg_database d, "
        "(SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user) me WHERE d.datname = %s",
        (name,),
    ).fetchone()
    return None if row is None else ExistingDatabase(name, str(row[0]), bool(row[1]), Meta.parse(row[2]))


def find_role(connection: Connection, name: str) -> ExistingRole | None:
    """The role `name` with the metadata its comment carries, or None if there is no such role."""
    row = connection.execute(
        sql.SQL(
            "SELECT pg_catalog.shobj_description(r.oid, 'pg_authid'), {} FROM pg_catalog.pg_roles r, "
            "(SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user) me WHERE r.rolname = %s"
        ).format(GRANTED_BY_US),
        (name,),
    ).fetchone()
    return None if row is None else ExistingRole(name, Meta.parse(row[0]), bool(row[1]))


def not_ours(what: str, name: str, drop: str) -> PreviewDbError:
    """The refusal for a database or role of our name that this command did not make."""
    return PreviewDbError(
        f"{what} {name} exists but was not created by this command (no matching {COMMENT_MARKER} comment, or another "
        "owner or creator); it is left alone and no URL for it is handed out.",
        hint=f"If it is a leftover, drop it by hand: {drop} {name};",
    )


def require_our_database(found: ExistingDatabase, server: Server, kind: str) -> Meta:
    """The metadata of a database the CI role made and owns (the template, the template being built), or an error
    that leaves any other alone."""
    meta = found.meta
    if not found.owned_by_us or meta is None or not meta.is_for(kind, server.base, None):
        raise not_ours("database", found.name, "DROP DATABASE")
    return meta


def set_database_meta(connection: Connection, name: str, meta: Meta) -> None:
    """Record `meta` as the comment of database `name`."""
    connection.execute(
        sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(meta.comment()))
    )


def set_role_meta(connection: Connection, name: str, meta: Meta) -> None:
    """Record `meta` as the comment of role `name` (which only a role with CREATEROLE can change)."""
    connection.execute(sql.SQL("COMMENT ON ROLE {} IS {}").format(sql.Identifier(name), sql.Literal(meta.comment())))


def our_role_meta(found: ExistingRole, server: Server, pr: PullRequest | None, kind: str = ROLE_KIND) -> Meta | None:
    """The metadata of the role this command created for that pull request of this base (or, with another `kind`,
    for this base), or None: the comment must say so and the CI role's membership must be its own grant."""
    meta = found.meta
    ours = found.granted_by_us and meta is not None and meta.is_for(kind, server.base, pr)
    return meta if ours else None


def require_our_role(found: ExistingRole, server: Server, pr: PullRequest | None, kind: str = ROLE_KIND) -> Meta:
    """The metadata of the role this command created; an error that leaves any other alone."""
    meta = our_role_meta(found, server, pr, kind)
    if meta is None:
        raise not_ours("role", found.name, "DROP ROLE")
    return meta


@dataclass(frozen=True)
class PrDatabaseState:
    """A pull request's database as this command made it: its metadata, and whether the CI role owns it (made by the
    version before LAYOUT, to be remade) or the pull request's role does."""

    meta: Meta
    owned_by_ci_role: bool


def our_pr_database(
    found: ExistingDatabase, role: ExistingRole | None, server: Server, pr: PullRequest
) -> PrDatabaseState | None:
    """What this command knows of that pull request's database, or None if it did not make it: owned by the pull
    request's own role (ours) with the role's comment, or owned by the CI role with its comment (made before LAYOUT)."""
    if role is not None and found.owner == role.name:
        role_meta = our_role_meta(role, server, pr)
        if role_meta is not None:
            return PrDatabaseState(role_meta, owned_by_ci_role=False)
    if found.owned_by_us and found.meta is not None and found.meta.is_for(PR_DATABASE_KIND, server.base, pr):
        return PrDatabaseState(found.meta, owned_by_ci_role=True)
    return None


def require_our_pr_database(
    found: ExistingDatabase, role: ExistingRole | None, server: Server, pr: PullRequest
) -> PrDatabaseState:
    """our_pr_database, or an error that leaves any other database of that name alone."""
    state = our_pr_database(found, role, server, pr)
    if state is None:
        raise not_ours("database", found.name, "DROP DATABASE")
    return state
