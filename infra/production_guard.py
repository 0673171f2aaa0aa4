"""Keeps non-production stacks off the production database: a keyed fingerprint of its identity, compared."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

import pulumi

FINGERPRINT_OUTPUT = "databaseFingerprint"
DEFAULT_PORT = 5432
PRODUCTION_STACK_KEY = "tenantguard-infra:productionStack"


def fingerprint(url: str, key: str) -> str:
    """HMAC-SHA256 of the database's host, port and name; the password and user play no part."""
    parts = urlsplit(url)
    identity = f"{(parts.hostname or '').lower()}:{parts.port or DEFAULT_PORT}/{parts.path.strip('/')}"
    return hmac.new(key.encode(), identity.encode(), hashlib.sha256).hexdigest()


class ProductionDatabaseReusedError(ValueError):
    """A non-production stack's CI_DB_URL names the production database."""


def checked(
    key: str, value: pulumi.Output[str], own_fingerprint: str, production_stack: str | None
) -> pulumi.Output[str]:
    """`value` (of config `key`) unchanged, but failing the deployment if its fingerprint is production's.

    Everything that uses the value waits on this check, so a reused production URL is never written.
    """
    if production_stack is None:
        # Pulumi fails the whole run on a StackReference to a stack that does not exist yet, so
        # until production is deployed the check is off by configuration, and says so.
        pulumi.log.warn(f"{PRODUCTION_STACK_KEY} is empty: the check that {key} is not the production database is off")
        return value
    reference = pulumi.StackReference("production-stack", stack_name=production_stack)

    def check(args: list[object]) -> str:
        production, url = args
        if production is None:
            pulumi.log.warn(
                f"{production_stack} exports no {FINGERPRINT_OUTPUT} (not deployed yet?); "
                f"the check that {key} is not the production database was skipped"
            )
        elif hmac.compare_digest(str(production), own_fingerprint):
            raise ProductionDatabaseReusedError(
                f"{key} points at the production database of {production_stack} "
                "(same host, port and database name); give this stack a database of its own"
            )
        return str(url)

    return pulumi.Output.secret(pulumi.Output.all(reference.get_output(FINGERPRINT_OUTPUT), value).apply(check))
