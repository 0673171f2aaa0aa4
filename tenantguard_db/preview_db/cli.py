"""The command line: the arguments (each checked by its argparse type before anything connects), the subcommand they
select, and what a failure leaves on stderr and in the exit code."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from tenantguard_db import migrate
from tenantguard_db.preview_db.commands.create import create
from tenantguard_db.preview_db.commands.drop import drop
from tenantguard_db.preview_db.commands.list import list_databases
from tenantguard_db.preview_db.commands.prune import prune
from tenantguard_db.preview_db.commands.template import build_template
from tenantguard_db.preview_db.console import log_to_stderr
from tenantguard_db.preview_db.errors import PreviewDbError, UsageError, database_error
from tenantguard_db.preview_db.handout import UrlDestinations
from tenantguard_db.preview_db.locks import read_lock_wait
from tenantguard_db.preview_db.names import (
    MAX_PR,
    MAX_REPOSITORY_ID,
    PR_NUMBER_PATTERN,
    REPOSITORY_ID_PATTERN,
    PullRequest,
    Scope,
)
from tenantguard_db.preview_db.revisions import Revisions
from tenantguard_db.preview_db.server import Server, statement_limits
from tenantguard_db.preview_db.status_codes import EXIT_FAILED, EXIT_OK
from tenantguard_db.urls import MissingDatabaseUrlError, url_from_environment

# The subcommands that wait on an advisory lock, bounded by TENANTGUARD_MIGRATION_LOCK_WAIT; list and prune take
# none (prune only tries a pull request's lock, and keeps that pull request when it is held).
COMMANDS_WAITING_ON_LOCKS = frozenset({"create", "drop", "template"})


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


def build_parser() -> argparse.ArgumentParser:
    """The five subcommands and their arguments, each checked by its argparse type (exit 2 on a bad one)."""
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
    """Run the subcommand `args` name against CI_DB_URL's server, its result on `out`; a failure fit to print
    raises PreviewDbError."""
    try:
        url = url_from_environment()
    except MissingDatabaseUrlError as missing:
        raise UsageError(str(missing)) from None
    server = Server.from_url(url)
    if args.command in COMMANDS_WAITING_ON_LOCKS:
        read_lock_wait()  # refused before connecting: nothing is changed
    if args.command != "list":
        statement_limits()  # what bounds the statements in pull-request databases, refused before connecting too
    if args.command == "create":
        destinations = UrlDestinations.from_args(args.url_to_file, args.github_output)
        try:
            pr = PullRequest(args.repository_id, args.pr)
            print(create(server, pr, Revisions.load(args.config), destinations), file=out)
        finally:
            destinations.close()
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
    """The command: its exit code (status_codes), every failure said once on stderr, masked."""
    args = build_parser().parse_args(argv)
    try:
        run_command(args, out or sys.stdout)
    except PreviewDbError as error:
        log_to_stderr(str(error))
        return error.exit_code
    except Exception as error:
        # Last resort, so no traceback can carry the URL: the error's text, masked.
        url = os.environ.get("CI_DB_URL") or os.environ.get("DATABASE_URL") or ""
        log_to_stderr(str(database_error(error, url, f"{args.command} failed ({type(error).__name__})")))
        return EXIT_FAILED
    return EXIT_OK
