"""One database per pull request on the server CI_DB_URL points at, cloned from a template kept at main's head,
and one login role per pull request that can reach only that database's tables: the deployment's URL.

    python -m tenantguard_db.preview_db {create --repository-id ID --pr N,drop --repository-id ID --pr N,list,
                                         prune --older-than DAYS --repository-id ID,template}

Names carry the repository's numeric GitHub id as well as the pull request's number: several app repositories
share one CI_DB_URL, and their pull-request numbers overlap.

The contract (stdout, stderr, exit codes) and the role's privileges are in workorders/WO-ci-secrets.md,
section "Preview databases per pull request".
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import psycopg
from psycopg import sql

from tenantguard_db import migrate
from tenantguard_db.preview_db.console import log_to_stderr
from tenantguard_db.preview_db.databases import drop_database, restrict_database
from tenantguard_db.preview_db.errors import (
    WORK_ORDER,
    PreviewDbError,
    RevisionsFailedError,
    UsageError,
    explain_database_error,
)
from tenantguard_db.preview_db.handout import Handout, UrlDestinations
from tenantguard_db.preview_db.inventory import PrRole, orphaned_roles, pr_databases, pr_roles
from tenantguard_db.preview_db.locks import (
    TEMPLATE_BUILD_LOCK,
    TEMPLATE_CLONE_LOCK,
    advisory_lock,
    pr_lock_if_free,
    pr_lock_keys,
    read_lock_wait,
    set_lock_wait,
)
from tenantguard_db.preview_db.metadata import (
    COMMENT_MARKER,
    Meta,
    find_database,
    find_role,
    our_role_meta,
    require_our_database,
    set_database_meta,
    utc_now,
)
from tenantguard_db.preview_db.names import (
    MAX_PR,
    MAX_REPOSITORY_ID,
    PR_NUMBER_PATTERN,
    REPOSITORY_ID_PATTERN,
    PullRequest,
    Scope,
)
from tenantguard_db.preview_db.privileges import require_privileges, warn_createrole_reach
from tenantguard_db.preview_db.revisions import Revisions, migrated_meta, read_revision
from tenantguard_db.preview_db.roles import (
    drop_role,
    ensure_pr_role,
    grant_table_access,
    other_reachable_databases,
    set_role_password,
)
from tenantguard_db.preview_db.server import Connection, Server
from tenantguard_db.preview_db.status_codes import EXIT_FAILED, EXIT_OK
from tenantguard_db.urls import MissingDatabaseUrlError, url_from_environment

# The subcommands that wait on an advisory lock, bounded by TENANTGUARD_MIGRATION_LOCK_WAIT; list and prune take
# none (prune only tries a pull request's lock, and keeps that pull request when it is held).
COMMANDS_WAITING_ON_LOCKS = frozenset({"create", "drop", "template"})

# What prune --dry-run puts before each name on stdout, where a real prune prints only the names it dropped.
DRY_RUN_PREFIX = "would-drop "


# --- names and URLs ----------------------------------------------------------------------------


def parse_pr_number(value: str) -> int:
    """argparse type for --pr: the pull request's number, ASCII digits only, 1..2^31-1."""
    if not PR_NUMBER_PATTERN.fullmatch(value) or int(value) > MAX_PR:
        raise argparse.ArgumentTypeError(
            f"takes the pull request's number, a positive integer from 1 to {MAX_PR} "
            f"without sign or leading zeros; got {value!r}"
        )
    return int(value)


def parse_repository_id(value: str) -> int:
    """argparse type for --repository-id: the repository's numeric GitHub id (`github.repository_id`), 1..2^63-1."""
    if not REPOSITORY_ID_PATTERN.fullmatch(value) or int(value) > MAX_REPOSITORY_ID:
        raise argparse.ArgumentTypeError(
            "takes the repository's numeric GitHub id (github.repository_id in a workflow), a positive integer "
            f"from 1 to {MAX_REPOSITORY_ID} without sign or leading zeros; got {value!r}"
        )
    return int(value)


def parse_days(value: str) -> int:
    """argparse type for --older-than: whole days, at least 1, with or without a trailing d (14 or 14d)."""
    if not (match := re.fullmatch(r"([1-9][0-9]{0,4})d?", value)):
        raise argparse.ArgumentTypeError(f"takes a whole number of days from 1 to 99999, as 14 or 14d; got {value!r}")
    return int(match[1])


# --- the metadata each database and role we own carries in its comment ------------------------


# --- the checkout's revisions ------------------------------------------------------------------


# --- locks -------------------------------------------------------------------------------------


# --- the pull request's own login role ---------------------------------------------------------


# --- the subcommands ---------------------------------------------------------------------------


def create(server: Server, pr: PullRequest, revisions: Revisions, destinations: UrlDestinations) -> str:
    """Create or migrate the pull request's database as the CI role; when `destinations` has somewhere to put it, hand
    out a URL for the pull request's own role with a new password (the previous deployment's stops working).
    Without, the role's password is left alone: a new one nobody receives would only cut off the deployment."""
    if pr.repository is None:
        # A legacy name may be another repository's pull request of the same number: never create or reuse one.
        raise UsageError("create needs --repository-id: a legacy name (no repository) is never created")
    name = server.pr_name(pr)
    role = server.pr_role(pr)
    url = server.ci_url_for(name)  # the CI role's: it owns the database and runs the migrations
    handout = Handout.new(server, pr, destinations)
    with server.maintenance_session() as connection:
        set_lock_wait(connection)
        require_privileges(connection, "CREATEDB", "CREATEROLE")
        warn_createrole_reach(connection)
        with advisory_lock(connection, f"the lock of {pr}", *pr_lock_keys(server, pr)):
            found = find_database(connection, name)
            meta = None if found is None else require_our_database(found, server, "pr", pr)
            ensure_pr_role(connection, server, pr)
            if meta is not None:
                reason = revisions.why_not_from(read_revision(url, name), meta.fingerprint)
                if reason is None:
                    log_to_stderr(f"{name} exists; migrating it to {revisions.head}")
                else:
                    log_to_stderr(f"{name} is recreated: {reason}")
                    drop_database(connection, name)
                    meta = None
            if meta is None:
                meta = Meta(kind="pr", base=server.base, pr=pr.number, repository=pr.repository, created_at=utc_now())
                clone_or_create(connection, server, name, revisions)
                set_database_meta(connection, name, meta)
            # Every run, so a database made before roles existed (PUBLIC could connect) is closed too.
            restrict_database(connection, name, role)
            try:
                reached = revisions.upgrade(url)
            except migrate.MigrationError as error:
                failure = f"migrating {name} to {revisions.head} failed: {error}"
                try:
                    reached = read_revision(url, name)
                except PreviewDbError as unreadable:
                    raise PreviewDbError(f"{failure}; then {unreadable}") from None
                set_database_meta(connection, name, migrated_meta(meta, revisions, reached))
                raise RevisionsFailedError(f"{failure}; it stays at {reached or 'no revision'}") from None
            set_database_meta(connection, name, migrated_meta(meta, revisions, reached))
            grant_table_access(server, name, role)
            if handout is not None:
                set_role_password(connection, server, role, handout.password)
            elsewhere = other_reachable_databases(connection, role, name)
    log_to_stderr(f"{name} is at {reached}; its deployment connects as role {role}")
    if elsewhere:
        log_to_stderr(
            f"role {role} can also connect to {', '.join(elsewhere)}: PUBLIC holds CONNECT there (PostgreSQL's "
            f"default for every database); the one-time SQL in {WORK_ORDER} takes it away"
        )
    if handout is None:
        log_to_stderr(
            f"no URL handed out (neither --url-to-file PATH nor --github-output): the password of role {role} is "
            "unchanged, so a deployment made before keeps its access; either option hands out a URL with a new "
            "password, which ends the previous deployment's access"
        )
    else:
        destinations.write_url(name, handout.url)
    return name


def clone_or_create(connection: Connection, server: Server, name: str, revisions: Revisions) -> None:
    """Clone the template when the checkout descends from it; otherwise an empty database, migrated from base."""
    with advisory_lock(connection, "the template (being rebuilt)", TEMPLATE_CLONE_LOCK, shared=True):
        found = find_database(connection, server.template)
        meta = found.meta if found else None
        if meta is None or meta.kind != "template" or meta.base != server.base or meta.revision is None:
            reason = f"no template {server.template} built from main (the template subcommand, run on main)"
        else:
            why = revisions.why_not_from(meta.revision, meta.fingerprint)
            if why is None:
                clone = sql.SQL("CREATE DATABASE {} TEMPLATE {}")
                try:
                    connection.execute(clone.format(sql.Identifier(name), sql.Identifier(server.template)))
                except psycopg.Error as error:
                    raise PreviewDbError(
                        explain_database_error(error, server.url, f"cannot clone {server.template}")
                    ) from None
                log_to_stderr(f"{name} created from {server.template} at {meta.revision}")
                return
            reason = (
                f"{server.template} cannot be cloned: {why} (a pull request behind main, or one that edited "
                "main's revisions, starts empty; merging main lets the next database be cloned)"
            )
    try:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as error:
        raise PreviewDbError(explain_database_error(error, server.url, f"cannot create {name}")) from None
    log_to_stderr(f"{name} created empty and migrated from base: {reason}")


def drop(server: Server, pr: PullRequest) -> str | None:
    """Drop the pull request's database, then its role (ending the role's sessions); the database's name if
    it was dropped."""
    name = server.pr_name(pr)
    role = server.pr_role(pr)
    with server.maintenance_session() as connection:
        set_lock_wait(connection)
        with advisory_lock(connection, f"the lock of {pr}", *pr_lock_keys(server, pr)):
            found = find_database(connection, name)
            if found is not None:
                require_our_database(found, server, "pr", pr)
            found_role = find_role(connection, role)
            ours = found_role is not None and our_role_meta(found_role, server, pr) is not None
            if ours:
                require_privileges(connection, "CREATEROLE")
            if found is None:
                log_to_stderr(f"{name} does not exist; nothing to drop")
            else:
                drop_database(connection, name)
                log_to_stderr(f"{name} dropped")
            if ours:
                drop_role(connection, role)
                log_to_stderr(f"role {role} dropped")
            elif found_role is not None:
                log_to_stderr(
                    f"role {role} exists but was not created by this command (no matching {COMMENT_MARKER} "
                    "comment); left alone"
                )
    return None if found is None else name


def list_databases(server: Server, out: TextIO, as_json: bool, scope: Scope) -> None:
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
    rows = []
    for database in ours:
        try:
            revision = migrate.current_revision(server.ci_url_for(database.name))
        except migrate.MigrationError as error:
            log_to_stderr(f"cannot read the revision of {database.name}: {error}")
            revision = "?"
        rows.append(database.row(revision, at, database.name if database.name in role_names else None))
    template_meta = found.meta if found and found.meta and found.meta.kind == "template" else None
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
                    again = find_database(connection, database.name)
                    meta = again.meta if again is not None else None
                    if meta is not None and meta.is_for("pr", server.base, database.pr) and meta.last_used < cutoff:
                        drop_database(connection, database.name)
                        log_to_stderr(f"{database.name} dropped ({last})")
                        print(database.name, file=out)
                        dropped.append(database.name)
                        if database.name in role_names:
                            drop_role(connection, database.name)
                            log_to_stderr(f"role {database.name} dropped")
                except psycopg.Error as error:
                    # One database that cannot be dropped must not keep the others.
                    log_to_stderr(
                        explain_database_error(error, server.url, f"cannot drop {database.name} (or its role)")
                    )
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
                    drop_role(connection, orphan.name)
                    log_to_stderr(f"role {orphan.name} dropped: its database is gone")
            except psycopg.Error as error:
                log_to_stderr(explain_database_error(error, server.url, f"cannot drop role {orphan.name}"))
                failed.append(f"role {orphan.name}")
    return failed


def build_template(server: Server, revisions: Revisions) -> str:
    """Bring the template to this checkout's head (run it on main): build aside, then swap under the lock."""
    with server.maintenance_session() as connection:
        set_lock_wait(connection)
        require_privileges(connection, "CREATEDB")
        with advisory_lock(connection, "the template build lock", TEMPLATE_BUILD_LOCK):
            current = find_database(connection, server.template)
            meta = current.meta if current else None
            if (
                meta is not None
                and meta.kind == "template"
                and meta.base == server.base
                and meta.revision == revisions.head
                and meta.fingerprint == revisions.fingerprint(revisions.head)
            ):
                restrict_database(connection, server.template)  # one built before PUBLIC lost CONNECT
                log_to_stderr(f"{server.template} is already at {revisions.head}")
                return server.template
            if current is not None and (
                meta is None or meta.base != server.base or meta.kind not in ("template", "template-build")
            ):
                require_our_database(current, server, "template")
            leftover = find_database(connection, server.template_build)
            if leftover is not None:
                require_our_database(leftover, server, "template-build")
                drop_database(connection, server.template_build)
            built = Meta(kind="template-build", base=server.base, created_at=utc_now())
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(server.template_build)))
            # Kept through the rename: no pull request's role may connect to what every clone copies.
            restrict_database(connection, server.template_build)
            set_database_meta(connection, server.template_build, built)
            build_url = server.ci_url_for(server.template_build)
            try:
                reached = revisions.upgrade(build_url)
            except migrate.MigrationError as error:
                drop_database(connection, server.template_build)
                raise RevisionsFailedError(
                    f"building the template at {revisions.head} failed; {server.template} is unchanged: {error}"
                ) from None
            with advisory_lock(connection, "the template clone lock", TEMPLATE_CLONE_LOCK):
                if current is not None:
                    drop_database(connection, server.template, template=True)
                connection.execute(
                    sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                        sql.Identifier(server.template_build), sql.Identifier(server.template)
                    )
                )
                # Nobody may connect to a template: CREATE DATABASE ... TEMPLATE fails while anyone is.
                connection.execute(
                    sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false").format(
                        sql.Identifier(server.template)
                    )
                )
                finished = Meta(kind="template", base=server.base, created_at=utc_now())
                set_database_meta(connection, server.template, migrated_meta(finished, revisions, reached))
    log_to_stderr(f"{server.template} rebuilt at {reached}")
    return server.template


# --- command line ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m tenantguard_db.preview_db",
        description="A database per pull request on the server CI_DB_URL (or DATABASE_URL) points at.",
    )
    commands = top.add_subparsers(dest="command", required=True)
    config_help = "alembic.ini of the checkout whose revisions apply (default: this repository's)"

    repository_help = "the repository's numeric GitHub id (github.repository_id): its pull requests only"
    legacy_help = "the names made before repository ids were part of them (<base>_pr_<N>): repository unknown"

    create_command = commands.add_parser("create", help="create or migrate a pull request's database")
    # Required: a forgotten id must not fall back to a name another repository's pull request shares.
    create_command.add_argument(
        "--repository-id", type=parse_repository_id, required=True, metavar="ID", help=repository_help
    )
    create_command.add_argument("--pr", type=parse_pr_number, required=True, help="the pull request's number")
    create_command.add_argument("--config", type=Path, default=migrate.ALEMBIC_INI, help=config_help)
    create_command.add_argument("--url-to-file", type=Path, help="write the new database's URL to this file (0600)")
    create_command.add_argument(
        "--github-output",
        action="store_true",
        help="mask the new URL in the log, then write database= and url= to $GITHUB_OUTPUT",
    )
    drop_command = commands.add_parser("drop", help="drop a pull request's database (no error if already gone)")
    drop_scope = drop_command.add_mutually_exclusive_group(required=True)
    drop_scope.add_argument("--repository-id", type=parse_repository_id, metavar="ID", help=repository_help)
    drop_scope.add_argument("--legacy", action="store_true", help=legacy_help)
    drop_command.add_argument("--pr", type=parse_pr_number, required=True, help="the pull request's number")
    list_command = commands.add_parser(
        "list", help="the pull-request databases with repository, age and revision (all repositories by default)"
    )
    list_command.add_argument("--json", action="store_true", help="one JSON document instead of a table")
    list_scope = list_command.add_mutually_exclusive_group()
    list_scope.add_argument("--repository-id", type=parse_repository_id, metavar="ID", help=repository_help)
    list_scope.add_argument("--legacy", action="store_true", help=legacy_help)
    prune_command = commands.add_parser("prune", help="drop pull-request databases not migrated for DAYS days")
    prune_command.add_argument("--older-than", type=parse_days, required=True, metavar="DAYS")
    # Required: pruning every repository's databases is never what a forgotten argument should mean.
    prune_scope = prune_command.add_mutually_exclusive_group(required=True)
    prune_scope.add_argument("--repository-id", type=parse_repository_id, metavar="ID", help=repository_help)
    prune_scope.add_argument("--legacy", action="store_true", help=legacy_help)
    prune_scope.add_argument(
        "--all-repositories", action="store_true", help="every repository's pull requests and the legacy names"
    )
    prune_command.add_argument(
        "--dry-run", action="store_true", help="drop nothing; print would-drop <name> for each database it would drop"
    )
    template_command = commands.add_parser("template", help="build the template at this checkout's head (main)")
    template_command.add_argument("--config", type=Path, default=migrate.ALEMBIC_INI, help=config_help)
    return top


def run_command(args: argparse.Namespace, out: TextIO) -> None:
    try:
        url = url_from_environment()
    except MissingDatabaseUrlError as missing:
        raise UsageError(str(missing)) from None
    server = Server.from_url(url)
    if args.command in COMMANDS_WAITING_ON_LOCKS:
        read_lock_wait()  # refused before connecting: nothing is changed
    if args.command == "create":
        destinations = UrlDestinations.from_args(args.url_to_file, args.github_output)
        pr = PullRequest(args.repository_id, args.pr)
        print(create(server, pr, Revisions.load(args.config), destinations), file=out)
    elif args.command == "drop":
        dropped = drop(server, PullRequest(None if args.legacy else args.repository_id, args.pr))
        if dropped:
            print(dropped, file=out)
    elif args.command == "list":
        list_databases(server, out, args.json, Scope(args.repository_id, args.legacy))
    elif args.command == "prune":
        prune(server, args.older_than, args.dry_run, out, Scope(args.repository_id, args.legacy))
    elif args.command == "template":
        print(build_template(server, Revisions.load(args.config)), file=out)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        run_command(args, out or sys.stdout)
    except PreviewDbError as error:
        log_to_stderr(str(error))
        return error.exit_code
    except Exception as error:
        # Last resort, so no traceback can carry the URL: the error's text, masked.
        url = os.environ.get("CI_DB_URL") or os.environ.get("DATABASE_URL") or ""
        log_to_stderr(explain_database_error(error, url, f"{args.command} failed ({type(error).__name__})"))
        return EXIT_FAILED
    return EXIT_OK
