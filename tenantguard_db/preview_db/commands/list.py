"""list: our pull requests' databases with their repository, recorded revision and age, the template, and the roles
left without a database."""

from __future__ import annotations

import json
from typing import TextIO

from tenantguard_db.preview_db.console import log_to_stderr
from tenantguard_db.preview_db.inventory import orphaned_roles, pr_databases, pr_roles
from tenantguard_db.preview_db.metadata import COMMENT_MARKER, TEMPLATE_KIND, find_database, utc_now
from tenantguard_db.preview_db.names import Scope
from tenantguard_db.preview_db.server import Server


def list_databases(server: Server, out: TextIO, as_json: bool, scope: Scope) -> None:
    """Our databases within `scope` and the template on `out`, as a table or one JSON document; on stderr, the
    look-alikes left alone and the roles left without a database."""
    with server.maintenance_session() as connection:
        ours, foreign = pr_databases(connection, server, scope)
        found = find_database(connection, server.template)
        roles, foreign_roles = pr_roles(connection, server, scope)
        orphans = orphaned_roles(connection, roles)
    for name in foreign:
        log_to_stderr(
            f"{name} looks like a pull-request database but carries no {COMMENT_MARKER} comment; not listed, "
            "never pruned"
        )
    for name in foreign_roles:
        log_to_stderr(
            f"role {name} looks like a pull request's role but carries no {COMMENT_MARKER} comment; never dropped"
        )
    for orphan in orphans:
        log_to_stderr(f"role {orphan.name} has no database any more; prune drops it")
    if any(database.pr.repository is None for database in ours) or any(role.pr.repository is None for role in roles):
        log_to_stderr(
            "databases or roles named before repository ids were part of the names (repository -) belong to an "
            "unknown repository: prune --legacy --older-than DAYS drops them once idle, drop --legacy --pr N one"
        )
    role_names = {role.name for role in roles}
    at = utc_now()
    # The revision each create recorded when it last migrated: the CI role never reads a table a pull request's role
    # owns (a view or a policy there would run that role's code as the CI role).
    rows = [database.row(at, database.name if database.name in role_names else None) for database in ours]
    for database in ours:
        if database.owned_by_ci_role:
            log_to_stderr(f"{database.name} was made when the CI role owned it; its next create remakes it")
    template_meta = (
        found.meta if found and found.owned_by_us and found.meta and found.meta.kind == TEMPLATE_KIND else None
    )
    template_row = None
    if template_meta is not None:
        built = template_meta.created_at.isoformat()
        template_row = {"database": server.template, "revision": template_meta.revision, "built_at": built}
    if as_json:
        orphan_rows = [
            {
                "role": orphan.name,
                "repository": orphan.pr.repository,
                "pr": orphan.pr.number,
                "created_at": orphan.meta.created_at.isoformat(),
            }
            for orphan in orphans
        ]
        document = {"template": template_row, "databases": rows, "orphaned_roles": orphan_rows}
        print(json.dumps(document, indent=2), file=out)
        return
    table = [("database", "repository", "pr", "revision", "created (UTC)", "age days", "idle days")]
    table += [
        (
            row["database"],
            str(row["repository"] or "-"),
            str(row["pr"]),
            str(row["revision"] or "-"),
            row["created_at"][:16].replace("T", " "),
            f"{row['age_days']:.1f}",
            f"{row['idle_days']:.1f}",
        )
        for row in rows
    ]
    if template_meta is not None:
        built = f"{template_meta.created_at:%Y-%m-%d %H:%M}"
        table.append((server.template, "-", "template", str(template_meta.revision), built, "-", "-"))
    widths = [max(len(line[column]) for line in table) for column in range(len(table[0]))]
    for line in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip(), file=out)
