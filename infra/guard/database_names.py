"""What a secret value names that the production-database guard compares: the PostgreSQL databases it names in the
shapes read as libpq reads them, the settings labelled in it, and every host-like token in it whatever its format.

A database is what libpq connects to (tenantguard_db.urls.database_identity: host normalised, port as libpq reads
it, database name), so driver-equivalent spellings of one database are one. Found anywhere in a value: URLs (JDBC's,
a .env line's, inside JSON or prose; each of a list), libpq keyword strings (whole, a line, a .env value), .pgpass
lines, and labelled fields (infra/guard/database_fields.py). Hosts are found by host_tokens, in any shape.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from infra.guard.database_fields import fields, pgpass_databases
from infra.guard.host_tokens import hosts_in, names_a_host, ports_in, server_host, spellings, words_in
from tenantguard_db.urls import UnsafeUrlError, database_identity, libpq_port, parse_postgres_url

Database = tuple[str, str | None, str]
"""A database as written: host, port (None for libpq's default) and name; database_identity makes it comparable."""

POSTGRES_SCHEME = re.compile(
    r"(?<![A-Za-z0-9+.-])(?:postgres|postgresql|pgsql|psql|postgis|timescale|timescalegis)(?:\+[a-z0-9_]+)?://",
    re.IGNORECASE,
)
"""Where a PostgreSQL URL starts: libpq's two schemes and the aliases Django apps read as PostgreSQL URLs
(dj-database-url's `pgsql`, `postgis`, `timescale`, `timescalegis`: jazzband/dj-database-url
dj_database_url/__init__.py ae2fabf9; django-environ's `psql`: joke2k/django-environ environ/environ.py 628ed38e
POSTGRES_FAMILY), in any case (schemes are case-insensitive, RFC 3986 section 3.1, and URL parsers other than
libpq's accept them so), with or without a SQLAlchemy driver suffix (postgresql+psycopg://), not inside a longer
scheme; JDBC's `jdbc:` before it is no part of it."""
_URL_END = re.compile(r"""[^\x21-\x7e]|["'<>\\^`{|}]""")
"""What ends a URL inside other text: a character RFC 3986 (section 2) allows in none (a space, `"`, `<`, `{`,
non-ASCII) or the single quote that wraps one in shell and .env files."""
_TRAILING_PUNCTUATION = ".,;:!?)]"
"""What follows an embedded URL in prose or a list rather than belonging to its database name."""
_ENV_LINE = re.compile(r"\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=\s*(?P<value>.*)", re.DOTALL)
"""A dotenv line, `NAME=value` (or `export NAME="value"`): its value is read on its own."""
_KEYWORD_HOSTS = ("host", "hostaddr")


class UnguardableValueError(ValueError):
    """A value naming a PostgreSQL database in a way the guard cannot read as libpq would; never quotes it."""


@dataclass(frozen=True)
class Reading:
    """What one secret value names, as the guard compares it. Never shown: it holds pieces of the value."""

    parsed: tuple[Database, ...]
    """The databases of its URLs, keyword strings and .pgpass lines: what libpq would connect to."""
    labelled: tuple[Database, ...]
    """Databases its labelled fields combine into (database_fields.Fields.databases)."""
    hosts: frozenset[str]
    """server_host of every host-like token in it, in any spelling (host_tokens.hosts_in)."""
    ports: frozenset[str]
    """Every port a number in it could be, and the default one (host_tokens.ports_in)."""
    names: tuple[str, ...]
    """The database names labelled in it, or the user names where no database is (libpq's default database)."""
    words: frozenset[str] = frozenset()
    """Every word of it that could be a database name (host_tokens.words_in), whatever its format."""
    whole: str | None = None
    """The value itself, trimmed, where it names a host (host_tokens.names_a_host): production fingerprints it, and
    the other stacks may not hand out the very same value, whatever its shape. None for a bare key or token."""

    def __repr__(self) -> str:
        return "Reading(***)"

    def identities(self) -> tuple[str, ...]:
        """The databases it surely names: parsed or labelled."""
        return tuple(dict.fromkeys(database_identity(*database) for database in (*self.parsed, *self.labelled)))

    def servers(self) -> tuple[tuple[str, str], ...]:
        """The server of each of those databases, (server_host, port as libpq reads it): the servers it hands out."""
        servers = ((server_host(host), libpq_port(port)) for host, port, _ in (*self.parsed, *self.labelled))
        return tuple(dict.fromkeys((host, port) for host, port in servers if host is not None))

    def on(self, host: str, ports: Collection[str]) -> frozenset[str]:
        """Every identity a database on `host` named anywhere in the value could have, on one of `ports`: any
        labelled database (or user) name, and any word of the value. Pessimistic by design, and independent of the
        value's format: only asked about production's servers, so a value naming one cannot hand out one of its
        databases in a shape the guard does not read (a `pgsql://` URL, a YAML block scalar, command-line flags)."""
        names = {*self.names, *self.words}
        return frozenset(database_identity(host, port, name) for port in ports for name in names)


def read(value: str, *, url: bool = False) -> Reading:
    """What `value` names; with `url`, the value is a PostgreSQL URL first of all (a URL-kind config key), so it is
    read as one even should it not look like one, and the guard fails closed. Raises UnguardableValueError as
    databases() does."""
    parsed = databases(value)
    for spelling in spellings(value)[1:]:
        # The same shapes once decoded (a URL inside JSON-escaped or percent-encoded text); what does not parse
        # there was refused, or passed, as written.
        parsed = tuple(dict.fromkeys((*parsed, *databases(spelling, strict=False))))
    if url:
        whole = parse_postgres_url(value)
        parsed = tuple(dict.fromkeys(((whole.host, whole.port, whole.dbname), *parsed)))
    labelled = fields(value)
    return Reading(
        parsed=parsed,
        labelled=tuple(labelled.databases()),
        hosts=hosts_in(value),
        ports=ports_in(value),
        names=labelled.dbnames or labelled.users,
        words=words_in(value),
        whole=value.strip() if names_a_host(value) else None,
    )


def database_identities(value: str) -> tuple[str, ...]:
    """The identity (tenantguard_db.urls.database_identity) of every database databases() finds in `value`."""
    return tuple(dict.fromkeys(database_identity(*database) for database in databases(value)))


def databases(value: str, *, strict: bool = True) -> tuple[Database, ...]:
    """Every PostgreSQL database `value` names in a shape libpq reads: URLs, keyword strings, .pgpass lines.

    Found anywhere in it: the value itself as a URL, any URL inside it (JDBC's `jdbc:postgresql://...`, a pasted
    `.env` line, prose, each of a list separated by `,` or `;`), the strings of a JSON document, libpq keyword
    strings (`host=... dbname=...`) whole, a line or a `.env` line's value, and .pgpass lines. A value naming none
    (an API key, a Redis URL) has none. Raises UnguardableValueError for a URL or keyword string the guard cannot
    read as libpq does (several hosts, a password or host in a URL's query, ...): it could not be compared.
    Not `strict`, such a URL or keyword string is left out instead.
    """
    found: list[Database] = []
    for text in _texts(value):
        found += _urls(text, strict=strict)
        found += _keyword_strings(text, strict=strict)
        found += pgpass_databases(text)
    return tuple(dict.fromkeys(found))


def _texts(value: str) -> list[str]:
    """The strings of a JSON document (decoded, so `\\/` and `\\u0040` read as libpq would see them), else the value."""
    try:
        document = json.loads(value)
    except (ValueError, RecursionError):  # not JSON, or nested past what the decoder takes: read as text
        return [value]
    if not isinstance(document, dict | list):
        return [value]
    strings: list[str] = []
    pending: list[Any] = [document]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            strings.append(item)
        elif isinstance(item, dict):
            pending += [*item.keys(), *item.values()]
        elif isinstance(item, list):
            pending += item
    return strings


def _urls(text: str, *, strict: bool = True) -> list[Database]:
    """Every URL in `text`, each up to the next one (a list: `postgresql://a/db,postgresql://b/db`) or to what ends a
    URL in other text. A value that is one URL is also read exactly as given (a password may hold any character)."""
    starts = list(POSTGRES_SCHEME.finditer(text))
    if not starts:
        return []
    pieces = []
    if starts[0].start() == 0:
        pieces.append(text[starts[0].end() :])
    if len(starts) > 1 or starts[0].start() > 0:
        for match, following in zip(starts, [*starts[1:], None], strict=True):
            end = following.start() if following else len(text)
            stop = _URL_END.search(text, match.end(), end)
            pieces.append(text[match.end() : stop.start() if stop else end].rstrip(_TRAILING_PUNCTUATION))
    found = []
    for piece in pieces:
        try:
            found.append(_url(piece))
        except UnguardableValueError:
            if strict:
                raise
    return found


def _url(after_scheme: str) -> Database:
    """The database of the URL whose text after its scheme (any spelling of POSTGRES_SCHEME) is `after_scheme`."""
    try:
        parsed = parse_postgres_url("postgresql://" + after_scheme)
    except UnsafeUrlError as refused:
        raise UnguardableValueError(f"holds a PostgreSQL URL that {refused}") from None
    return parsed.host, parsed.port, parsed.dbname


def _keyword_strings(text: str, *, strict: bool = True) -> list[Database]:
    candidates = [text]
    for line in text.splitlines():
        env_line = _ENV_LINE.fullmatch(line)
        candidates += [line, env_line["value"].strip().strip("\"'")] if env_line else [line]
    found = []
    for candidate in dict.fromkeys(candidates):
        try:
            found += _keyword_string(candidate)
        except UnguardableValueError:
            if strict:
                raise
    return found


def _keyword_string(text: str) -> list[Database]:
    """The database of a libpq keyword string (`host=... dbname=...`); none for text that is not one.

    libpq refuses any word that is not one of its keywords (`sk-...`, `abc==`, `key=value`), so an API key
    or token never parses as one; a string that parses but names no host is a local socket or a fragment.
    Keyword pairs inside other text (a sentence) are read as labelled fields (database_fields).
    """
    if POSTGRES_SCHEME.match(text.strip()):
        return []  # a URL, read by _urls; conninfo_to_dict would read it as one too
    from psycopg import conninfo  # noqa: PLC0415 - libpq loads only when a value is read

    try:
        parsed = {key: str(value) for key, value in conninfo.conninfo_to_dict(text).items() if value is not None}
    except Exception:  # psycopg's message quotes the string: not a keyword string, whatever failed
        return []
    # With both, libpq connects to hostaddr and checks the certificate against host: each is compared.
    hosts = [parsed[key] for key in _KEYWORD_HOSTS if parsed.get(key)]
    if not hosts:
        return []
    if any("," in part for part in (*hosts, parsed.get("port", ""))):
        raise UnguardableValueError("holds a libpq connection string that names several hosts; give exactly one host")
    # libpq's default database name is the user name; without either it is the OS user's, unknown here.
    dbname = parsed.get("dbname") or parsed.get("user")
    if not dbname:
        return []
    # The port as libpq reads it (tenantguard_db.urls.libpq_port: `+5432` and ` 5432` are 5432).
    return [(host, parsed.get("port"), dbname) for host in hosts]
