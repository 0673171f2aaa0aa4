"""Keeps non-production stacks off production's databases and their servers: keyed fingerprints, compared.

Production exports a keyed fingerprint (HMAC-SHA256 under the shared `dbFingerprintKey`) of every PostgreSQL
database it distributes and of each one's server: its host as libpq would reach it (host_tokens.server_host), and
that host with the port.
A preview or staging stack reads every secret value it distributes (infra/guard/database_names.py) and:

- refuses a value that names one of production's databases (same host, port and database), in a shape it reads
  as libpq does or in labelled fields beside one of production's servers. Never acknowledgeable.
- refuses a value in which any host-like token, in any format, is one of production's database servers, unless
  that config key is acknowledged with a reason (`acknowledgedProductionServers`); then it warns. The port plays no
  part there: in a value of unknown format a port cannot be told apart from any other number, and another port
  on production's host (a pooler on 6432) is still production's machine.

Production also exports a check value derived from its key (never the key), so a stack whose key differs, and whose
fingerprints could therefore never match, fails instead of passing everything.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from infra.guard.database_names import Reading
from infra.tables.how_to import ROTATE_FINGERPRINT_KEY
from infra.tables.type_tokens import full_key
from tenantguard_db.urls import parse_postgres_url

FINGERPRINTS_OUTPUT = "databaseFingerprints"
FINGERPRINT_OUTPUT = "databaseFingerprint"
SERVER_FINGERPRINTS_OUTPUT = "databaseServerFingerprints"
KEY_CHECK_OUTPUT = "databaseFingerprintKeyCheck"
VALUE_FINGERPRINTS_OUTPUT = "secretValueFingerprints"
FINGERPRINT_KEY_KEY = "tenantguard-infra:dbFingerprintKey"
ACKNOWLEDGED_KEY = "acknowledgedProductionServers"
PRODUCTION_STACK_KEY = "productionStack"
_KEY_CHECK_MESSAGE = b"tenantguard production-database guard: key check"
POOLER_PORT = "6432"
"""PgBouncer's default listen_port (https://www.pgbouncer.org/config.html#listen_port)."""
_SERVER_PREFIX = "server "
"""Keeps a server's fingerprint apart from any database identity's (host:port/name)."""
_VALUE_PREFIX = "value "
"""Keeps a whole value's fingerprint apart from the others."""


def fingerprint(url: str, key: str) -> str:
    """HMAC-SHA256 of the database libpq would connect to; the password and user play no part."""
    return identity_fingerprint(parse_postgres_url(url).identity(), key)


def identity_fingerprint(identity: str, key: str) -> str:
    """HMAC-SHA256 of a database identity (tenantguard_db.urls.database_identity) under the shared key."""
    return _hmac(key, identity)


def server_fingerprint(host: str, key: str, port: str | None = None) -> str:
    """HMAC-SHA256 of a database server's host (host_tokens.server_host), or of its host and port, under the shared
    key."""
    return _hmac(key, _SERVER_PREFIX + host + (f" port {port}" if port is not None else ""))


def value_fingerprint(value: str, key: str) -> str:
    """HMAC-SHA256 of a whole secret value, trimmed, under the shared key."""
    return _hmac(key, _VALUE_PREFIX + value.strip())


def _hmac(key: str, message: str) -> str:
    # surrogatepass: a value's JSON escapes may decode to lone surrogates; they are compared, never refused here.
    return hmac.new(key.encode(), message.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def key_check(key: str) -> str:
    """A value derived from the fingerprint key that shows whether two stacks hold the same key."""
    return hmac.new(key.encode(), _KEY_CHECK_MESSAGE, hashlib.sha256).hexdigest()


def exports(readings: Mapping[str, Reading], ci_db_url: str, key: str) -> dict[str, object]:
    """What production exports for the other stacks' guard: fingerprints of its databases and of their servers, of
    each value naming a host (by the config key holding it, which is no secret), the key check, and its CI
    database's fingerprint alone for stacks of versions before the list."""
    identities = [identity for reading in readings.values() for identity in reading.identities()]
    servers = dict.fromkeys(server for reading in readings.values() for server in reading.servers())
    hosts = dict.fromkeys(host for host, _ in servers)
    return {
        FINGERPRINTS_OUTPUT: [identity_fingerprint(identity, key) for identity in identities],
        SERVER_FINGERPRINTS_OUTPUT: [server_fingerprint(host, key) for host in hosts]
        + [server_fingerprint(host, key, port) for host, port in servers],
        VALUE_FINGERPRINTS_OUTPUT: {
            value_fingerprint(reading.whole, key): config_key
            for config_key, reading in readings.items()
            if reading.whole is not None
        },
        FINGERPRINT_OUTPUT: fingerprint(ci_db_url, key),
        KEY_CHECK_OUTPUT: key_check(key),
    }


class ProductionDatabaseReusedError(pulumi.RunError):
    """A non-production stack's secret names one of production's databases."""


class ProductionServerNamedError(pulumi.RunError):
    """A non-production stack's secret names one of production's database servers, and is not acknowledged."""


class ProductionValueReusedError(pulumi.RunError):
    """A non-production stack's secret is, whole, a value production distributes."""


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
    servers: pulumi.Output[Any]
    """Fingerprints of its databases' servers (None from a production deployed before they existed)."""
    key_check: pulumi.Output[Any]
    values: pulumi.Output[Any] = dataclasses.field(default_factory=lambda: pulumi.Output.from_input(None))
    """Fingerprints of its values naming a host, to the config key holding each (None from a production deployed
    before they existed)."""


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
        reference.get_output(SERVER_FINGERPRINTS_OUTPUT),
        reference.get_output(KEY_CHECK_OUTPUT),
        reference.get_output(VALUE_FINGERPRINTS_OUTPUT),
    )


@dataclass(frozen=True)
class Matches:
    """Which config keys name what of production's, by fingerprint."""

    databases: list[str]
    """Keys whose value names one of production's databases."""
    servers: list[str]
    """Keys whose value names one of production's database servers, and none of its databases."""
    values: dict[str, str] = dataclasses.field(default_factory=dict)
    """Keys whose whole value is one production distributes, to production's key holding it."""


def compare(
    readings: Mapping[str, Reading],
    key: str,
    databases: Collection[str],
    servers: Collection[str],
    values: Mapping[str, str] | None = None,
) -> Matches:
    """The config keys whose reading names one of production's `databases` or `servers`, or is one of its `values`
    (fingerprints; values by fingerprint to production's key)."""
    known_databases = {str(theirs) for theirs in databases}
    known_servers = {str(theirs) for theirs in servers}

    def named(fingerprints: Collection[str], known: Collection[str]) -> bool:
        return any(hmac.compare_digest(one, theirs) for one in fingerprints for theirs in known)

    matches = Matches([], [])
    known_values = {str(theirs): str(config_key) for theirs, config_key in (values or {}).items()}
    for config_key, reading in readings.items():
        if reading.whole is not None:
            own = value_fingerprint(reading.whole, key)
            theirs = next((known_values[one] for one in known_values if hmac.compare_digest(own, one)), None)
            if theirs is not None:
                matches.values[config_key] = theirs
        identities = set(reading.identities())
        on_theirs = [host for host in reading.hosts if server_fingerprint(host, key) in known_servers]
        for host in on_theirs:
            # Only the ports production's servers listen on: the words are then compared once each. Besides the
            # value's numbers and libpq's default, PgBouncer's default port, where production's own URLs may point.
            candidates = reading.ports | {POOLER_PORT}
            ports = [port for port in candidates if server_fingerprint(host, key, port) in known_servers]
            identities |= reading.on(host, ports)
        if named({identity_fingerprint(identity, key) for identity in identities}, known_databases):
            matches.databases.append(config_key)
        elif on_theirs:
            matches.servers.append(config_key)
    return matches


def verdict(
    readings: Mapping[str, Reading],
    key: str,
    against: Production,
    acknowledged: Mapping[str, str],
    own_stack: str,
) -> pulumi.Output[Sequence[pulumi.Resource]]:
    """Resolves, to no resource, once no value of `readings` (by config key) names one of production's databases,
    nor one of its database servers unless `acknowledged` (config key -> reason) says why it may.

    Otherwise it fails, naming the keys and never a value or a part of one. It is meant as every resource's
    `depends_on`: the SDK awaits an Output-valued depends_on before it sends RegisterResource (prepare_resource in
    pulumi/runtime/resource.py awaits `_resolve_depends_on_urns`, whose `_resolve_depends_on` in
    pulumi/runtime/_depends_on.py awaits the outer Output's future), so a failed verdict fails each
    registration before the engine hears of the resource, and nothing is created, changed or replaced.
    """
    stack = against.stack
    command = f"pulumi up --stack {stack.rsplit('/', 1)[-1]}"
    own_key_check = key_check(key)

    def check(args: list[Any]) -> Sequence[pulumi.Resource]:
        fingerprints, single, servers, production_key_check, values = args
        known = list(fingerprints) if isinstance(fingerprints, list) else ([single] if single is not None else [])
        if not known:
            # The stack exists but was never deployed (or by a version without the guard): nothing
            # to compare with, so nothing may be written.
            raise ProductionNotDeployedError(
                f"{stack} exports no {FINGERPRINTS_OUTPUT}: it has not been deployed yet, so the check "
                f"that this stack's secrets name no production database cannot run; deploy it first "
                f"(`{command}`), then this stack (docs/tutorial/first-deploy.md#7-deploy-production-by-hand-once)"
            )
        if production_key_check is not None and not hmac.compare_digest(str(production_key_check), own_key_check):
            raise FingerprintKeyMismatchError(
                f"{FINGERPRINT_KEY_KEY} differs from the one {stack} uses, so the check that this stack's secrets "
                f"name no production database cannot work; set the same value on every stack ({ROTATE_FINGERPRINT_KEY})"
            )
        theirs = (servers if isinstance(servers, list) else [], values if isinstance(values, dict) else {})
        matches = compare(readings, key, known, *theirs)
        if matches.databases:
            verb = "points" if len(matches.databases) == 1 else "point"
            raise ProductionDatabaseReusedError(
                f"{' and '.join(matches.databases)} {verb} at a database of {stack} (same host, port and database "
                "name); give this stack a database of its own (a database of production cannot be acknowledged); "
                "nothing was written"
            )
        if matches.values:
            reused = [f"{own} holds the very value {stack} distributes as {as_}" for own, as_ in matches.values.items()]
            raise ProductionValueReusedError(
                f"{'; '.join(reused)}: production's own value, in whatever shape, cannot be acknowledged; give this "
                "stack values of its own; nothing was written"
            )
        if not isinstance(servers, list):
            raise ProductionNotDeployedError(
                f"{stack} exports no {SERVER_FINGERPRINTS_OUTPUT} (deployed by a version before the server check), "
                f"so the check that this stack's secrets name none of its database servers cannot run; update it "
                f"first (`{command}`), then this stack"
            )
        if production_key_check is None:
            # Every production deployed by a version with server fingerprints exports it: without it, the stack is
            # older or not this project's production, and no match proves nothing. (A match is one: reported above.)
            raise ProductionNotDeployedError(
                f"{stack} exports no {KEY_CHECK_OUTPUT} (deployed by an older version, or not this project's "
                f"production stack: check {full_key(PRODUCTION_STACK_KEY)}), so whether {FINGERPRINT_KEY_KEY} "
                f"matches cannot be checked and the check that this stack's secrets name no production database "
                f"cannot run; update it first (`{command}`), then this stack"
            )
        if not isinstance(values, dict):
            raise ProductionNotDeployedError(
                f"{stack} exports no {VALUE_FINGERPRINTS_OUTPUT} (deployed by a version before the value check), so "
                f"the check that this stack hands out none of its values cannot run; update it first (`{command}`), "
                "then this stack"
            )
        _report(stack, own_stack, matches.servers, acknowledged)
        return []

    outputs = (against.fingerprints, against.fingerprint, against.servers, against.key_check, against.values)
    return pulumi.Output.all(*outputs).apply(check)


def _report(stack: str, own_stack: str, named: Sequence[str], acknowledged: Mapping[str, str]) -> None:
    """Raises while a key naming one of production's servers is not acknowledged; warns for those that are, and
    for acknowledgements that match nothing any more."""
    setting = full_key(ACKNOWLEDGED_KEY)
    unacknowledged = [config_key for config_key in named if config_key not in acknowledged]
    if unacknowledged:
        verb = "names" if len(unacknowledged) == 1 else "name"
        raise ProductionServerNamedError(
            f"{' and '.join(unacknowledged)} {verb} one of {stack}'s database servers (a host of one of its "
            "databases, in any format); nothing was written. Give this stack servers of its own. If the value must "
            "name that server (another database on it, say), acknowledge it with the reason: pulumi config set "
            f"--stack {own_stack} --path '{ACKNOWLEDGED_KEY}[\"{unacknowledged[0]}\"]' '<why, until when>' "
            "(docs/explanation/production-database-guard.md#a-value-that-must-name-productions-server)"
        )
    for config_key in named:
        pulumi.log.warn(
            f"acknowledged ({acknowledged[config_key]}): {config_key} names one of {stack}'s database servers"
        )
    for config_key in sorted(set(acknowledged) - set(named)):
        pulumi.log.warn(
            f"{setting}[{config_key!r}] matches no value naming one of {stack}'s database servers any more: remove "
            f"it (`pulumi config rm --stack {own_stack} --path '{ACKNOWLEDGED_KEY}[\"{config_key}\"]'`)"
        )


def passed(gate: pulumi.Output[Sequence[pulumi.Resource]], value: pulumi.Input[str]) -> pulumi.Output[str]:
    """`value` unchanged (and secret), available only once the verdict `gate` has passed.

    Resources already wait on the gate through depends_on; a value that waits too cannot reach a
    resource someone adds later without it.
    """
    return pulumi.Output.secret(pulumi.Output.all(gate, value).apply(lambda pair: str(pair[1])))
