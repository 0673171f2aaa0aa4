"""Keeps non-production stacks off production's databases: keyed fingerprints of their identities, compared.

Every PostgreSQL database a stack distributes is compared, whichever config key holds it (extraSecrets too)
and however it is written: a URL anywhere in the value (JDBC's, a .env line, JSON) or a libpq keyword string.

The identity is what libpq connects to (tenantguard_db.urls: host normalised, port with its default,
database name), so driver-equivalent spellings of one database have one fingerprint. Production also
exports a check value derived from its key (never the key), so a stack whose key differs, and whose
fingerprints could therefore never match, fails instead of passing everything.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from tenantguard_db.urls import UnsafeUrlError, database_identity, parse_postgres_url

FINGERPRINTS_OUTPUT = "databaseFingerprints"
FINGERPRINT_OUTPUT = "databaseFingerprint"
KEY_CHECK_OUTPUT = "databaseFingerprintKeyCheck"
FINGERPRINT_KEY_KEY = "tenantguard-infra:dbFingerprintKey"
_KEY_CHECK_MESSAGE = b"tenantguard production-database guard: key check"


POSTGRES_SCHEME = re.compile(r"(?<![A-Za-z0-9+.-])(?:postgres|postgresql)(?:\+[a-z0-9_]+)?://", re.IGNORECASE)
"""Where a PostgreSQL URL starts: libpq's two schemes, in any case (schemes are case-insensitive, RFC 3986
section 3.1, and URL parsers other than libpq's accept them so), with or without a SQLAlchemy driver
suffix (postgresql+psycopg://), not inside a longer scheme; JDBC's `jdbc:` before it is no part of it."""
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


def database_identities(value: str) -> tuple[str, ...]:
    """The identity (tenantguard_db.urls.database_identity) of every PostgreSQL database `value` names.

    Found anywhere in it: the value itself as a URL, any URL inside it (JDBC's `jdbc:postgresql://...`, a
    pasted `.env` line, prose), the strings of a JSON document, and libpq keyword strings (`host=...
    dbname=...`) whole or as a `.env` line's value. A value naming none (an API key, a Redis URL) has no
    identity. Raises UnguardableValueError for a URL or keyword string the guard cannot read as libpq does
    (several hosts, a password or host in a URL's query, ...): it could not be compared.
    """
    identities: list[str] = []
    for text in _texts(value):
        identities += _identities_in(text)
    return tuple(dict.fromkeys(identities))


def _texts(value: str) -> list[str]:
    """The strings of a JSON document (decoded, so `\\/` and `\\u0040` read as libpq would see them), else the value."""
    try:
        document = json.loads(value)
    except ValueError:
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


def _identities_in(text: str) -> list[str]:
    whole = POSTGRES_SCHEME.match(text)
    if whole is not None:
        # The whole value is one URL, read exactly as given (a password may hold any character).
        return [_url_identity(text[whole.end() :])]
    identities = []
    for match in POSTGRES_SCHEME.finditer(text):
        found = _URL_END.search(text, match.end())
        url = text[match.end() : found.start() if found else len(text)].rstrip(_TRAILING_PUNCTUATION)
        identities.append(_url_identity(url))
    candidates = [text]
    for line in text.splitlines():
        env_line = _ENV_LINE.fullmatch(line)
        candidates += [line, env_line["value"].strip().strip("\"'")] if env_line else [line]
    return identities + [identity for candidate in candidates for identity in _keyword_identities(candidate)]


def _url_identity(after_scheme: str) -> str:
    """The identity of the URL whose text after its scheme (any spelling of POSTGRES_SCHEME) is `after_scheme`."""
    try:
        return parse_postgres_url("postgresql://" + after_scheme).identity()
    except UnsafeUrlError as refused:
        raise UnguardableValueError(f"holds a PostgreSQL URL that {refused}") from None


def _keyword_identities(text: str) -> list[str]:
    """The database of a libpq keyword string (`host=... dbname=...`); none for text that is not one.

    libpq refuses any word that is not one of its keywords (`sk-...`, `abc==`, `key=value`), so an API key
    or token never parses as one; a string that parses but names no host is a local socket or a fragment.
    """
    if POSTGRES_SCHEME.match(text.strip()):
        return []  # a URL, compared above; conninfo_to_dict would read it as one too
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
    port = parsed.get("port")
    port = str(int(port)) if port and port.isdigit() else port
    return [database_identity(host, port, dbname) for host in hosts]


def fingerprint(url: str, key: str) -> str:
    """HMAC-SHA256 of the database libpq would connect to; the password and user play no part."""
    return identity_fingerprint(parse_postgres_url(url).identity(), key)


def identity_fingerprint(identity: str, key: str) -> str:
    """HMAC-SHA256 of a database identity (tenantguard_db.urls.database_identity) under the shared key."""
    return hmac.new(key.encode(), identity.encode(), hashlib.sha256).hexdigest()


def key_check(key: str) -> str:
    """A value derived from the fingerprint key that shows whether two stacks hold the same key."""
    return hmac.new(key.encode(), _KEY_CHECK_MESSAGE, hashlib.sha256).hexdigest()


class ProductionDatabaseReusedError(pulumi.RunError):
    """A non-production stack's secret names one of production's databases."""


class ProductionNotDeployedError(pulumi.RunError):
    """The production stack exists but exports no fingerprint to compare with."""


class FingerprintKeyMismatchError(pulumi.RunError):
    """A non-production stack's fingerprint key is not production's, so the guard could never match."""


@dataclass(frozen=True)
class Production:
    """What the production stack exports for the guard, read once through one StackReference."""

    stack: str
    fingerprints: pulumi.Output[Any]
    """Fingerprints of every database production uses (None from a production deployed before they existed)."""
    fingerprint: pulumi.Output[Any]
    """Its CI database's fingerprint alone, as older versions exported it."""
    key_check: pulumi.Output[Any]


def production(stack: str) -> Production:
    """The production stack's guard outputs.

    A StackReference to a stack that does not exist fails the whole run ("unknown stack", pulumi/pulumi
    pkg/backend/backend.go GetStackOutputs), preview included: production is deployed first.
    """
    reference = pulumi.StackReference("production-stack", stack_name=stack)
    return Production(
        stack,
        reference.get_output(FINGERPRINTS_OUTPUT),
        reference.get_output(FINGERPRINT_OUTPUT),
        reference.get_output(KEY_CHECK_OUTPUT),
    )


def verdict(
    guarded: Mapping[str, Sequence[str]], key: str, against: Production
) -> pulumi.Output[Sequence[pulumi.Resource]]:
    """Resolves, to no resource, once no database identity of `guarded` (by config key) is one of production's.

    Otherwise it fails, naming the keys and never a value. It is meant as every resource's `depends_on`:
    the SDK awaits an Output-valued depends_on before it sends RegisterResource (prepare_resource in
    pulumi/runtime/resource.py awaits `_resolve_depends_on_urns`, whose `_resolve_depends_on` in
    pulumi/runtime/_depends_on.py awaits the outer Output's future), so a failed verdict fails each
    registration before the engine hears of the resource, and nothing is created, changed or replaced.
    """
    stack = against.stack
    keys = list(guarded)
    what = " and ".join(keys)
    own = {config_key: [identity_fingerprint(i, key) for i in identities] for config_key, identities in guarded.items()}
    own_key_check = key_check(key)

    def check(args: list[Any]) -> Sequence[pulumi.Resource]:
        fingerprints, single, production_key_check = args
        known = list(fingerprints) if isinstance(fingerprints, list) else ([single] if single is not None else [])
        if not known:
            # The stack exists but was never deployed (or by a version without the guard): nothing
            # to compare with, so nothing may be written.
            raise ProductionNotDeployedError(
                f"{stack} exports no {FINGERPRINTS_OUTPUT}: it has not been deployed yet, so the check "
                f"that {what} name no production database cannot run; deploy it first "
                f"(`pulumi up --stack {stack.rsplit('/', 1)[-1]}`), then this stack"
            )
        if production_key_check is not None and not hmac.compare_digest(str(production_key_check), own_key_check):
            raise FingerprintKeyMismatchError(
                f"{FINGERPRINT_KEY_KEY} differs from the one {stack} uses, so the check that {what} name no "
                "production database cannot work; set the same value on every stack"
            )
        reused = [
            config_key
            for config_key, mine in own.items()
            if any(hmac.compare_digest(str(theirs), one) for one in mine for theirs in known)
        ]
        if reused:
            verb = "points" if len(reused) == 1 else "point"
            raise ProductionDatabaseReusedError(
                f"{' and '.join(reused)} {verb} at a database of {stack} (same host, port and database name); "
                "give this stack a database of its own; nothing was written"
            )
        if production_key_check is None:
            pulumi.log.warn(
                f"{stack} exports no {KEY_CHECK_OUTPUT} (deployed by an older version?); "
                f"whether {FINGERPRINT_KEY_KEY} matches could not be checked; run `pulumi up` on production"
            )
        return []

    return pulumi.Output.all(against.fingerprints, against.fingerprint, against.key_check).apply(check)


def passed(gate: pulumi.Output[Sequence[pulumi.Resource]], value: pulumi.Input[str]) -> pulumi.Output[str]:
    """`value` unchanged (and secret), available only once the verdict `gate` has passed.

    Resources already wait on the gate through depends_on; a value that waits too cannot reach a
    resource someone adds later without it.
    """
    return pulumi.Output.secret(pulumi.Output.all(gate, value).apply(lambda pair: str(pair[1])))
