"""What the CI role must hold (CREATEDB, CREATEROLE), checked before anything changes, and what CREATEROLE lets it
reach besides."""

from __future__ import annotations

from psycopg import sql

from tenantguard_db.preview_db.console import log_to_stderr
from tenantguard_db.preview_db.errors import WORK_ORDER, PreviewDbError
from tenantguard_db.preview_db.server import Connection

WHY_NEEDED = {
    "CREATEDB": "which creating databases needs",
    "CREATEROLE": "which each pull request's own login role needs",
}


def require_privileges(connection: Connection, *privileges: str) -> None:
    """Stop before changing anything when the CI role lacks one of `privileges` (keys of WHY_NEEDED), naming each."""
    row = connection.execute(
        "SELECT current_user, rolsuper OR rolcreatedb, rolsuper OR rolcreaterole FROM pg_roles "
        "WHERE rolname = current_user"
    ).fetchone()
    role = str(row[0]) if row else "the preview role"
    held = {"CREATEDB": bool(row and row[1]), "CREATEROLE": bool(row and row[2])}
    missing = [privilege for privilege in privileges if not held[privilege]]
    if missing:
        lacks = " and the ".join(f"{privilege} privilege ({WHY_NEEDED[privilege]})" for privilege in missing)
        grants = " ".join(
            sql.SQL("ALTER ROLE {} " + privilege + ";").format(sql.Identifier(role)).as_string(connection)
            for privilege in missing
        )
        raise PreviewDbError(
            f"role {role} lacks the {lacks}.", hint=f"An administrator runs once: {grants} (see {WORK_ORDER})"
        )


def warn_createrole_reach(connection: Connection) -> None:
    """Say so when CREATEROLE reaches further than the pull requests' roles: before PostgreSQL 16 it lets a role
    alter any non-superuser role and grant itself any non-superuser role's membership (PostgreSQL 16 release
    notes, "Restrict the privileges of CREATEROLE roles"; the PostgreSQL 15 docs, "Role Attributes", call such
    roles almost superusers)."""
    version = connection.info.server_version
    row = connection.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
    if version < 160000 and row is not None and not row[1]:
        log_to_stderr(
            f"PostgreSQL {version // 10000}: CREATEROLE lets role {row[0]} grant itself almost any privilege on "
            "this server, not only manage the pull requests' roles (PostgreSQL 16 limits it to the roles it "
            f"created); keep this server for previews and CI_DB_URL for the preview jobs ({WORK_ORDER})"
        )
