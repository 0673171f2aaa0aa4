"""Keeps non-production stacks off the production database: a keyed fingerprint of its identity, compared.

The identity is what libpq connects to (tenantguard_db.urls: host normalised, port with its default,
database name), so driver-equivalent spellings of one database have one fingerprint. Production also
exports a check value derived from its key (never the key), so a stack whose key differs, and whose
fingerprints could therefore never match, fails instead of passing everything.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

import pulumi

from tenantguard_db.urls import parse_postgres_url

FINGERPRINTS_OUTPUT = "databaseFingerprints"
FINGERPRINT_OUTPUT = "databaseFingerprint"
KEY_CHECK_OUTPUT = "databaseFingerprintKeyCheck"
FINGERPRINT_KEY_KEY = "tenantguard-infra:dbFingerprintKey"
_KEY_CHECK_MESSAGE = b"tenantguard production-database guard: key check"


def fingerprint(url: str, key: str) -> str:
    """HMAC-SHA256 of the database libpq would connect to; the password and user play no part."""
    identity = parse_postgres_url(url).identity()
    return hmac.new(key.encode(), identity.encode(), hashlib.sha256).hexdigest()


def key_check(key: str) -> str:
    """A value derived from the fingerprint key that shows whether two stacks hold the same key."""
    return hmac.new(key.encode(), _KEY_CHECK_MESSAGE, hashlib.sha256).hexdigest()


class ProductionDatabaseReusedError(ValueError):
    """A non-production stack's CI_DB_URL names the production database."""


class ProductionNotDeployedError(ValueError):
    """The production stack exists but exports no fingerprint to compare with."""


class FingerprintKeyMismatchError(ValueError):
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


def checked(
    key: str, value: pulumi.Output[str], own_fingerprint: str, own_key_check: str, against: Production
) -> pulumi.Output[str]:
    """`value` (of config `key`) unchanged, but failing the deployment if it names one of production's databases.

    Everything that uses the value waits on this check, so a reused production URL is never written.
    """
    stack = against.stack

    def check(args: list[Any]) -> str:
        fingerprints, single, production_key_check, url = args
        known = list(fingerprints) if isinstance(fingerprints, list) else ([single] if single is not None else [])
        if not known:
            # The stack exists but was never deployed (or by a version without the guard): nothing
            # to compare with, so nothing that uses the value may be written.
            raise ProductionNotDeployedError(
                f"{stack} exports no {FINGERPRINTS_OUTPUT}: it has not been deployed yet, so the check "
                f"that {key} is not a production database cannot run; deploy it first "
                f"(`pulumi up --stack {stack.rsplit('/', 1)[-1]}`), then this stack"
            )
        if production_key_check is not None and not hmac.compare_digest(str(production_key_check), own_key_check):
            raise FingerprintKeyMismatchError(
                f"{FINGERPRINT_KEY_KEY} differs from the one {stack} uses, so the check that {key} is "
                "not a production database cannot work; set the same value on every stack"
            )
        if any(hmac.compare_digest(str(theirs), own_fingerprint) for theirs in known):
            raise ProductionDatabaseReusedError(
                f"{key} points at a database of {stack} (same host, port and database name); "
                "give this stack a database of its own"
            )
        if production_key_check is None:
            pulumi.log.warn(
                f"{stack} exports no {KEY_CHECK_OUTPUT} (deployed by an older version?); "
                f"whether {FINGERPRINT_KEY_KEY} matches could not be checked; run `pulumi up` on production"
            )
        return str(url)

    outputs = pulumi.Output.all(against.fingerprints, against.fingerprint, against.key_check, value)
    return pulumi.Output.secret(outputs.apply(check))
