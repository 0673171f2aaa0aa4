"""PostgreSQL connection settings written as separate fields, the multi-field shapes the production-database guard
reads beside URLs and libpq keyword strings: labelled fields (an AWS Secrets Manager RDS secret, a Django DATABASES
entry as JSON, a `PGHOST=` block, YAML, Npgsql's and PDO's strings, docker-compose environments, keyword pairs in a
sentence) and .pgpass lines.

Fields are found by their labels wherever they stand, not by parsing each format: a label is classified by how it
ends (`PGHOST`, `DB_HOST`, `spring.datasource.username`, `Initial Catalog`), from the table below.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from infra.guard.host_tokens import spellings

Role = str
LABELS: tuple[tuple[Role, tuple[str, ...]], ...] = (
    # role       how a label for it ends, lower case, letters and digits only
    ("host", ("host", "hostname", "hostaddr", "server", "servername", "datasource", "endpoint")),
    ("port", ("port", "portnumber")),
    ("dbname", ("dbname", "database", "databasename", "db", "catalog", "initialcatalog")),
    ("user", ("user", "username", "userid", "usr")),
)
"""Which connection setting a label names, tried in this order (`DB_HOST` is a host, `HOSTDB` a database)."""
EXACT_LABELS: dict[str, Role] = {"name": "dbname"}
"""Labels that name a setting only whole: Django's `NAME` is the database, `USERNAME` is not one."""
NOT_SETTINGS = ("pass", "pwd", "secret", "token", "key")
"""Labels holding a credential are never read as a setting, so no part of a password reaches a fingerprint."""
_LABEL = r"(?<![A-Za-z0-9_])(?P<label>[A-Za-z_][A-Za-z0-9_.-]{0,63}(?: [A-Za-z][A-Za-z0-9_]{0,31})?)"
_SEPARATOR = r"""["']?[ \t]*(?:=>|:=|=|:)[ \t]*"""
_QUOTED = r""""(?P<double>[^"\n]{0,255})"|'(?P<single>[^'\n]{0,255})'"""
FIELD = re.compile(rf"(?=(?:{_LABEL}{_SEPARATOR}(?:{_QUOTED}|(?P<bare>[^\s;,&\"'<>{{}}()=|\\]{{1,255}}))))")
"""`label = value` in its usual spellings (`:`, `=`, `=>`, quoted or not), found at every label start (a lookahead,
so `pgsql:host=db` yields both `pgsql` and `host`). A bare value stops at a separator of any format. A label is at
most 64 characters (and a second word 32), a value 255 (longer names no host, database or role): the work at each
start stays bounded, whatever the value."""
FIELD_WITH_LISTS = re.compile(rf"(?=(?:{_LABEL}{_SEPARATOR}(?P<bare>[^\s;&\"'<>{{}}()=|\\]{{1,255}})))")
"""The same with commas kept in bare values, for lists of hosts (`Host=db1,db2`)."""
_POSTGRES = re.compile(r"postgres|pgsql|(?<![A-Za-z0-9_])pg[a-z]+[ \t]*[=:]", re.IGNORECASE)
"""A value that says it is about PostgreSQL: an engine, a scheme, a driver, a PG* variable."""


@dataclass(frozen=True)
class Fields:
    """The connection settings labelled anywhere in one value (never shown: they are parts of a secret)."""

    hosts: tuple[str, ...] = ()
    ports: tuple[str, ...] = ()
    dbnames: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    postgres: bool = False
    """The value names PostgreSQL somewhere (an RDS secret's `"engine": "postgres"`, a PG* variable)."""

    def __repr__(self) -> str:
        return "Fields(***)"

    def databases(self) -> list[tuple[str, str | None, str]]:
        """Every (host, port, database) the labelled settings could combine into, as libpq fills in its defaults
        (port 5432, database named after the user); none unless a host is labelled with a database, or with a user
        in a value about PostgreSQL (a mail server's host and user are not a database)."""
        names = self.dbnames or (self.users if self.postgres else ())
        ports: tuple[str | None, ...] = self.ports or (None,)
        return [(host, port, name) for host in self.hosts for port in ports for name in names]


def role(label: str) -> Role | None:
    """The connection setting a label names, or None."""
    normalised = re.sub(r"[^a-z0-9]", "", label.lower())
    if any(word in normalised for word in NOT_SETTINGS):
        return None
    if normalised in EXACT_LABELS:
        return EXACT_LABELS[normalised]
    return next((name for name, endings in LABELS if normalised.endswith(endings)), None)


def fields(value: str) -> Fields:
    """The settings labelled anywhere in any spelling of `value` (host_tokens.spellings)."""
    found: dict[Role, dict[str, None]] = {name: {} for name, _ in LABELS}
    for spelling in spellings(value):
        for label, text in _labelled(spelling):
            name = role(label)
            if name == "host":
                for host, port in _hosts(text):
                    found["host"][host] = None
                    if port:
                        found["port"][port] = None
            elif name is not None:
                for item in {text, text.strip()} - {""}:
                    found[name][item] = None
    return Fields(
        hosts=tuple(found["host"]),
        ports=tuple(found["port"]),
        dbnames=tuple(found["dbname"]),
        users=tuple(found["user"]),
        postgres=_POSTGRES.search(value) is not None,
    )


def _labelled(text: str) -> Iterator[tuple[str, str]]:
    for pattern in (FIELD, FIELD_WITH_LISTS):
        for match in pattern.finditer(text):
            groups = match.groupdict()
            value = next((groups[name] for name in ("double", "single", "bare") if groups.get(name) is not None), "")
            yield match["label"], value


def _hosts(text: str) -> Iterator[tuple[str, str | None]]:
    """The hosts of a host field, each with the port written beside it: `db:6432`, `[2001:db8::5]:6432`, lists."""
    for item in text.split(","):
        entry = item.strip()
        if entry.startswith("["):
            host, _, rest = entry[1:].partition("]")
            yield host, rest.removeprefix(":") or None
        elif entry.count(":") == 1:
            host, port = entry.split(":")
            yield host, port or None
        elif entry:
            yield entry, None


def pgpass_databases(value: str) -> list[tuple[str, str | None, str]]:
    """(host, port, database) of every .pgpass line in `value` (`host:port:database:user:password`).

    libpq's passwordFromFile reads fields split at unescaped colons, `\\:` and `\\\\` escaped, `*` matching
    anything. A line whose host or database is `*` names no one database (the token comparison still sees its
    host); a `*` port stands for the default one.
    """
    found = []
    for line in value.splitlines():
        pieces = _pgpass_fields(line.strip())
        if len(pieces) < 5 or not re.fullmatch(r"\*|[0-9]+", pieces[1]):
            continue
        host, port, dbname = pieces[:3]
        if "*" not in (host, dbname) and host and dbname:
            found.append((host, None if port == "*" else port, dbname))
    return found


def _pgpass_fields(line: str) -> list[str]:
    fields = [""]
    characters = iter(line)
    for character in characters:
        if character == "\\":
            fields[-1] += next(characters, "")
        elif character == ":":
            fields.append("")
        else:
            fields[-1] += character
    return fields
