"""Hands a database login to the PostgreSQL provider of a stack generating its database credentials, as PG* variables.

    python -m tools.pg_env --stack S --generates                       exit 0 if S generates them, 1 if not
    python -m tools.pg_env --stack S --url-variable DB_ADMIN_URL --pin-search-path
                                                                       the deploy job: the administrative login
    python -m tools.pg_env --stack S --url-variable DB_OBSERVER_URL    the drift check: the stack's observer login

The URL comes from the named variable (a secret of the job's environment, or an output the job read), never from an
argument. It must name the database the stack's `databaseServer` names, or nothing is written and the job stops:
the provider connects to the stack's coordinates anyway (infra/components/database_roles.py sets them), so a login
for another server would only fail later, after the GitHub secrets were written. PGHOST, PGPORT, PGDATABASE, PGUSER,
PGPASSWORD and PGSSLMODE are appended to $GITHUB_ENV for the job's later steps: the Terraform provider reads them as
the defaults of host, port, database, username, password and sslmode (postgresql/provider.go, EnvDefaultFunc, in
cyrilgdn/terraform-provider-postgresql at ff936b95, which pulumi-postgresql 3.18.0 wraps), and Pulumi never records
them (the bridge's CheckConfig returns the program's inputs only). The password is masked first.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TextIO

import psycopg
from psycopg import sql

from infra.tables.database_roles import CATALOG_ONLY, CREDENTIALS_KEY, GENERATED, SERVER_KEY
from tenantguard_db.urls import DEFAULT_PORT, UnsafeUrlError, parse_postgres_url
from tools import evaluator


def admin_url_problem(url: str, database_server: str) -> str | None:
    """Why `url` is not a login for the database `database_server` names, or None; never quotes either."""
    try:
        given = parse_postgres_url(url)
    except UnsafeUrlError as refused:
        return str(refused)
    if not given.user or given.password is None:
        return "has no user or no password; expected postgresql://ADMIN:{password}@HOST:PORT/DATABASE"
    if any(not character.isprintable() for character in (given.user + given.password)):
        return "has a control character in its user or password (percent-encoded); set the URL without one"
    try:
        server = parse_postgres_url(database_server)
    except UnsafeUrlError:
        return "cannot be compared: the stack's databaseServer is not a valid URL (the stack's plan says why)"
    if given.identity() != server.identity():
        return (
            "names another server or database than the stack's databaseServer (host, port and database name "
            "differ); set the administrative login of that database"
        )
    return None


def variables(url: str, database_server: str) -> dict[str, str]:
    """The PG* variables for `url`, a login for the database `database_server` names (checked first)."""
    given = parse_postgres_url(url)
    server = parse_postgres_url(database_server)
    found = {
        "PGHOST": server.host,
        "PGPORT": server.port or DEFAULT_PORT,
        "PGDATABASE": server.dbname,
        "PGUSER": str(given.user),
        "PGPASSWORD": str(given.password),
    }
    if server.sslmode:
        found["PGSSLMODE"] = server.sslmode
    return found


PINNED = ", ".join(CATALOG_ONLY)


def pin_search_path(url: str) -> str | None:
    """Make the administrative login resolve names in the system catalog only, in the stack's database; a problem
    (never quoting the URL), or None once a new session shows the setting.

    The provider runs its queries as this login with unqualified built-ins (`array_agg(privilege_type)` when it reads
    a grant, cyrilgdn/terraform-provider-postgresql resource_postgresql_grant.go), and the migrator group, which
    CI_DB_URL acts as, owns schema public: on PostgreSQL's default path ("$user", public) a `public.array_agg(text)`
    it planted would be an exact match and run as the administrator (docs, "Function Type Resolution"). A role may
    set its own defaults, also per database (docs, "ALTER ROLE"), and a role-and-database setting outranks the
    database's own, which the migrator could otherwise set if it owned the database.
    """
    database = parse_postgres_url(url).dbname
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as connection:
            connection.execute(
                sql.SQL("ALTER ROLE CURRENT_USER IN DATABASE {} SET search_path TO {}").format(
                    sql.Identifier(database), sql.SQL(", ").join(map(sql.Identifier, CATALOG_ONLY))
                )
            )
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as connection:
            row = connection.execute("SELECT pg_catalog.current_setting('search_path')").fetchone()
    except psycopg.Error as failed:
        return f"could not set the login's search_path in its database ({type(failed).__name__})"
    if row is None or row[0] != PINNED:
        return f"still resolves names outside the catalog in its database (search_path is not {PINNED})"
    return None


def _stack_config(stack: str, directory: Path) -> dict[str, str]:
    return evaluator.stack_config(stack, directory)


def main(argv: list[str] | None = None, out: TextIO = sys.stdout, directory: Path = evaluator.ROOT) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.pg_env", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True)
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--generates", action="store_true", help="exit 0 if the stack generates its credentials")
    what.add_argument("--url-variable", help="the environment variable holding the login's URL")
    parser.add_argument(
        "--pin-search-path",
        action="store_true",
        help="the administrative login: set its search_path in the stack's database to the catalog only, first",
    )
    args = parser.parse_args(argv)
    try:
        config = _stack_config(args.stack, directory)
    except FileNotFoundError as missing:
        print(f"pg_env: {missing}", file=sys.stderr)
        return 2
    generated = config.get(CREDENTIALS_KEY) == GENERATED
    if args.generates:
        return 0 if generated else 1
    return _hand_over(argparse.Namespace(**vars(args), generated=generated), config, out)


def _hand_over(args: argparse.Namespace, config: dict[str, str], out: TextIO) -> int:
    """Check the login's URL against the stack's databaseServer, then append its PG* variables to $GITHUB_ENV."""
    generated = bool(args.generated)
    url = os.environ.get(args.url_variable, "").strip()
    if not generated:
        if url:
            print(
                f"pg_env: {args.url_variable} is set, but {args.stack} does not generate its database credentials: "
                "nothing uses it; remove it from the CI project's config (dbAdminUrls)",
                file=sys.stderr,
            )
        return 0
    if not url:
        print(
            f"pg_env: {args.stack} generates its database credentials, and {args.url_variable} is empty: set it in the "
            f"CI project (`pulumi config set --secret --path 'dbAdminUrls.{args.stack}'`, then its `pulumi up`)",
            file=sys.stderr,
        )
        return 1
    server = config.get(SERVER_KEY, "")
    problem = admin_url_problem(url, server)
    found = variables(url, server) if problem is None else {}
    if any(not value.isprintable() for value in found.values()):
        # A percent-encoded line break would start another variable in $GITHUB_ENV.
        problem = "holds a control character (in the stack's databaseServer)"
    if problem is None:
        print(f"::add-mask::{found['PGPASSWORD']}", file=out)
        if args.pin_search_path:
            problem = pin_search_path(url)
    if problem is not None:
        print(f"pg_env: {args.url_variable} {problem}; nothing was written", file=sys.stderr)
        return 1
    target = os.environ.get("GITHUB_ENV")
    if not target:
        print("pg_env: GITHUB_ENV is not set (this runs in a GitHub Actions job)", file=sys.stderr)
        return 2
    with Path(target).open("a", encoding="utf-8") as environment:
        environment.writelines(f"{name}={value}\n" for name, value in found.items())
    print(f"pg_env: {args.url_variable}'s login for {args.stack}'s database handed to the provider", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
