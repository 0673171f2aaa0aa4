"""One database per pull request on the server CI_DB_URL points at, cloned from a template kept at main's head.

    python -m tenantguard_db.preview_db {create --pr N,drop --pr N,list,prune --older-than DAYS,template}

The contract (stdout, stderr, exit codes) and the role's privileges are in workorders/WO-ci-secrets.md,
section "Preview databases per pull request".
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import functools
import hashlib
import json
import logging
import os
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

import psycopg
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from alembic import command
from tenantguard_db import migrate, session
from tenantguard_db.urls import (
    MissingDatabaseUrlError,
    UnsafeUrlError,
    mask_error,
    mask_url,
    parse_postgres_url,
    url_from_environment,
)

WORK_ORDER = 'workorders/WO-ci-secrets.md, section "Preview databases per pull request"'
MARKER = "tenantguard_preview"
PR_INFIX = "_pr_"
TEMPLATE_SUFFIX = "_pr_template"
BUILD_SUFFIX = "_pr_template_next"
MAX_IDENTIFIER_BYTES = 63  # PostgreSQL's NAMEDATALEN - 1: longer names are silently truncated
MAX_PR = 2**31 - 1  # the per-PR advisory lock takes the number as its int4 second key
MAX_BASE_BYTES = MAX_IDENTIFIER_BYTES - len(BUILD_SUFFIX)  # the longest name derived from the base
_PR_NUMBER = re.compile(r"[1-9][0-9]{0,9}")
_BASE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Advisory locks live in the maintenance (base) database every run connects to. The two-key form
# (namespace, PR number) never collides with the one-key locks below or with env.py's migration lock.
PR_LOCK_NAMESPACE = 0x7E4A_5052
# Held through a template build, so two runs on main never build at once.
BUILD_LOCK = 0x7E4A_6E47_0B17_7E00
# Shared by each clone, exclusive for the template swap: CREATE DATABASE ... TEMPLATE fails if the
# template is being dropped or renamed under it.
CLONE_LOCK = 0x7E4A_6E47_0C10_7E00

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_REVISIONS_FAILED = 3


class PreviewDbError(RuntimeError):
    """A failure with a message fit to print: no password, and what to do about it."""

    exit_code = EXIT_FAILED


class UsageError(PreviewDbError):
    """Bad input: nothing was changed."""

    exit_code = EXIT_USAGE


class RevisionsFailedError(PreviewDbError):
    """A revision failed; the database stays at its last good revision."""

    exit_code = EXIT_REVISIONS_FAILED


def note(message: str) -> None:
    print(f"preview-db: {message}", file=sys.stderr, flush=True)


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0)


# --- names and URLs ----------------------------------------------------------------------------


def pr_number(value: str) -> int:
    """argparse type for --pr: the pull request's number, ASCII digits only, 1..2^31-1."""
    if not _PR_NUMBER.fullmatch(value) or int(value) > MAX_PR:
        raise argparse.ArgumentTypeError(
            f"takes the pull request's number, a positive integer from 1 to {MAX_PR} "
            f"without sign or leading zeros; got {value!r}"
        )
    return int(value)


def days(value: str) -> int:
    """argparse type for --older-than: whole days, at least 1."""
    if not re.fullmatch(r"[1-9][0-9]{0,4}", value):
        raise argparse.ArgumentTypeError(f"takes a whole number of days from 1 to 99999; got {value!r}")
    return int(value)


@dataclass(frozen=True)
class Server:
    """The server CI_DB_URL points at, and the names derived from its database (the base)."""

    url: str = field(repr=False)  # carries the password
    base: str = ""

    @classmethod
    def from_url(cls, url: str) -> Server:
        try:
            # libpq's reading of the URL, refused where URL parsers would read it otherwise.
            base = parse_postgres_url(url).dbname
        except UnsafeUrlError as refused:
            raise UsageError(f"CI_DB_URL {refused}") from None
        base = str(base)
        if not _BASE_NAME.fullmatch(base):
            raise UsageError(
                f"the database in CI_DB_URL, {base!r}, is not accepted as a base name: use ASCII letters, "
                "digits and underscores, not starting with a digit"
            )
        if len(base) > MAX_BASE_BYTES:
            raise UsageError(
                f"the database in CI_DB_URL, {base!r}, is {len(base)} bytes; the names derived from it "
                f"(up to {base}{BUILD_SUFFIX}) must fit PostgreSQL's {MAX_IDENTIFIER_BYTES}-byte identifier "
                f"limit: use a base database name of at most {MAX_BASE_BYTES} bytes"
            )
        return cls(url=url, base=base)

    def pr_name(self, number: int) -> str:
        return f"{self.base}{PR_INFIX}{number}"

    @property
    def template(self) -> str:
        return self.base + TEMPLATE_SUFFIX

    @property
    def build(self) -> str:
        return self.base + BUILD_SUFFIX

    def pr_number_of(self, name: str) -> int | None:
        """The number in a name of the form <base>_pr_<number>, or None."""
        prefix = self.base + PR_INFIX
        rest = name[len(prefix) :] if name.startswith(prefix) else ""
        return int(rest) if _PR_NUMBER.fullmatch(rest) and int(rest) <= MAX_PR else None

    def url_for(self, database: str) -> str:
        """The base URL with only its database replaced, built from the parsed parts."""
        return parse_postgres_url(self.url).with_database(database)

    def password(self) -> str:
        return str(conninfo_to_dict(self.url).get("password") or "")

    @contextlib.contextmanager
    def maintenance(self) -> Iterator[psycopg.Connection[tuple[Any, ...]]]:
        """An autocommit session on the base database: where the locks live and databases are created."""
        options: dict[str, Any] = {"application_name": "tenantguard-preview-db"}
        if "connect_timeout" not in conninfo_to_dict(self.url):
            options["connect_timeout"] = 15
        try:
            connection = psycopg.connect(self.url, autocommit=True, **options)
        except psycopg.Error as error:
            raise PreviewDbError(explain(error, self.url, f"cannot connect to {mask_url(self.url)}")) from None
        with connection:
            yield connection


def explain(error: BaseException, url: str, doing: str) -> str:
    """A database error as a message: masked, with what to do for the failures an operator can fix."""
    text = mask_error(error, url).strip()
    state = getattr(error, "sqlstate", None)
    hint = ""
    if state == "42501":
        hint = (
            " The preview role needs CREATEDB and must own the pull-request databases and the template; "
            f"the SQL an administrator runs once is in {WORK_ORDER}."
        )
    elif state == "53300" or "too many connections" in text or "too many clients" in text:
        hint = (
            " A connection limit is reached (the role's or the database's CONNECTION LIMIT, or the server's "
            "max_connections); each run needs two connections at once, and every open preview holds its own: "
            f"close idle previews (prune) or raise the limit ({WORK_ORDER})."
        )
    elif state == "55P03":
        hint = f" Another run held the lock longer than {session.LOCK_WAIT.variable} allows."
    elif state == "55006":
        hint = " Someone is connected to that database; the template must have no sessions."
    return f"{doing}: {text}{hint}"


def lock_wait() -> session.Duration:
    """TENANTGUARD_MIGRATION_LOCK_WAIT, read exactly as the migrations read it (tenantguard_db.session)."""
    try:
        return session.read(session.LOCK_WAIT)
    except session.LimitError as refused:
        raise UsageError(str(refused)) from None


# --- the metadata each database we own carries in its comment ----------------------------------


@dataclass(frozen=True)
class Meta:
    """What COMMENT ON DATABASE records: only databases carrying it for this base are ever touched."""

    kind: str  # "pr", "template" or "template-build"
    base: str
    created_at: datetime.datetime
    pr: int | None = None
    migrated_at: datetime.datetime | None = None
    revision: str | None = None
    fingerprint: str | None = None

    def comment(self) -> str:
        return json.dumps(
            {
                MARKER: self.kind,
                "base": self.base,
                "pr": self.pr,
                "created_at": self.created_at.isoformat(),
                "migrated_at": self.migrated_at.isoformat() if self.migrated_at else None,
                "revision": self.revision,
                "fingerprint": self.fingerprint,
            },
            sort_keys=True,
        )

    @classmethod
    def parse(cls, comment: str | None) -> Meta | None:
        try:
            data = json.loads(comment or "")
            migrated = data.get("migrated_at")
            return cls(
                kind=str(data[MARKER]),
                base=str(data["base"]),
                pr=int(data["pr"]) if data.get("pr") is not None else None,
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


@dataclass(frozen=True)
class Found:
    """A database that exists, with our metadata if it carries it."""

    name: str
    meta: Meta | None


def find(connection: psycopg.Connection[tuple[Any, ...]], name: str) -> Found | None:
    row = connection.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", (name,)
    ).fetchone()
    return None if row is None else Found(name, Meta.parse(row[0]))


def owned(found: Found, server: Server, kind: str, number: int | None = None) -> Meta:
    """The metadata of a database we created, or an error that leaves a database we did not create alone."""
    meta = found.meta
    if meta is None or meta.base != server.base or meta.kind != kind or meta.pr != number:
        raise PreviewDbError(
            f"database {found.name} exists but was not created by this command (no matching "
            f"{MARKER} comment); it is left alone. If it is a leftover, drop it by hand: DROP DATABASE {found.name};"
        )
    return meta


def set_meta(connection: psycopg.Connection[tuple[Any, ...]], name: str, meta: Meta) -> None:
    connection.execute(
        sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(meta.comment()))
    )


# --- the checkout's revisions ------------------------------------------------------------------


@dataclass(frozen=True)
class Revisions:
    """A checkout's Alembic revisions: its single head, its ancestry and a fingerprint of each history."""

    ini: Path
    script: ScriptDirectory
    head: str

    @classmethod
    def load(cls, ini: Path) -> Revisions:
        if not ini.is_file():
            raise UsageError(f"--config {ini}: no such file; give the alembic.ini of the checkout to migrate from")
        try:
            script = ScriptDirectory.from_config(Config(str(ini)))
            heads = script.get_heads()
        except CommandError as error:
            raise UsageError(f"--config {ini}: {error}") from None
        except Exception as error:
            # A revision file that does not even import is the pull request's own failure.
            raise RevisionsFailedError(
                f"the revision files of {ini} cannot be loaded: {type(error).__name__}: {error}"
            ) from None
        if len(heads) != 1:
            raise UsageError(
                f"{script.dir}/versions has {len(heads)} heads ({', '.join(sorted(heads)) or 'none'}); "
                "merge them into one (alembic merge heads) before a preview database can be migrated"
            )
        return cls(ini=ini, script=script, head=heads[0])

    @functools.cached_property
    def history(self) -> frozenset[str]:
        """The head and every revision it descends from."""
        return frozenset(script.revision for script in self.script.iterate_revisions(self.head, "base"))

    def fingerprint(self, revision: str | None) -> str | None:
        """A hash of the files of `revision` and its ancestors: equal only if that history is unchanged."""
        if revision is None:
            return None
        digest = hashlib.sha256()
        for script in sorted(self.script.iterate_revisions(revision, "base"), key=lambda s: s.revision):
            digest.update(script.revision.encode() + b"\0" + Path(script.path).read_bytes() + b"\0")
        return digest.hexdigest()

    def why_not_from(self, revision: str | None, fingerprint: str | None) -> str | None:
        """Why a database at `revision` (migrated from files hashing to `fingerprint`) cannot be
        upgraded to this head, or None when it can."""
        if revision is None:
            return None
        if revision not in self.history:
            return f"it is at {revision}, which this checkout's history (up to {self.head}) does not contain"
        if fingerprint != self.fingerprint(revision):
            return f"the revision files up to {revision} differ from the ones it was migrated with"
        return None

    def upgrade(self, url: str) -> str | None:
        """Upgrade through the locked env.py path (advisory lock, timeouts); returns the revision reached."""
        config = Config(str(self.ini))
        # The same attributes as every other in-process upgrade (no logger reconfiguration, no models).
        config.attributes.update(migrate.upgrade_config(url).attributes)
        try:
            command.upgrade(config, "head")
        except Exception as error:
            raise migrate.MigrationError(mask_error(error, url)) from None
        return migrate.current_revision(url)


# --- locks -------------------------------------------------------------------------------------


def set_lock_wait(connection: psycopg.Connection[tuple[Any, ...]]) -> None:
    connection.execute("SELECT set_config('lock_timeout', %s, false)", (lock_wait().text,))


@contextlib.contextmanager
def advisory(
    connection: psycopg.Connection[tuple[Any, ...]], what: str, *keys: int, shared: bool = False
) -> Iterator[None]:
    kind = "_shared" if shared else ""
    arguments = sql.SQL(", ").join(sql.SQL("%s::int4" if len(keys) == 2 else "%s::int8") for _ in keys)
    try:
        connection.execute(sql.SQL(f"SELECT pg_advisory_lock{kind}({{}})").format(arguments), keys)
    except psycopg.errors.LockNotAvailable:
        raise PreviewDbError(
            f"gave up waiting for {what} after {lock_wait()} ({session.LOCK_WAIT.variable}); another run holds it"
        ) from None
    try:
        yield
    finally:
        # A session that died has released its locks already; its error is the one worth reporting.
        with contextlib.suppress(psycopg.Error):
            connection.execute(sql.SQL(f"SELECT pg_advisory_unlock{kind}({{}})").format(arguments), keys)


def try_pr_lock(connection: psycopg.Connection[tuple[Any, ...]], number: int) -> bool:
    row = connection.execute("SELECT pg_try_advisory_lock(%s::int4, %s::int4)", (PR_LOCK_NAMESPACE, number)).fetchone()
    return bool(row and row[0])


def require_createdb(connection: psycopg.Connection[tuple[Any, ...]]) -> None:
    row = connection.execute(
        "SELECT current_user, rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user"
    ).fetchone()
    if row is None or not row[1]:
        role = str(row[0]) if row else "the preview role"
        grant = sql.SQL("ALTER ROLE {} CREATEDB;").format(sql.Identifier(role)).as_string(connection)
        raise PreviewDbError(
            f"role {role} cannot create databases: it lacks the CREATEDB privilege. "
            f"An administrator runs once: {grant} (see {WORK_ORDER})"
        )


def drop_database(connection: psycopg.Connection[tuple[Any, ...]], name: str, *, template: bool = False) -> None:
    if template:
        connection.execute(sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE false").format(sql.Identifier(name)))
    # FORCE ends the sessions of the preview app still connected to it (PostgreSQL 13+).
    connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


# --- the subcommands ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Outputs:
    """Where create puts the new database's URL: never on stdout or stderr."""

    url_file: Path | None
    github_output: Path | None

    @classmethod
    def from_args(cls, url_file: Path | None, github: bool) -> Outputs:
        if url_file is not None and (url_file.is_symlink() or not url_file.parent.is_dir()):
            raise UsageError(f"--url-to-file {url_file}: give a path in an existing directory, not a symlink")
        github_output = None
        if github:
            value = os.environ.get("GITHUB_OUTPUT", "")
            if not value:
                raise UsageError("--github-output needs GITHUB_OUTPUT, which GitHub Actions sets in a workflow step")
            github_output = Path(value)
        return cls(url_file, github_output)

    def mask(self, server: Server, url: str) -> None:
        """Register the new URL and the password with the runner's log masker, before anything else runs."""
        if self.github_output is None:
            return
        password = server.password()
        for value in dict.fromkeys((url, password, quote(password, safe=""))):
            if value:
                # The runner reads workflow commands on stderr as well as stdout (actions/runner,
                # src/Runner.Worker/Handlers/ScriptHandler.cs: an OutputManager on each), so a
                # caller capturing stdout never swallows them. Data escaping per actions/runner
                # src/Runner.Common/ActionCommand.cs (_escapeDataMappings).
                escaped = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
                print(f"::add-mask::{escaped}", file=sys.stderr, flush=True)

    def write(self, name: str, url: str) -> None:
        if "\n" in url or "\r" in url:
            # One line per output in $GITHUB_OUTPUT; a line break would let the value forge another.
            raise PreviewDbError(f"the URL of {name} contains a line break; check CI_DB_URL")
        try:
            if self.url_file is not None:
                flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
                descriptor = os.open(self.url_file, flags, 0o600)
                os.fchmod(descriptor, 0o600)
                with os.fdopen(descriptor, "w") as handle:
                    handle.write(url)
            if self.github_output is not None:
                with self.github_output.open("a") as handle:
                    handle.write(f"database={name}\nurl={url}\n")
        except OSError as error:
            raise PreviewDbError(f"{name} is ready, but its URL could not be written: {error}") from None


def create(server: Server, number: int, revisions: Revisions, outputs: Outputs) -> str:
    name = server.pr_name(number)
    url = server.url_for(name)
    outputs.mask(server, url)
    with server.maintenance() as connection:
        set_lock_wait(connection)
        require_createdb(connection)
        with advisory(connection, f"the lock of pull request {number}", PR_LOCK_NAMESPACE, number):
            found = find(connection, name)
            meta = None if found is None else owned(found, server, "pr", number)
            if meta is not None:
                reason = revisions.why_not_from(current_revision(url, name), meta.fingerprint)
                if reason is None:
                    note(f"{name} exists; migrating it to {revisions.head}")
                else:
                    note(f"{name} is recreated: {reason}")
                    drop_database(connection, name)
                    meta = None
            if meta is None:
                meta = Meta(kind="pr", base=server.base, pr=number, created_at=now())
                clone_or_create(connection, server, name, revisions)
                set_meta(connection, name, meta)
            try:
                reached = revisions.upgrade(url)
            except migrate.MigrationError as error:
                failure = f"migrating {name} to {revisions.head} failed: {error}"
                try:
                    reached = current_revision(url, name)
                except PreviewDbError as unreadable:
                    raise PreviewDbError(f"{failure}; then {unreadable}") from None
                set_meta(connection, name, migrated(meta, revisions, reached))
                raise RevisionsFailedError(f"{failure}; it stays at {reached or 'no revision'}") from None
            set_meta(connection, name, migrated(meta, revisions, reached))
    note(f"{name} is at {reached}")
    outputs.write(name, url)
    return name


def migrated(meta: Meta, revisions: Revisions, reached: str | None) -> Meta:
    return replace(meta, migrated_at=now(), revision=reached, fingerprint=revisions.fingerprint(reached))


def current_revision(url: str, name: str) -> str | None:
    try:
        return migrate.current_revision(url)
    except migrate.MigrationError as error:
        raise PreviewDbError(explain(error, url, f"cannot read the revision of {name}")) from None


def clone_or_create(
    connection: psycopg.Connection[tuple[Any, ...]], server: Server, name: str, revisions: Revisions
) -> None:
    """Clone the template when the checkout descends from it; otherwise an empty database, migrated from base."""
    with advisory(connection, "the template (being rebuilt)", CLONE_LOCK, shared=True):
        found = find(connection, server.template)
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
                    raise PreviewDbError(explain(error, server.url, f"cannot clone {server.template}")) from None
                note(f"{name} created from {server.template} at {meta.revision}")
                return
            reason = (
                f"{server.template} cannot be cloned: {why} (a pull request behind main, or one that edited "
                "main's revisions, starts empty; merging main lets the next database be cloned)"
            )
    try:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as error:
        raise PreviewDbError(explain(error, server.url, f"cannot create {name}")) from None
    note(f"{name} created empty and migrated from base: {reason}")


def drop(server: Server, number: int) -> str | None:
    name = server.pr_name(number)
    with server.maintenance() as connection:
        set_lock_wait(connection)
        with advisory(connection, f"the lock of pull request {number}", PR_LOCK_NAMESPACE, number):
            found = find(connection, name)
            if found is None:
                note(f"{name} does not exist; nothing to drop")
                return None
            owned(found, server, "pr", number)
            drop_database(connection, name)
    note(f"{name} dropped")
    return name


@dataclass(frozen=True)
class PrDatabase:
    """A pull-request database of this base, carrying our metadata."""

    name: str
    number: int
    meta: Meta

    def row(self, revision: str | None, at: datetime.datetime) -> dict[str, Any]:
        return {
            "database": self.name,
            "pr": self.number,
            "revision": revision,
            "created_at": self.meta.created_at.isoformat(),
            "migrated_at": self.meta.migrated_at.isoformat() if self.meta.migrated_at else None,
            "age_days": round((at - self.meta.created_at).total_seconds() / 86400, 2),
            "idle_days": round((at - self.meta.last_used).total_seconds() / 86400, 2),
        }


def pr_databases(connection: psycopg.Connection[tuple[Any, ...]], server: Server) -> tuple[list[PrDatabase], list[str]]:
    """Our pull-request databases for this base, and the names that look like one but are not ours."""
    rows = connection.execute("SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database").fetchall()
    ours, foreign = [], []
    for name, comment in rows:
        number = server.pr_number_of(str(name))
        if number is None:
            continue
        meta = Meta.parse(comment)
        if meta is not None and meta.kind == "pr" and meta.base == server.base and meta.pr == number:
            ours.append(PrDatabase(str(name), number, meta))
        else:
            foreign.append(str(name))
    return sorted(ours, key=lambda database: database.number), sorted(foreign)


def list_databases(server: Server, out: TextIO, as_json: bool) -> None:
    with server.maintenance() as connection:
        ours, foreign = pr_databases(connection, server)
        found = find(connection, server.template)
    for name in foreign:
        note(f"{name} looks like a pull-request database but carries no {MARKER} comment; not listed, never pruned")
    at = now()
    rows = []
    for database in ours:
        try:
            revision = migrate.current_revision(server.url_for(database.name))
        except migrate.MigrationError as error:
            note(f"cannot read the revision of {database.name}: {error}")
            revision = "?"
        rows.append(database.row(revision, at))
    template_meta = found.meta if found and found.meta and found.meta.kind == "template" else None
    template_row = None
    if template_meta is not None:
        built = template_meta.created_at.isoformat()
        template_row = {"database": server.template, "revision": template_meta.revision, "built_at": built}
    if as_json:
        print(json.dumps({"template": template_row, "databases": rows}, indent=2), file=out)
        return
    table = [("database", "pr", "revision", "created (UTC)", "age days", "idle days")]
    table += [
        (
            row["database"],
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
        table.append((server.template, "template", str(template_meta.revision), built, "-", "-"))
    widths = [max(len(line[column]) for line in table) for column in range(len(table[0]))]
    for line in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip(), file=out)


def prune(server: Server, older_than: int, dry_run: bool, out: TextIO) -> list[str]:
    """Drop (or with dry_run name) our databases not migrated for `older_than` days; each name goes to `out`."""
    cutoff = now() - datetime.timedelta(days=older_than)
    dropped: list[str] = []
    failed: list[str] = []
    with server.maintenance() as connection:
        ours, _ = pr_databases(connection, server)
        for database in ours:
            if database.meta.last_used >= cutoff:
                continue
            last = f"last migrated {database.meta.last_used:%Y-%m-%d %H:%M}"
            if dry_run:
                note(f"would drop {database.name} ({last})")
                print(database.name, file=out)
                dropped.append(database.name)
                continue
            # A run creating or migrating that pull request right now means it is alive: keep it.
            if not try_pr_lock(connection, database.number):
                note(f"{database.name} is being created or migrated right now; kept")
                continue
            try:
                again = find(connection, database.name)
                if again is not None and again.meta is not None and again.meta.last_used < cutoff:
                    drop_database(connection, database.name)
                    note(f"{database.name} dropped ({last})")
                    print(database.name, file=out)
                    dropped.append(database.name)
            except psycopg.Error as error:
                # One database that cannot be dropped must not keep the others.
                note(explain(error, server.url, f"cannot drop {database.name}"))
                failed.append(database.name)
            finally:
                connection.execute(
                    "SELECT pg_advisory_unlock(%s::int4, %s::int4)", (PR_LOCK_NAMESPACE, database.number)
                )
    if failed:
        raise PreviewDbError(f"could not drop {', '.join(failed)} (see above); the others were handled")
    return dropped


def template(server: Server, revisions: Revisions) -> str:
    """Bring the template to this checkout's head (run it on main): build aside, then swap under the lock."""
    with server.maintenance() as connection:
        set_lock_wait(connection)
        require_createdb(connection)
        with advisory(connection, "the template build lock", BUILD_LOCK):
            current = find(connection, server.template)
            meta = current.meta if current else None
            if (
                meta is not None
                and meta.kind == "template"
                and meta.base == server.base
                and meta.revision == revisions.head
                and meta.fingerprint == revisions.fingerprint(revisions.head)
            ):
                note(f"{server.template} is already at {revisions.head}")
                return server.template
            if current is not None and (
                meta is None or meta.base != server.base or meta.kind not in ("template", "template-build")
            ):
                owned(current, server, "template")
            leftover = find(connection, server.build)
            if leftover is not None:
                owned(leftover, server, "template-build")
                drop_database(connection, server.build)
            built = Meta(kind="template-build", base=server.base, created_at=now())
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(server.build)))
            set_meta(connection, server.build, built)
            build_url = server.url_for(server.build)
            try:
                reached = revisions.upgrade(build_url)
            except migrate.MigrationError as error:
                drop_database(connection, server.build)
                raise RevisionsFailedError(
                    f"building the template at {revisions.head} failed; {server.template} is unchanged: {error}"
                ) from None
            with advisory(connection, "the template clone lock", CLONE_LOCK):
                if current is not None:
                    drop_database(connection, server.template, template=True)
                connection.execute(
                    sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                        sql.Identifier(server.build), sql.Identifier(server.template)
                    )
                )
                # Nobody may connect to a template: CREATE DATABASE ... TEMPLATE fails while anyone is.
                connection.execute(
                    sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false").format(
                        sql.Identifier(server.template)
                    )
                )
                finished = Meta(kind="template", base=server.base, created_at=now())
                set_meta(connection, server.template, migrated(finished, revisions, reached))
    note(f"{server.template} rebuilt at {reached}")
    return server.template


# --- command line ------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m tenantguard_db.preview_db",
        description="A database per pull request on the server CI_DB_URL (or DATABASE_URL) points at.",
    )
    commands = top.add_subparsers(dest="command", required=True)
    config_help = "alembic.ini of the checkout whose revisions apply (default: this repository's)"

    create_command = commands.add_parser("create", help="create or migrate a pull request's database")
    create_command.add_argument("--pr", type=pr_number, required=True, help="the pull request's number")
    create_command.add_argument("--config", type=Path, default=migrate.ALEMBIC_INI, help=config_help)
    create_command.add_argument("--url-to-file", type=Path, help="write the new database's URL to this file (0600)")
    create_command.add_argument(
        "--github-output",
        action="store_true",
        help="mask the new URL in the log, then write database= and url= to $GITHUB_OUTPUT",
    )
    drop_command = commands.add_parser("drop", help="drop a pull request's database (no error if already gone)")
    drop_command.add_argument("--pr", type=pr_number, required=True, help="the pull request's number")
    list_command = commands.add_parser("list", help="the pull-request databases with age and revision")
    list_command.add_argument("--json", action="store_true", help="one JSON document instead of a table")
    prune_command = commands.add_parser("prune", help="drop pull-request databases not migrated for DAYS days")
    prune_command.add_argument("--older-than", type=days, required=True, metavar="DAYS")
    prune_command.add_argument("--dry-run", action="store_true", help="print what would be dropped, drop nothing")
    template_command = commands.add_parser("template", help="build the template at this checkout's head (main)")
    template_command.add_argument("--config", type=Path, default=migrate.ALEMBIC_INI, help=config_help)
    return top


def run(args: argparse.Namespace, out: TextIO) -> None:
    try:
        url = url_from_environment()
    except MissingDatabaseUrlError as missing:
        raise UsageError(str(missing)) from None
    server = Server.from_url(url)
    lock_wait()
    if args.command == "create":
        outputs = Outputs.from_args(args.url_to_file, args.github_output)
        print(create(server, args.pr, Revisions.load(args.config), outputs), file=out)
    elif args.command == "drop":
        dropped = drop(server, args.pr)
        if dropped:
            print(dropped, file=out)
    elif args.command == "list":
        list_databases(server, out, args.json)
    elif args.command == "prune":
        prune(server, args.older_than, args.dry_run, out)
    elif args.command == "template":
        print(template(server, Revisions.load(args.config)), file=out)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        run(args, out or sys.stdout)
    except PreviewDbError as error:
        note(str(error))
        return error.exit_code
    except Exception as error:
        # Last resort, so no traceback can carry the URL: the error's text, masked.
        url = os.environ.get("CI_DB_URL") or os.environ.get("DATABASE_URL") or ""
        note(explain(error, url, f"{args.command} failed ({type(error).__name__})"))
        return EXIT_FAILED
    return EXIT_OK


def show_revisions_run() -> None:
    """Alembic's "Running upgrade a -> b" lines on stderr, so a CI log shows which revisions ran; not its chatter."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)-5.5s [%(name)s] %(message)s"))
    handler.addFilter(lambda record: record.levelno > logging.INFO or record.getMessage().startswith("Running "))
    logging.getLogger("alembic").addHandler(handler)
    logging.getLogger("alembic").setLevel(logging.INFO)


if __name__ == "__main__":
    show_revisions_run()
    sys.exit(main())
