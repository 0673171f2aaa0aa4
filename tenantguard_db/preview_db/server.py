"""The server CI_DB_URL points at: the names derived from its database, the URLs, the CI role's sessions."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, TypeAlias

import psycopg
from psycopg.conninfo import conninfo_to_dict

from tenantguard_db import session
from tenantguard_db.preview_db.errors import UsageError, database_error
from tenantguard_db.preview_db.names import (
    BASE_NAME_PATTERN,
    LONGEST_PR_SUFFIX,
    MAX_BASE_BYTES,
    MAX_IDENTIFIER_BYTES,
    MAX_PR,
    MAX_REPOSITORY_ID,
    PR_INFIX,
    PR_NUMBER_PATTERN,
    REPOSITORY_PR_PATTERN,
    TEMPLATE_BUILD_SUFFIX,
    TEMPLATE_SUFFIX,
    PullRequest,
)
from tenantguard_db.urls import UnsafeUrlError, mask_url, parse_postgres_url

# A session of the CI role as psycopg opens it (rows as tuples): what every module that talks to the server takes.
Connection: TypeAlias = psycopg.Connection[tuple[Any, ...]]


@dataclass(frozen=True)
class Server:
    """The server CI_DB_URL points at, and the names derived from its database (the base)."""

    url: str = field(repr=False)  # carries the password
    base: str = ""

    @classmethod
    def from_url(cls, url: str) -> Server:
        """The server of `url`, refused (before connecting) unless libpq reads it as URL parsers do and its database
        can be the base of every derived name."""
        try:
            # libpq's reading of the URL, refused where URL parsers would read it otherwise.
            base = parse_postgres_url(url).dbname
        except UnsafeUrlError as refused:
            raise UsageError(f"CI_DB_URL {refused}") from None
        base = str(base)
        # The name is not quoted: a refused one may be a fragment of the password (shown by allow-list only).
        if not BASE_NAME_PATTERN.fullmatch(base):
            raise UsageError(
                "the database in CI_DB_URL is not accepted as a base name: use ASCII letters, "
                "digits and underscores, not starting with a digit"
            )
        if len(base) > MAX_BASE_BYTES:
            raise UsageError(
                f"the database in CI_DB_URL is {len(base)} bytes; the names derived from it, the longest "
                f"being <database>{PR_INFIX}<repository id, up to {len(str(MAX_REPOSITORY_ID))} digits>_<pull request "
                f"number, up to {len(str(MAX_PR))} digits> ({len(LONGEST_PR_SUFFIX)} bytes after the base), must fit "
                f"PostgreSQL's {MAX_IDENTIFIER_BYTES}-byte identifier limit: use a base database name of at most "
                f"{MAX_BASE_BYTES} bytes"
            )
        return cls(url=url, base=base)

    def pr_name(self, pr: PullRequest) -> str:
        """<base>_pr_<repository id>_<number>, or a legacy <base>_pr_<number>: built from validated integers only."""
        if pr.repository is None:
            return f"{self.base}{PR_INFIX}{pr.number}"
        return f"{self.base}{PR_INFIX}{pr.repository}_{pr.number}"

    def pr_role(self, pr: PullRequest) -> str:
        """The pull request's login role: the name of its database (roles and databases are separate namespaces)."""
        return self.pr_name(pr)

    @property
    def template(self) -> str:
        """<base>_pr_template: the database every pull request's is cloned from."""
        return self.base + TEMPLATE_SUFFIX

    @property
    def template_build(self) -> str:
        """<base>_pr_template_next: where the next template is built before it is swapped in."""
        return self.base + TEMPLATE_BUILD_SUFFIX

    def pr_from_name(self, name: str) -> PullRequest | None:
        """The pull request a name of the form <base>_pr_<repository id>_<number> (or the legacy
        <base>_pr_<number>) stands for, or None; only the exact spelling pr_name gives."""
        prefix = self.base + PR_INFIX
        rest = name[len(prefix) :] if name.startswith(prefix) else ""
        if match := REPOSITORY_PR_PATTERN.fullmatch(rest):
            repository, number = int(match[1]), int(match[2])
            return PullRequest(repository, number) if repository <= MAX_REPOSITORY_ID and number <= MAX_PR else None
        return PullRequest(None, int(rest)) if PR_NUMBER_PATTERN.fullmatch(rest) and int(rest) <= MAX_PR else None

    @property
    def template_owner(self) -> str:
        """<base>_pr_template, a role: owns every object in the template (never the template itself, nor any other
        database), so a clone's objects can be handed to its pull request's role in one REASSIGN OWNED."""
        return self.base + TEMPLATE_SUFFIX

    def ci_url_for(self, database: str) -> str:
        """The base URL with only its database replaced, built from the parsed parts: the CI role's own; never
        handed to a deployment or to a process that runs revision files."""
        return parse_postgres_url(self.url).with_database(database)

    def role_url(self, role: str, password: str, database: str) -> str:
        """A URL for `role` with `password` on `database`: CI_DB_URL's host, port and connection parameters, without
        those that belong to the CI role's own sessions (its session settings, its client certificate)."""
        ci = parse_postgres_url(self.url)
        parameters = tuple((name, value) for name, value in ci.parameters if name not in CI_ROLE_PARAMETERS)
        return replace(ci, user=role, password=password, parameters=parameters).with_database(database)

    def deployment_url(self, pr: PullRequest, password: str) -> str:
        """The URL a pull request's deployment gets (and its migrations run with): its own role and password, its
        own database."""
        return self.role_url(self.pr_role(pr), password, self.pr_name(pr))

    @contextlib.contextmanager
    def maintenance_session(self) -> Iterator[Connection]:
        """An autocommit session on the base database: where the locks live and databases are created. Its waits
        are bounded by the lock wait (locks.set_lock_wait), not by a statement timeout."""
        with connect(self.ci_url_for(self.base), statement_timeout="0") as connection:
            yield connection

    @contextlib.contextmanager
    def session(self, database: str, server_version: int) -> Iterator[Connection]:
        """An autocommit session of the CI role on another database (a new clone, a template build, one to clean
        up), each statement and lock wait bounded as a revision's are (TENANTGUARD_STATEMENT_TIMEOUT,
        TENANTGUARD_LOCK_TIMEOUT), whatever its owner set. `server_version` (the maintenance session's
        info.server_version) says which settings the server knows: naming one it does not know fails the connection."""
        settings = statement_limits()
        if server_version >= SETTINGS_SINCE_17:
            # PostgreSQL 17's transaction_timeout ends the session itself: its owner could set it to a millisecond.
            settings["transaction_timeout"] = "0"
        with connect(self.ci_url_for(database), **settings) as connection:
            yield connection


def statement_limits() -> dict[str, str]:
    """lock_timeout and statement_timeout as the migrations read them; bad input, refused as such."""
    try:
        return {
            limit.setting or "": session.read(limit).text for limit in (session.LOCK_TIMEOUT, session.STATEMENT_TIMEOUT)
        }
    except session.LimitError as refused:
        raise UsageError(str(refused)) from None


# The query parameters of CI_DB_URL that are the CI role's own: its session settings, and its client certificate
# (a migration or a deployment must not present the CI role's identity, nor run with the CI role's settings).
CI_ROLE_PARAMETERS = frozenset({"options", "sslcert", "sslkey"})

SETTINGS_SINCE_17 = 170000  # server_version_num of PostgreSQL 17

# What every session this command opens is pinned to, in the connection request itself, where they win over what the
# database's owner set with ALTER DATABASE ... SET (a pull request's role owns its database and may set any of these
# there): names resolve in pg_catalog only, the session acts as the role that logged in, and nothing ends or freezes
# it between statements.
PINNED_SETTINGS = {
    "search_path": "pg_catalog,pg_temp",
    "role": "none",
    "default_transaction_read_only": "off",
    "idle_session_timeout": "0",
    "idle_in_transaction_session_timeout": "0",
    "exit_on_error": "off",
    "local_preload_libraries": "",
}


@contextlib.contextmanager
def connect(url: str, **settings: str) -> Iterator[Connection]:
    """An autocommit session on `url` with PINNED_SETTINGS and `settings` (after any options the URL gives), or an
    error fit to print."""
    given = conninfo_to_dict(url)
    pinned = " ".join(f"-c {name}={value}" for name, value in {**PINNED_SETTINGS, **settings}.items())
    options: dict[str, Any] = {
        "application_name": "tenantguard-preview-db",
        "options": f"{given['options']} {pinned}" if given.get("options") else pinned,
    }
    if "connect_timeout" not in given:
        options["connect_timeout"] = 15
    try:
        connection = psycopg.connect(url, autocommit=True, **options)
    except psycopg.Error as error:
        raise database_error(error, url, f"cannot connect to {mask_url(url)}") from None
    with connection:
        yield connection
