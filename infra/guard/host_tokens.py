"""Every host a secret value could name, whatever its format: each host-like token, in each way the value may be
encoded, spelled as libpq would reach it (never resolved: the program stays deterministic and the plan offline).

The production-database guard compares these with production's database servers without knowing the value's
format, so a PGHOST= block, a YAML file, a connection string of another driver or a sentence is covered as well as
a URL is. Nothing here is ever shown: the tokens are pieces of secret values.
"""

from __future__ import annotations

import base64
import binascii
import functools
import html
import ipaddress
import re
import unicodedata
from urllib.parse import unquote

from tenantguard_db.urls import DEFAULT_PORT, canonical_host, libpq_port, without_invisible

MAX_HOST_LENGTH = 253
"""The longest host name in text form (RFC 1035 section 2.3.4, 255 octets on the wire); longer tokens are not hosts."""
_NAME_TOKEN = re.compile(r"[A-Za-z0-9_.-]+")
"""A DNS name, a single label (a docker-compose or /etc/hosts name) or an IPv4 literal in any inet_aton form."""
_IPV6_RUN = re.compile(r"(?:[0-9A-Fa-f]{0,4}:){2,}[0-9A-Fa-f:.]*")
"""Text an IPv6 literal could hide in (its zone id, `%eth0`, ends it and plays no part)."""
_IPV6_GROUPS = 9
"""The most `:`-separated pieces an IPv6 literal has (eight groups, or seven and an empty one beside `::`)."""
_FULL_GROUPS = 8
_NUMBER = re.compile(r"[0-9]+")
_URL_SCHEME = re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,30}://[^\s/]")
_DNS_NAME = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]{0,62}\.?")
"""A host name of two labels or more whose last label starts with a letter (a top-level domain never is a number)."""
_WORD = re.compile(r"[\w$-]+")
_DOTTED_WORD = re.compile(r"[\w$.-]+")
MAX_NAME_LENGTH = 63
"""PostgreSQL's longest identifier in bytes (NAMEDATALEN - 1); longer words name no database."""
_ADDRESS = re.compile(r"[0-9][0-9A-Fa-fXx.]*")
"""A token that may be an IPv4 address in an inet_aton form, which no length limit applies to (leading zeros)."""
_BACKSLASH_ESCAPE = re.compile(
    r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|x([0-9A-Fa-f]{2})|([0-7]{1,3})|(.))", re.DOTALL
)
_CONTROL_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v", "b": "\b", "a": "\a", "e": "\x1b"}
_IDEOGRAPHIC_FULL_STOP = str.maketrans({"\u3002": "."})
"""UTS 46 (IDNA) reads U+3002 as a label separator; NFKC maps the fullwidth and halfwidth stops to it or to `.`."""
_SHELL_QUOTING = re.compile(r"""["'`]|\\\n""")
"""What a shell removes from a word: quotes (`db.prod"uct"ion` is one word) and a backslash before a newline."""
_ESCAPED_LINE_BREAK = re.compile(r"\\\r?\n[ \t]*")
_BASE64_RUN = re.compile(
    r"(?<![A-Za-z0-9+/_-])(?:[A-Za-z0-9+/]{4}){2,}(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?"
    r"|(?<![A-Za-z0-9+/_-])(?:[A-Za-z0-9_-]{4}){2,}(?:[A-Za-z0-9_-]{2,3})?"
)
"""Standard or URL-safe base64 of at least 6 bytes (a Kubernetes Secret's `data:` field by field, an IP address, a
JWT's parts), padded or not (Node's Buffer and Go's RawStdEncoding read it without)."""
_WRAPPED_BASE64 = re.compile(
    r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]+={0,2}[ \t]*(?=\r?\n)"
    r"(?:\r?\n[ \t]*[A-Za-z0-9+/_-]+={0,2}[ \t]*(?=\r?\n|$))+"
)
"""Base64 wrapped over several lines (coreutils `base64` wraps at 76 columns, Kubernetes manifests indent it): each
line after the first wholly base64, up to its line break. Go's decoder (kubectl) and `base64 -d` skip the breaks."""
_BLANKS = re.compile(r"\s+")
_MAX_ROUNDS = 4
"""How many times a value is decoded with every decoding at once: enough for an encoding inside another."""
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
"""RFC 6052's well-known prefix: a client behind NAT64 reaches the IPv4 address in its last 32 bits."""


def _unescape(match: re.Match[str]) -> str:
    hex4, hex8, hex2, octal, other = match.groups()
    if code := hex4 or hex8 or hex2:
        value = int(code, 16)
        return chr(value) if value <= 0x10FFFF else match[0]
    if octal:
        return chr(int(octal, 8))
    return _CONTROL_ESCAPES.get(other, other)


def _backslashes(text: str) -> str:
    """JSON, YAML, shell ($'...'), C and Python escapes: `\\u002e`, `\\x2e`, `\\056`, `\\.`."""
    return _BACKSLASH_ESCAPE.sub(_unescape, text)


def _escaped_line_breaks(text: str) -> str:
    """A backslash ending a line joins it to the next, whose leading blanks go too: YAML double-quoted scalars
    (YAML 1.2 section 7.3.1, escaped line breaks), java.util.Properties continuation lines, TOML's line-ending
    backslash in multi-line basic strings."""
    return _ESCAPED_LINE_BREAK.sub("", text)


def _compatibility(text: str) -> str:
    """Fullwidth and other compatibility forms as the ASCII they stand for (drivers that apply IDNA read them so)."""
    return unicodedata.normalize("NFKC", text).translate(_IDEOGRAPHIC_FULL_STOP)


def _shell_words(text: str) -> str:
    return _SHELL_QUOTING.sub("", text)


def _base64(text: str) -> str:
    """Each base64 run that decodes to text, as that text, wrapped runs joined first; runs that decode to bytes
    (keys, random tokens, ordinary words) stay. Text is what is at least nine tenths printable: a byte-order mark,
    one Latin-1 byte, a stray control or invisible character in an encoded file must not hide the host beside them,
    while a word that happens to be base64 decodes to bytes and is left to the other decodings."""
    return _BASE64_RUN.sub(_decoded, _WRAPPED_BASE64.sub(_decoded, text))


def _decoded(match: re.Match[str]) -> str:
    written = match[0]
    run = _BLANKS.sub("", written)
    try:
        data = base64.b64decode(run + "=" * (-len(run) % 4), altchars=b"-_" if "-" in run or "_" in run else None)
    except binascii.Error:
        return written
    text = data.decode("utf-8", errors="replace")
    stray = sum(
        1 for character in text if character == "\ufffd" or not (character.isprintable() or character.isspace())
    )
    return text if stray <= len(text) // 10 else written


DECODINGS = (
    _base64,
    unquote,
    _escaped_line_breaks,
    _backslashes,
    html.unescape,
    without_invisible,
    _compatibility,
    _shell_words,
)
"""Base64 (a Kubernetes Secret's data, a JWT), percent-encoding (URLs, .env files), escaped line breaks (YAML,
.properties, TOML), backslash escapes (JSON, YAML, shells), HTML entities, the characters resolvers drop from a
name (nameprep; tenantguard_db.urls.MAPPED_TO_NOTHING, before NFKC as nameprep orders them), Unicode compatibility
forms, shell quoting."""


@functools.lru_cache(maxsize=4)
def spellings(text: str) -> tuple[str, ...]:
    """`text` as written, decoded by each decoding once, and by all of them together until nothing changes."""
    found = dict.fromkeys([text, *(decode(text) for decode in DECODINGS)])
    everything = text
    for _ in range(_MAX_ROUNDS):
        decoded = everything
        for decode in DECODINGS:
            decoded = decode(decoded)
        if decoded == everything:
            break
        everything = decoded
    found[everything] = None
    return tuple(found)


def server_host(host: str) -> str | None:
    """The host libpq would reach for `host`, spelled one way, or None where it names no particular server.

    Spelled as tenantguard_db.urls.canonical_host spells it (case, trailing dot, every IPv4 form getaddrinfo
    accepts, IPv4-mapped IPv6), also without brackets or an IPv6 zone id (`fe80::1%eth0` is one address on each
    link) and with a NAT64 address as the IPv4 address it reaches. Loopback and unspecified addresses,
    `localhost` and Unix-socket paths name the machine the client runs on, which is never production's server.
    """
    name = canonical_host(host.strip().removeprefix("[").removesuffix("]"))
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        if not name or name == "localhost" or name.endswith(".localhost") or name.startswith(("/", "@")):
            return None
        return name
    if isinstance(address, ipaddress.IPv6Address):
        address = ipaddress.IPv6Address(int(address))  # without the zone id
        if address in NAT64:
            address = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.is_loopback or address.is_unspecified:
        return None
    return str(address)


def hosts_in(value: str) -> frozenset[str]:
    """server_host of every host-like token in any spelling of `value`: DNS names, single labels, IP literals."""
    tokens: set[str] = set()
    for spelling in spellings(value):
        for token in _NAME_TOKEN.findall(spelling):
            tokens |= {token, token.strip("._-")}
        for run in _IPV6_RUN.findall(spelling):
            tokens |= _ipv6_candidates(run)
    hosts = (server_host(token) for token in tokens if 0 < len(token) <= MAX_HOST_LENGTH or _ADDRESS.fullmatch(token))
    return frozenset(host for host in hosts if host is not None)


def _ipv6_candidates(run: str) -> set[str]:
    """Every stretch of `run` that is an IPv6 literal: `host:2001:db8::5:5432` holds 2001:db8::5 (and more).

    Only stretches that can be one are parsed: eight groups, or seven and an IPv4 tail, or fewer around `::`.
    """
    pieces = run.split(":")
    found = set()
    for start in range(len(pieces)):
        for end in range(start + 3, min(start + _IPV6_GROUPS, len(pieces)) + 1):
            window = pieces[start:end]
            if (
                "" not in window
                and len(window) != _FULL_GROUPS
                and not (len(window) == _FULL_GROUPS - 1 and "." in window[-1])
            ):
                continue
            try:
                found.add(str(ipaddress.IPv6Address(":".join(window))))
            except ValueError:
                continue
    return found


def names_a_host(value: str) -> bool:
    """Whether any spelling of `value` holds a URL or a host name or address written as one (a dotted name whose
    last label is a word, or an IP literal): a URL, a DSN, a settings file; not a bare key or token."""
    for spelling in spellings(value):
        if _URL_SCHEME.search(spelling):
            return True
        for token in _NAME_TOKEN.findall(spelling):
            if len(token) <= MAX_HOST_LENGTH and (_DNS_NAME.fullmatch(token) or _is_ip_literal(token)):
                return True
    return False


def _is_ip_literal(token: str) -> bool:
    try:
        ipaddress.ip_address(token)
    except ValueError:
        return False
    return True


def words_in(value: str) -> frozenset[str]:
    """Every word of any spelling of `value` that could be a database name: runs of letters, digits, `_`, `$` and
    `-`, also with dots, and without the dashes or dots they start or end with (`--dbname`, `tenantguard.`)."""
    words: set[str] = set()
    for spelling in spellings(value):
        for pattern in (_WORD, _DOTTED_WORD):
            for word in pattern.findall(spelling):
                words |= {word, word.strip(".-")}
    return frozenset(word for word in words if 0 < len(word) <= MAX_NAME_LENGTH)


def ports_in(value: str) -> frozenset[str]:
    """Every port a number in any spelling of `value` could be (libpq_port), and libpq's default port."""
    ports = {libpq_port(number) for spelling in spellings(value) for number in _NUMBER.findall(spelling)}
    return frozenset({port for port in ports if port.isdigit() and 1 <= int(port) <= 0xFFFF} | {DEFAULT_PORT})
