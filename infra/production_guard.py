"""Keeps non-production stacks off the production database: a keyed fingerprint of its identity, compared.

The identity is what libpq connects to (tenantguard_db.urls: host normalised, port with its default,
database name), so driver-equivalent spellings of one database have one fingerprint. Production also
exports a check value derived from its key (never the key), so a stack whose key differs, and whose
fingerprints could therefore never match, fails instead of passing everything.
"""

from __future__ import annotations

import hashlib
import hmac

import pulumi

from tenantguard_db.urls import parse_postgres_url

FINGERPRINT_OUTPUT = "databaseFingerprint"
KEY_CHECK_OUTPUT = "databaseFingerprintKeyCheck"
PRODUCTION_STACK_KEY = "tenantguard-infra:productionStack"
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


def checked(
    key: str, value: pulumi.Output[str], own_fingerprint: str, own_key_check: str, production_stack: str
) -> pulumi.Output[str]:
    """`value` (of config `key`) unchanged, but failing the deployment if its fingerprint is production's.

    Everything that uses the value waits on this check, so a reused production URL is never written.
    """
    # A StackReference to a stack that does not exist fails the whole run ("unknown stack", pulumi/pulumi
    # pkg/backend/backend.go GetStackOutputs), preview included: production is deployed first.
    reference = pulumi.StackReference("production-stack", stack_name=production_stack)

    def check(args: list[object]) -> str:
        production, production_key_check, url = args
        if production is None:
            # The stack exists but was never deployed (or by a version without the guard): nothing
            # to compare with, so nothing that uses the value may be written.
            raise ProductionNotDeployedError(
                f"{production_stack} exports no {FINGERPRINT_OUTPUT}: it has not been deployed yet, so the check "
                f"that {key} is not the production database cannot run; deploy it first "
                f"(`pulumi up --stack {production_stack.rsplit('/', 1)[-1]}`), then this stack"
            )
        if production_key_check is not None and not hmac.compare_digest(str(production_key_check), own_key_check):
            raise FingerprintKeyMismatchError(
                f"{FINGERPRINT_KEY_KEY} differs from the one {production_stack} uses, so the check that {key} is "
                "not the production database cannot work; set the same value on every stack"
            )
        elif hmac.compare_digest(str(production), own_fingerprint):
            raise ProductionDatabaseReusedError(
                f"{key} points at the production database of {production_stack} "
                "(same host, port and database name); give this stack a database of its own"
            )
        if production_key_check is None:
            pulumi.log.warn(
                f"{production_stack} exports no {KEY_CHECK_OUTPUT} (deployed by an older version?); "
                f"whether {FINGERPRINT_KEY_KEY} matches could not be checked; run `pulumi up` on production"
            )
        return str(url)

    outputs = pulumi.Output.all(reference.get_output(FINGERPRINT_OUTPUT), reference.get_output(KEY_CHECK_OUTPUT), value)
    return pulumi.Output.secret(outputs.apply(check))
