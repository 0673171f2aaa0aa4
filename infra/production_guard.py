"""Keeps non-production stacks off production's databases: keyed fingerprints of their identities, compared.

Every PostgreSQL URL a stack distributes is compared, whichever config key holds it (extraSecrets too).

The identity is what libpq connects to (tenantguard_db.urls: host normalised, port with its default,
database name), so driver-equivalent spellings of one database have one fingerprint. Production also
exports a check value derived from its key (never the key), so a stack whose key differs, and whose
fingerprints could therefore never match, fails instead of passing everything.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from tenantguard_db.urls import parse_postgres_url

FINGERPRINTS_OUTPUT = "databaseFingerprints"
FINGERPRINT_OUTPUT = "databaseFingerprint"
KEY_CHECK_OUTPUT = "databaseFingerprintKeyCheck"
FINGERPRINT_KEY_KEY = "tenantguard-infra:dbFingerprintKey"
_KEY_CHECK_MESSAGE = b"tenantguard production-database guard: key check"


POSTGRES_SCHEME = re.compile(r"(?:postgres|postgresql)(?:\+[a-z0-9_]+)?://", re.IGNORECASE)
"""How a PostgreSQL URL starts: libpq's two schemes, in any case (schemes are case-insensitive, RFC 3986
section 3.1, and URL parsers other than libpq's accept them so), with or without a SQLAlchemy driver
suffix (postgresql+psycopg://)."""


def postgres_url(value: str) -> str | None:
    """`value` with a libpq scheme when it is a PostgreSQL URL in any of those spellings, else None.

    Only the scheme is rewritten; fingerprints do not depend on it. Values that are not URLs of this
    shape are not compared: a Redis URL names another kind of server, which production exports no
    fingerprint of; libpq keyword strings (`host=... dbname=...`) and JDBC URLs are not recognised.
    """
    match = POSTGRES_SCHEME.match(value)
    return None if match is None else "postgresql://" + value[match.end() :]


def fingerprint(url: str, key: str) -> str:
    """HMAC-SHA256 of the database libpq would connect to; the password and user play no part."""
    identity = parse_postgres_url(url).identity()
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


def verdict(guarded: Mapping[str, str], key: str, against: Production) -> pulumi.Output[Sequence[pulumi.Resource]]:
    """Resolves, to no resource, once no URL of `guarded` (by config key) names one of production's databases.

    Otherwise it fails, naming the keys and never a value. It is meant as every resource's `depends_on`:
    the SDK awaits an Output-valued depends_on before it sends RegisterResource (prepare_resource in
    pulumi/runtime/resource.py awaits `_resolve_depends_on_urns`, whose `_resolve_depends_on` in
    pulumi/runtime/_depends_on.py awaits the outer Output's future), so a failed verdict fails each
    registration before the engine hears of the resource, and nothing is created, changed or replaced.
    """
    stack = against.stack
    keys = list(guarded)
    what = " and ".join(keys)
    own = {config_key: fingerprint(url, key) for config_key, url in guarded.items()}
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
            if any(hmac.compare_digest(str(theirs), mine) for theirs in known)
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
