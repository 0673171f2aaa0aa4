"""What the CI role does to a whole database it owns: close it to every role but its pull request's, drop it."""

from __future__ import annotations

from psycopg import sql

from tenantguard_db.preview_db.server import Connection


def drop_database(connection: Connection, name: str, *, template: bool = False) -> None:
    """Drop `name` if it exists, ending its sessions; a template is made an ordinary database first."""
    if template:
        connection.execute(sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE false").format(sql.Identifier(name)))
    # FORCE ends the sessions of the preview app still connected to it (PostgreSQL 13+); those of a pull
    # request's role only because the CI role is a member of it (ensure_pr_role).
    connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def restrict_database(connection: Connection, name: str, role: str | None = None) -> None:
    """Only the owner (the CI role) and `role` may connect. PostgreSQL grants CONNECT and TEMPORARY on every new
    database to PUBLIC, which would let every role on the server, other pull requests' included, connect."""
    connection.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(name)))
    if role is not None:
        connection.execute(
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(name), sql.Identifier(role))
        )
