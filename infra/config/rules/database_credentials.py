"""Who types the database URLs: `databaseCredentials` (provided or generated), the server a generated stack's roles
live on (`databaseServer`, no credential in it), and their rotation counter (`databaseRotation`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from infra.config.settings import DatabaseCredentials, DatabaseServer, Secret
from infra.tables.database_roles import (
    CREDENTIAL_MODES,
    CREDENTIALS_KEY,
    DATABASE_LOGIN_BY_ROUTE,
    GENERATED,
    PROVIDED,
    ROTATION_KEY,
    SERVER_KEY,
    stack_name_problem,
)
from infra.tables.how_to import ROTATE_GENERATED_DATABASE, SWITCH_TO_GENERATED
from infra.tables.secret_keys import STRICT_SSLMODES
from infra.tables.tiers import TierProfile
from infra.tables.type_tokens import full_key
from tenantguard_db.urls import DEFAULT_PORT, UnsafeUrlError, parse_postgres_url

_ROTATION = re.compile(r"[1-9][0-9]{0,5}")
SERVER_EXAMPLE = "postgresql://db.staging.internal:5432/tenantguard?sslmode=require"


def generated(typed: Mapping[str, Any]) -> bool:
    return bool(typed[CREDENTIALS_KEY] == GENERATED)


def replaced_keys(typed: Mapping[str, Any]) -> frozenset[str]:
    """The secret config keys this stack does not hold because it generates them (none when provided)."""
    return frozenset(DATABASE_LOGIN_BY_ROUTE) if generated(typed) else frozenset()


def problems(stack: str, typed: Mapping[str, Any], secrets: Mapping[str, Secret], profile: TierProfile) -> list[str]:
    mode, server, rotation = typed[CREDENTIALS_KEY], typed[SERVER_KEY], typed[ROTATION_KEY]
    if mode not in CREDENTIAL_MODES:
        return [f"{full_key(CREDENTIALS_KEY)} must be one of {', '.join(CREDENTIAL_MODES)}"]
    found = []
    if not _ROTATION.fullmatch(rotation):
        found.append(
            f"{full_key(ROTATION_KEY)} must be a whole number from 1 up (raise it by one to rotate: "
            f"{ROTATE_GENERATED_DATABASE})"
        )
    if mode == PROVIDED:
        for key, default in ((SERVER_KEY, ""), (ROTATION_KEY, "1")):
            if typed[key] != default:
                found.append(
                    f"{full_key(key)} is only read when {full_key(CREDENTIALS_KEY)} is {GENERATED}; "
                    f"remove it (`pulumi config rm --stack {stack} {key}`) or generate the credentials "
                    f"({SWITCH_TO_GENERATED})"
                )
        return found
    if (problem := stack_name_problem(stack)) is not None:
        found.append(f"{full_key(CREDENTIALS_KEY)} is {GENERATED}, but {problem}")
    for key in sorted(DATABASE_LOGIN_BY_ROUTE):
        if secrets[key].value:
            # The URL is made by the stack from now on; a typed one would be a second source of truth.
            found.append(
                f"{full_key(key)} is set, but {full_key(CREDENTIALS_KEY)} is {GENERATED}: the stack composes it from "
                f"the roles it makes; remove it (`pulumi config rm --stack {stack} {key}`; {SWITCH_TO_GENERATED})"
            )
    if not server:
        found.append(
            f"{full_key(SERVER_KEY)} is required when {full_key(CREDENTIALS_KEY)} is {GENERATED}: the database's "
            f"host, port, name and sslmode, no user or password (e.g. `pulumi config set --stack {stack} "
            f"{SERVER_KEY} {SERVER_EXAMPLE}`; {SWITCH_TO_GENERATED})"
        )
    else:
        found += server_problems(server, profile)
    return found


def server_problems(server: str, profile: TierProfile) -> list[str]:
    """A credential-free URL of the database: host, port, database name, sslmode, and nothing else."""
    name = full_key(SERVER_KEY)
    try:
        parsed = parse_postgres_url(server)
    except UnsafeUrlError as refused:
        return [f"{name} {refused}"]
    if parsed.user is not None or parsed.password is not None:
        # Shown nowhere: a password typed here would be in the stack file in plaintext.
        return [
            f"{name} holds a user or password: it is plaintext config and carries no credential (the deploy job's "
            f"DB_ADMIN_URL does); if a password was in it, change that password; give e.g. {SERVER_EXAMPLE}"
        ]
    others = sorted({key for key, _ in parsed.parameters} - {"sslmode"})
    if others:
        return [f"{name} may carry sslmode only, no other query parameter ({', '.join(others)})"]
    if profile.tls_required and parsed.sslmode not in STRICT_SSLMODES:
        return [f"{name} must set sslmode to one of {', '.join(STRICT_SSLMODES)} in {profile.tier}"]
    return []


def credentials(typed: Mapping[str, Any]) -> DatabaseCredentials:
    """The validated choice (problems() found nothing)."""
    if not generated(typed):
        return DatabaseCredentials(generated=False, server=None, rotation=1)
    parsed = parse_postgres_url(typed[SERVER_KEY])
    server = DatabaseServer(
        host=parsed.host, port=int(parsed.port or DEFAULT_PORT), database=parsed.dbname, sslmode=parsed.sslmode
    )
    return DatabaseCredentials(generated=True, server=server, rotation=int(typed[ROTATION_KEY]))
