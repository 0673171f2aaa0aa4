"""The metadata each database and role this command made carries in its comment, and how it tells those apart from
anything else of the same name: only what carries it for this base is ever touched."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass

from psycopg import sql

from tenantguard_db.preview_db.errors import PreviewDbError
from tenantguard_db.preview_db.names import PullRequest
from tenantguard_db.preview_db.server import Connection, Server

COMMENT_MARKER = "tenantguard_preview"
# What a comment says it marks (its COMMENT_MARKER key): a pull request's database, the template, the template
# being built aside, a pull request's login role.
PR_DATABASE_KIND = "pr"
TEMPLATE_KIND = "template"
TEMPLATE_BUILD_KIND = "template-build"
ROLE_KIND = "role"


def utc_now() -> datetime.datetime:
    """Now, in UTC, to the second: the times the comments record."""
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0)


@dataclass(frozen=True)
class Meta:
    """What COMMENT ON DATABASE (and COMMENT ON ROLE) records: only databases and roles carrying it for this
    base are ever touched."""

    kind: str  # one of the *_KIND above
    base: str
    created_at: datetime.datetime
    pr: int | None = None
    repository: int | None = None  # absent from a legacy name's comment
    migrated_at: datetime.datetime | None = None
    revision: str | None = None
    fingerprint: str | None = None

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
class ExistingObject:
    """A database or role that exists, with our metadata if it carries it."""

    name: str
    meta: Meta | None


def find_database(connection: Connection, name: str) -> ExistingObject | None:
    """The database `name` with the metadata its comment carries, or None if there is no such database."""
    row = connection.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", (name,)
    ).fetchone()
    return None if row is None else ExistingObject(name, Meta.parse(row[0]))


def require_our_database(found: ExistingObject, server: Server, kind: str, pr: PullRequest | None = None) -> Meta:
    """The metadata of a database we created, or an error that leaves a database we did not create alone."""
    meta = found.meta
    if meta is None or not meta.is_for(kind, server.base, pr):
        raise PreviewDbError(
            f"database {found.name} exists but was not created by this command (no matching {COMMENT_MARKER} "
            "comment); it is left alone.",
            hint=f"If it is a leftover, drop it by hand: DROP DATABASE {found.name};",
        )
    return meta


def set_database_meta(connection: Connection, name: str, meta: Meta) -> None:
    """Record `meta` as the comment of database `name`."""
    connection.execute(
        sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(meta.comment()))
    )


def find_role(connection: Connection, name: str) -> ExistingObject | None:
    """The role `name` with the metadata its comment carries, or None if there is no such role."""
    row = connection.execute(
        "SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = %s", (name,)
    ).fetchone()
    return None if row is None else ExistingObject(name, Meta.parse(row[0]))


def our_role_meta(found: ExistingObject, server: Server, pr: PullRequest) -> Meta | None:
    """The metadata of the role this command created for that pull request of this base, or None."""
    meta = found.meta
    return meta if meta is not None and meta.is_for(ROLE_KIND, server.base, pr) else None


def require_our_role(found: ExistingObject, server: Server, pr: PullRequest) -> None:
    """Nothing, for the role this command created for that pull request; an error that leaves any other alone."""
    if our_role_meta(found, server, pr) is None:
        raise PreviewDbError(
            f"role {found.name} exists but was not created by this command (no matching {COMMENT_MARKER} comment); "
            "it is left alone and no URL for it is handed out.",
            hint=f"If it is a leftover, drop it by hand: DROP ROLE {found.name};",
        )
