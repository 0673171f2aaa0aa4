"""Database URLs: which variable holds one, whether libpq reads it as written, and how to show it safely.

A URL is parsed twice, by libpq's own rules (psycopg's conninfo functions, which call
PQconninfoParse) and by urllib. Where the two disagree (an unencoded `@`, `/`, `#` or `?` in the
password, a password or host in the query string, several hosts) the URL is refused: the driver
would connect somewhere the displayed URL and the production-database guard do not see, and could
print a fragment of the password as a host name. A user name must be a plain role name, so a password
sent in it (`user%3Apassword`) is refused rather than shown. A URL is only ever shown rebuilt from its
parsed parts (scheme, user, host, port, database, sslmode), each in a plain shape and free of the
password, never as the given string with a part masked.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, parse_qsl, quote, unquote, urlsplit

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

URL_VARIABLES = ("CI_DB_URL", "DATABASE_URL")
MASK = "***"
POSTGRES_PREFIXES = ("postgresql://", "postgres://")
DEFAULT_PORT = "5432"
UNSHOWABLE = "postgresql://(a URL that cannot be shown: it does not parse)"
PERCENT_ENCODING = "percent-encode @ / # ? : in the password (as %40 %2F %23 %3F %3A)"
QUERY_PARAMETERS = frozenset(
    {
        "sslmode",
        "sslrootcert",
        "sslcert",
        "sslkey",
        "sslcrl",
        "sslnegotiation",
        "connect_timeout",
        "application_name",
        "options",
        "keepalives",
        "keepalives_idle",
        "keepalives_interval",
        "keepalives_count",
        "tcp_user_timeout",
        "gssencmode",
        "channel_binding",
    }
)
"""Query parameters a URL may carry; none of them changes which database, or with which password, libpq connects."""
SHOWN_PARAMETERS = QUERY_PARAMETERS | {
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "passfile",
    "service",
    "require_auth",
    "target_session_attrs",
    "load_balance_hosts",
    "sslpassword",
    "sslcertmode",
    "sslsni",
    "requirepeer",
    "krbsrvname",
    "gsslib",
    "client_encoding",
    "replication",
}
"""Names a refusal may show: libpq's connection keywords (libpq docs, "Parameter Key Words")."""
SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
"""libpq's sslmode values (libpq docs, "Parameter Key Words"); libpq's URL parser takes any text there."""
USER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,62}")
"""A user name that may be shown: a plain role name (a dot for poolers that write `role.project`), at most
PostgreSQL's 63 bytes. Anything else (a `:` sent as %3A puts the password into the user name) is refused."""
USER_NAME_RULE = (
    "accepted: letters, digits, '_', '.', '-', starting with a letter or '_', at most 63 characters; "
    "write the password after a plain ':' (user:password@host), never percent-encoded into the user name"
)
_SHOWN_NAME = re.compile(r"[A-Za-z0-9_.-]{1,63}")
_SHOWN_HOST = re.compile(r"[A-Za-z0-9_.-]{1,253}")
# Matches the user-info in anything URL-shaped, so text that merely contains a URL (a driver's error
# message, a traceback) can be masked too: the password always, a user name that is not a plain one too.
_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*)(?P<password>:[^@\s]*)?@")


class MissingDatabaseUrlError(RuntimeError):
    """Neither CI_DB_URL nor DATABASE_URL is set."""

    def __init__(self) -> None:
        super().__init__(
            "no database URL: set CI_DB_URL (or DATABASE_URL) to a postgresql:// URL, "
            'e.g. export CI_DB_URL="postgresql://user:pass@localhost:5432/tenantguard_ci"'
        )


class UnsafeUrlError(ValueError):
    """A database URL that is refused; the message names what is wrong and never quotes the URL."""


@dataclass(frozen=True)
class PostgresUrl:
    """What libpq will use from a postgresql:// URL that it and urllib read alike."""

    scheme: str
    user: str | None
    password: str | None
    host: str
    port: str | None
    dbname: str
    sslmode: str | None
    parameters: tuple[tuple[str, str], ...] = ()
    """The query parameters as given (all in QUERY_PARAMETERS): kept when the URL is passed on, not shown."""

    def display(self) -> str:
        """The URL rebuilt from its allowed parts, the password as ***: safe for logs, outputs and messages.

        Each part is shown only in a plain shape (user, host, database, a known sslmode) and only when it
        does not hold the password; any other part is shown as ***.
        """
        user = self._shown(self.user, USER_NAME) if self.user is not None else None
        host = self.host if _is_ip(self.host) else self._shown(self.host, _SHOWN_HOST)
        userinfo = f"{user or ''}{':' + MASK if self.password is not None else ''}@" if user or self.password else ""
        port = f":{self.port}" if self.port and self.port.isdigit() else ""
        sslmode = f"?sslmode={self.sslmode}" if self.sslmode in SSLMODES else ""
        host = f"[{host}]" if ":" in host else host
        return f"{self.scheme}://{userinfo}{host}{port}/{self._shown(self.dbname, _SHOWN_NAME)}{sslmode}"

    def _shown(self, part: str, shape: re.Pattern[str]) -> str:
        if not shape.fullmatch(part) or (self.password and self.password.casefold() in part.casefold()):
            return MASK
        return part

    def identity(self) -> str:
        """The database libpq connects to: host (normalised), port with its default, database name."""
        return database_identity(self.host, self.port, self.dbname)

    def with_database(self, dbname: str) -> str:
        """This URL with another database, rebuilt from its parts (password in clear: pass it on, never show it)."""
        password = quote(self.password, safe="") if self.password is not None else None
        return self._rebuild(password, dbname, self.parameters)

    def _rebuild(self, password: str | None, dbname: str, parameters: tuple[tuple[str, str], ...]) -> str:
        userinfo = ""
        if self.user is not None or password is not None:
            userinfo = quote(self.user or "", safe="") + (f":{password}" if password is not None else "") + "@"
        host = f"[{self.host}]" if ":" in self.host else quote(self.host, safe=".-_")
        port = f":{self.port}" if self.port else ""
        query = "&".join(f"{name}={quote(value, safe='')}" for name, value in parameters)
        return f"{self.scheme}://{userinfo}{host}{port}/{quote(dbname, safe='')}" + (f"?{query}" if query else "")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def database_identity(host: str, port: str | None, dbname: str) -> str:
    """One database as libpq reaches it, however it was written: canonical host, port as libpq reads it, name."""
    return f"{canonical_host(host)}:{libpq_port(port)}/{dbname}"


_C_SPACE = " \t\n\v\f\r"
"""isspace() in the C locale: what strtol and inet_aton skip or stop at."""
_LEADING_INTEGER = re.compile(rf"[{_C_SPACE}]*([+-]?)0*([0-9]+)")
_LONG_DIGITS = 19
"""Digits past which a number is beyond a 64-bit long for certain; strtol then saturates."""


def libpq_port(port: str | None) -> str:
    """The port libpq connects to for `port` as written: DEFAULT_PORT when empty, else the number it starts with.

    libpq reads a port with strtol (fe-connect.c `parse_int_param`, postgres/postgres 0028b55b): leading and
    trailing whitespace and a sign are accepted, so ` 5432` and `+5432` are 5432, and anything else after the
    digits is refused. libpq 9.x read it with atoi (`portnum = atoi(conn->pgport)`), which ignores what follows
    the digits and keeps the low 32 bits of what strtol read. Both readings are taken: `5432abc` and
    `4294972728` are 5432 here, as an older libpq would connect. A port no libpq reads as a number (`abc`, `-1`)
    is kept as written: it connects nowhere, so it matches no other spelling.
    """
    if not port:
        return DEFAULT_PORT
    match = _LEADING_INTEGER.match(port)
    if match is None:
        return port
    sign, digits = match.groups()
    long_max = 2**63 - 1
    value = long_max if len(digits) > _LONG_DIGITS else min(int(digits), long_max)  # strtol saturates at LONG_MAX
    value = -value if sign == "-" else value
    value = (value + 2**31) % 2**32 - 2**31  # atoi's conversion to int keeps the low 32 bits
    return str(value)


TABLE_B1 = (0xAD, 0x34F, 0x1806, *range(0x180B, 0x180E), *range(0x200B, 0x200E), 0x2060, *range(0xFE00, 0xFE10), 0xFEFF)
"""RFC 3454 table B.1, "commonly mapped to nothing" (Python's `stringprep.in_table_b1`; a test holds them equal)."""
UTS46_IGNORED = (0x180F, 0x2064, *range(0x1BCA0, 0x1BCA4), *range(0xE0100, 0xE01F0))
"""What UTS 46 (IDNA compatibility processing) also maps to nothing: its mapping table's `ignored` code points
beyond B.1, as Node's url.domainToASCII (Node 20) drops them; Node's dns.lookup converts a name so first."""
MAPPED_TO_NOTHING: dict[int, None] = dict.fromkeys((*TABLE_B1, *UTS46_IGNORED))
"""Characters a resolver removes from a host name before looking it up, for str.translate.

RFC 3491 (nameprep) section 3 maps RFC 3454 table B.1 (U+00AD soft hyphen, U+200B-D zero-width, U+2060, U+FEFF,
U+034F, variation selectors) to nothing; Python's idna codec (Lib/encodings/idna.py `nameprep`) does so for every
str host socket.getaddrinfo resolves, and psycopg 3 resolves hosts with it: `db.pro\u00adduction.internal`
reaches db.production.internal."""


def without_invisible(text: str) -> str:
    """`text` without the characters resolvers map to nothing (MAPPED_TO_NOTHING)."""
    return text.translate(MAPPED_TO_NOTHING)


def canonical_host(host: str) -> str:
    """One spelling per host libpq resolves alike: names case-folded without a trailing dot or a character resolvers
    map to nothing (MAPPED_TO_NOTHING), IP literals in their standard form (getaddrinfo also reads 10.0.5,
    167772165, 0xa.0.0.5, 012.0.0.5 and ::ffff:10.0.0.5 as 10.0.0.5; inet_aton below).

    A name and its address, a CNAME, a pooler in front of the server stay different: the guard cannot
    resolve names (it runs offline too).
    """
    name = without_invisible(host).casefold().rstrip(".")
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(name)
    except ValueError:
        address = inet_aton(name)
        if address is None:
            return name
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


_INET_ATON_PART = re.compile(
    r"0[xX]0*(?P<hex>[0-9A-Fa-f]{1,40})|0+(?P<octal>[0-7]{0,40})|(?P<decimal>[1-9][0-9]{0,39})"
)
"""One part as strtoul with base 0 reads it after inet_aton checked it starts with a digit: hex, octal, decimal.
strtoul reads any number of leading zeros, so they are skipped whatever their number; at most 40 significant digits
are read (more is past 32 bits in any base: the character after them is then a digit, and the part is refused)."""
_INET_ATON_MAX = (0xFFFFFFFF, 0xFFFFFF, 0xFFFF, 0xFF)
"""The largest last part after 0, 1, 2 or 3 dotted parts: it fills the bytes that remain."""


def inet_aton(text: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address glibc's inet_aton reads in `text`, or None; the same on every machine the program runs on.

    glibc resolv/inet_addr.c `inet_aton_end` (bminor/glibc 0d1d7fb8): one to four parts, each decimal, 0x-hex or
    0-octal, every part but the last at most 255, the last filling the remaining bytes (`a`, `a.b`, `a.b.c`,
    `a.b.c.d`). getaddrinfo, which libpq calls for `host` and `hostaddr`, tries this before anything else
    (sysdeps/posix/getaddrinfo.c, `__inet_aton_exact`). inet_aton itself, and getaddrinfo before glibc 2.29
    (CVE-2016-10739), also accept whitespace and anything after it: so does this.
    """
    parts: list[int] = []
    position = 0
    while True:
        match = _INET_ATON_PART.match(text, position)
        if match is None:
            return None
        hexadecimal, octal, decimal = match.groups()
        value = int(hexadecimal, 16) if hexadecimal else int(octal or "0", 8) if decimal is None else int(decimal)
        position = match.end()
        if value > _INET_ATON_MAX[0]:
            return None
        if position < len(text) and text[position] == ".":
            if len(parts) == 3 or value > 0xFF:
                return None
            parts.append(value)
            position += 1
            continue
        break
    if position < len(text) and text[position] not in _C_SPACE:
        return None
    if value > _INET_ATON_MAX[len(parts)]:
        return None
    packed = 0
    for index, part in enumerate(parts):
        packed |= part << (24 - 8 * index)
    return ipaddress.IPv4Address(packed | value)


def _split_host(netloc: str) -> str:
    """The host part of a URL's netloc as urllib divides it, percent-decoded, brackets removed."""
    hostport = netloc.rpartition("@")[2]
    if hostport.startswith("["):
        return unquote(hostport[1:].partition("]")[0])
    return unquote(hostport.partition(":")[0])


def _parameter(name: str) -> str:
    """A query parameter as a message may name it: only libpq's own keywords are shown, since any other name could
    be a fragment of pasted secret text (an unencoded ? in a password starts a query string)."""
    return f"the query parameter {name!r}" if name in SHOWN_PARAMETERS else "a query parameter"


def parse_postgres_url(url: str) -> PostgresUrl:
    """Parse by libpq's rules and refuse any spelling urllib reads differently; never quotes the URL."""
    from psycopg import conninfo  # noqa: PLC0415 - libpq loads only when a URL is parsed

    scheme, split = _split_safely(url)
    try:
        libpq = {key: str(value) for key, value in conninfo.conninfo_to_dict(url).items() if value is not None}
    except Exception:
        # psycopg's message quotes the whole string: it is never shown.
        raise UnsafeUrlError(f"is not a URL libpq can parse; {PERCENT_ENCODING}") from None

    host = libpq.get("host", "")
    if "," in host or "," in libpq.get("port", ""):
        raise UnsafeUrlError("names several hosts; give exactly one host")
    if host.startswith(("/", "@")):
        raise UnsafeUrlError("names a Unix-socket path; give a TCP host name, which the CI runners can reach")
    if not host:
        raise UnsafeUrlError("has no host; expected postgresql://user:password@host:port/database")
    if not host.isascii() or not host.isprintable():
        # psycopg 3 and Node resolve a host through IDNA, which drops invisible characters (MAPPED_TO_NOTHING):
        # `db.pro%C2%ADduction.internal` would reach db.production.internal while reading as another name.
        raise UnsafeUrlError(
            "has a host that is not ASCII once percent-decoded (a resolver drops an invisible character and reaches "
            "another name); write the host in ASCII, an internationalised name in its xn-- form"
        )
    read_alike = (
        unquote(split.username) if split.username is not None else None,
        unquote(split.password) if split.password is not None else None,
        _split_host(split.netloc).casefold(),
        str(split.port) if split.port is not None else None,
        unquote(split.path.removeprefix("/")) or None,
    ) == (libpq.get("user"), libpq.get("password"), host.casefold(), libpq.get("port"), libpq.get("dbname"))
    if not read_alike:
        raise UnsafeUrlError(f"is read differently by libpq and by URL parsers; {PERCENT_ENCODING}")
    dbname = libpq.get("dbname", "")
    if not dbname:
        raise UnsafeUrlError("has no database name; expected postgresql://user:password@host:port/DATABASE")
    user = libpq.get("user")
    if user is not None and not USER_NAME.fullmatch(user):
        raise UnsafeUrlError(f"has a user name that is not a plain role name ({USER_NAME_RULE})")
    sslmode = libpq.get("sslmode")
    if sslmode is not None and sslmode not in SSLMODES:
        raise UnsafeUrlError(f"sets sslmode to a value libpq does not know; accepted: {', '.join(SSLMODES)}")
    return PostgresUrl(
        scheme=scheme,
        user=user,
        password=libpq.get("password"),
        host=host,
        port=libpq.get("port"),
        dbname=dbname,
        sslmode=sslmode,
        parameters=tuple(parse_qsl(split.query, keep_blank_values=True)),
    )


def _split_safely(url: str) -> tuple[str, SplitResult]:
    """The scheme and urllib's reading of a URL, refusing any shape where urllib and libpq part ways."""
    if any(character.isspace() or not character.isprintable() for character in url):
        raise UnsafeUrlError("contains whitespace or a control character; paste the URL alone")
    if not url.isascii():
        # Look-alikes (a fullwidth @ or /) normalise into separators in one parser and not the other.
        raise UnsafeUrlError("contains a character outside ASCII; percent-encode it")
    scheme = next((prefix[:-3] for prefix in POSTGRES_PREFIXES if url.startswith(prefix)), None)
    if scheme is None:
        raise UnsafeUrlError("does not start with postgresql:// (or postgres://, in lower case)")
    authority, _, rest = url[len(scheme) + 3 :].partition("/")
    if "@" in rest or "#" in url or "?" in authority:
        # After the authority an @ can only be the password's: both parsers then read a host, port
        # and database out of the password, and show it as the database name.
        raise UnsafeUrlError(f"has an @, # or ? where the user-info cannot hold it; {PERCENT_ENCODING}")
    if "," in authority.rpartition("@")[2]:
        raise UnsafeUrlError("names several hosts; give exactly one host")
    try:
        # urllib's own ValueErrors (invalid IPv6 address, NFKC look-alikes, a bad port) quote the netloc.
        split = urlsplit(url)
        _ = split.hostname, split.username, split.password
        port = split.port
    except ValueError:
        raise UnsafeUrlError(
            f"has a port that is not a number from 1 to 65535, or an unencoded character in the password; "
            f"{PERCENT_ENCODING}"
        ) from None
    if port == 0:
        raise UnsafeUrlError("has port 0; give the server's port (1 to 65535)")
    _check_query(split.query)
    return scheme, split


def _check_query(query: str) -> None:
    names = [name for name, _ in parse_qsl(query, keep_blank_values=True)]
    for name in sorted(set(names)):
        if names.count(name) > 1:
            raise UnsafeUrlError(f"sets {_parameter(name)} {names.count(name)} times; set it once")
    if "password" in names:
        raise UnsafeUrlError("carries a password in the query string; put it in the user-info part, percent-encoded")
    for name in names:
        if name not in QUERY_PARAMETERS:
            raise UnsafeUrlError(
                f"sets {_parameter(name)}, which is not accepted (host, port, database and user belong in the "
                f"URL itself; an unencoded ? in the password starts a query string: percent-encode it as %3F); "
                f"accepted: {', '.join(sorted(QUERY_PARAMETERS))}"
            )


def url_from_environment(environ: Mapping[str, str] | None = None) -> str:
    """The database URL from CI_DB_URL, falling back to DATABASE_URL."""
    return url_and_variable_from_environment(environ)[0]


def url_and_variable_from_environment(environ: Mapping[str, str] | None = None) -> tuple[str, str]:
    """The database URL and the name of the variable it came from (CI_DB_URL, else DATABASE_URL)."""
    environ = os.environ if environ is None else environ
    for name in URL_VARIABLES:
        value = environ.get(name, "").strip()
        if value:
            return value, name
    raise MissingDatabaseUrlError()


def mask_url(url: str) -> str:
    """The URL as it may be shown: rebuilt from its parsed parts, password as ***; nothing of an unsafe one."""
    try:
        return parse_postgres_url(url).display()
    except UnsafeUrlError:
        return UNSHOWABLE


def mask_text(text: str, *secrets: str) -> str:
    """Text with URL passwords, user names that are not plain role names, and the given secret strings (and
    their percent-encodings) replaced by ***."""

    def userinfo(match: re.Match[str]) -> str:
        user = match["user"] if USER_NAME.fullmatch(unquote(match["user"])) or not match["user"] else MASK
        return f"{match['scheme']}{user}{':' + MASK if match['password'] is not None else ''}@"

    masked = _USERINFO.sub(userinfo, text)
    for secret in secrets:
        for spelling in {secret, quote(secret, safe=""), quote(secret)}:
            if spelling:
                masked = masked.replace(spelling, MASK)
    return masked


def mask_error(error: BaseException, url: str) -> str:
    """An error's text with URL passwords masked, and `url`'s own password (or a user name that is not a plain
    one, which may hold it) wherever it stands alone."""
    secrets: list[str] = []
    try:
        secrets.append(parse_postgres_url(url).password or "")
    except UnsafeUrlError:
        try:
            split = urlsplit(url)
            secrets.append(unquote(split.password or ""))
            user = unquote(split.username or "")
        except ValueError:
            user = ""
        if user and not USER_NAME.fullmatch(user):
            # `ci%3Apassword`: the whole user name, and what follows its first ':'.
            secrets += [user, user.partition(":")[2]]
    try:
        text = str(error)
    except Exception:
        text = type(error).__name__
    return mask_text(text, *secrets)


def sqlalchemy_url(url: str) -> URL:
    """The URL for SQLAlchemy, built from libpq's reading of it (never re-parsed), for the psycopg 3 driver."""
    from sqlalchemy.engine import URL as SQLALCHEMY_URL  # noqa: PLC0415 - only the migration paths need it

    parsed = parse_postgres_url(url)
    return SQLALCHEMY_URL.create(
        "postgresql+psycopg",
        username=parsed.user,
        password=parsed.password,
        host=parsed.host,
        port=int(parsed.port) if parsed.port else None,
        database=parsed.dbname,
        query=dict(parsed.parameters),
    )
