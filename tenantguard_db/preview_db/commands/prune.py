"""prune: our pull requests' databases idle longer than a limit, with their roles, and the roles whose database is
gone."""

from __future__ import annotations

import datetime
from typing import TextIO

import psycopg

from tenantguard_db.preview_db.console import log_to_stderr
from tenantguard_db.preview_db.databases import drop_database
from tenantguard_db.preview_db.errors import PreviewDbError, printable
from tenantguard_db.preview_db.inventory import PrRole, orphaned_roles, pr_databases, pr_roles
from tenantguard_db.preview_db.locks import pr_lock_if_free, pr_lock_keys
from tenantguard_db.preview_db.metadata import find_database, find_role, our_pr_database, our_role_meta, utc_now
from tenantguard_db.preview_db.names import Scope
from tenantguard_db.preview_db.privileges import require_privileges
from tenantguard_db.preview_db.roles import drop_role, lock_out
from tenantguard_db.preview_db.server import Connection, Server

# What prune --dry-run puts before each name on stdout, where a real prune prints only the names it dropped.
DRY_RUN_PREFIX = "would-drop "


def prune(server: Server, older_than: int, dry_run: bool, out: TextIO, scope: Scope) -> list[str]:
    """Drop (or with dry_run name) our databases within `scope` not migrated for `older_than` days with their
    roles, and our roles within it whose database is gone whatever their age; each dropped database's name goes to
    `out` (with dry_run, `would-drop <name>`: a script reading `out` never takes a kept database for a dropped
    one), roles to stderr. Returns the names of the databases dropped."""
    cutoff = utc_now() - datetime.timedelta(days=older_than)
    dropped: list[str] = []
    failed: list[str] = []
    with server.maintenance_session() as connection:
        ours, _ = pr_databases(connection, server, scope)
        roles, _ = pr_roles(connection, server, scope)
        role_names = {role.name for role in roles}
        stale = [database for database in ours if database.meta.last_used < cutoff]
        orphans = orphaned_roles(connection, roles)
        if not dry_run and (orphans or any(database.name in role_names for database in stale)):
            require_privileges(connection, "CREATEROLE")
        for database in stale:
            last = f"last migrated {database.meta.last_used:%Y-%m-%d %H:%M}"
            if dry_run:
                log_to_stderr(f"would drop {database.name} ({last})")
                print(f"{DRY_RUN_PREFIX}{database.name}", file=out)
                continue
            with pr_lock_if_free(connection, pr_lock_keys(server, database.pr)) as free:
                if not free:
                    log_to_stderr(f"{database.name} is being created or migrated right now; kept")
                    continue
                try:
                    # Again, under the lock: a create may have migrated it (or remade it) since the list was read.
                    again = find_database(connection, database.name)
                    role = find_role(connection, database.name)
                    state = None if again is None else our_pr_database(again, role, server, database.pr)
                    if state is not None and state.meta.last_used < cutoff:
                        if database.name in role_names:
                            lock_out(connection, database.name)
                        drop_database(connection, server, database.name)
                        log_to_stderr(f"{database.name} dropped ({last})")
                        print(database.name, file=out)
                        dropped.append(database.name)
                        if database.name in role_names:
                            drop_role(connection, server, database.name)
                            log_to_stderr(f"role {database.name} dropped")
                except (psycopg.Error, PreviewDbError) as error:
                    # One database that cannot be dropped must not keep the others.
                    log_to_stderr(str(printable(error, server.url, f"cannot drop {database.name} (or its role)")))
                    failed.append(database.name)
        failed += prune_orphaned_roles(connection, server, orphans, dry_run)
    if dry_run:
        log_to_stderr("dry run: nothing was dropped")
    if failed:
        raise PreviewDbError(f"could not drop {', '.join(failed)} (see above); the others were handled")
    return dropped


def prune_orphaned_roles(connection: Connection, server: Server, orphans: list[PrRole], dry_run: bool) -> list[str]:
    """Drop (or with dry_run name) our roles whose database is gone; returns those that could not be dropped."""
    failed = []
    for orphan in orphans:
        if dry_run:
            log_to_stderr(f"would drop role {orphan.name} (its database is gone)")
            continue
        with pr_lock_if_free(connection, pr_lock_keys(server, orphan.pr)) as free:
            if not free:
                log_to_stderr(f"role {orphan.name}: its pull request is being created right now; kept")
                continue
            try:
                again = find_role(connection, orphan.name)
                gone = find_database(connection, orphan.name) is None
                if gone and again is not None and our_role_meta(again, server, orphan.pr) is not None:
                    drop_role(connection, server, orphan.name)
                    log_to_stderr(f"role {orphan.name} dropped: its database is gone")
            except (psycopg.Error, PreviewDbError) as error:
                log_to_stderr(str(printable(error, server.url, f"cannot drop role {orphan.name}")))
                failed.append(f"role {orphan.name}")
    return failed
