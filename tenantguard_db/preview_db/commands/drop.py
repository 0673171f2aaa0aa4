"""drop: a pull request's database and its role, when this command made them, whatever the role did meanwhile."""

from __future__ import annotations

from tenantguard_db.preview_db.console import log_to_stderr
from tenantguard_db.preview_db.databases import drop_database
from tenantguard_db.preview_db.locks import advisory_lock, pr_lock_keys, set_lock_wait
from tenantguard_db.preview_db.metadata import (
    COMMENT_MARKER,
    find_database,
    find_role,
    our_role_meta,
    require_our_pr_database,
)
from tenantguard_db.preview_db.names import PullRequest
from tenantguard_db.preview_db.privileges import require_privileges
from tenantguard_db.preview_db.roles import drop_role, lock_out
from tenantguard_db.preview_db.server import Server


def drop(server: Server, pr: PullRequest) -> str | None:
    """Lock the pull request's role out, drop its database, then the role; the database's name if it was dropped."""
    name = server.pr_name(pr)
    role = server.pr_role(pr)
    with server.maintenance_session() as connection:
        set_lock_wait(connection)
        with advisory_lock(connection, f"the lock of {pr}", *pr_lock_keys(server, pr)):
            found_role = find_role(connection, role)
            found = find_database(connection, name)
            if found is not None:
                require_our_pr_database(found, found_role, server, pr)
            ours = found_role is not None and our_role_meta(found_role, server, pr) is not None
            if ours:
                require_privileges(connection, "CREATEROLE")
                lock_out(connection, role)
            if found is None:
                log_to_stderr(f"{name} does not exist; nothing to drop")
            else:
                drop_database(connection, server, name)
                log_to_stderr(f"{name} dropped")
            if ours:
                drop_role(connection, server, role)
                log_to_stderr(f"role {role} dropped")
            elif found_role is not None:
                log_to_stderr(
                    f"role {role} exists but was not created by this command (no matching {COMMENT_MARKER} "
                    "comment, or another creator); left alone"
                )
    return None if found is None else name
