"""Which secret lands where: the one table the components, the offline plan, the tests and the docs read."""

from __future__ import annotations

import re
from dataclasses import dataclass

GENERATED_SOURCES = ("sessionKey", "previousSessionKey")
"""Secrets the program generates itself with pulumi-random (see infra/components/generated_secrets.py); a generated
secret is delivered only while its generator produces it (the previous session key, after a rotation)."""

EXTRA_SECRETS_KEY = "extraSecrets"
"""Config key of the map of extra secrets (LLM provider keys), each routed like EXTRA_ROUTE."""


@dataclass(frozen=True)
class Route:
    """One secret: where its value comes from and where it is delivered."""

    name: str
    """Name of the GitHub environment secret and of the Vercel variable."""
    source: str
    """Config key holding the value (extras: the extraSecrets map), or the name of a generated secret."""
    github: bool
    """Delivered as a GitHub Actions secret of the stack's environment (never repository-wide)."""
    vercel: bool
    """Delivered as a sensitive Vercel variable for the stack's Vercel targets."""
    purpose: str

    @property
    def generated(self) -> bool:
        return self.source in GENERATED_SOURCES


ROUTES: tuple[Route, ...] = (
    #     name                  source         github vercel purpose
    Route("CI_DB_URL", "ciDbUrl", True, False, "database the workflows migrate with Alembic"),
    Route("VERCEL_TOKEN", "vercelToken", True, False, "token the workflows deploy to Vercel with"),
    Route("REDIS_URL", "redisUrl", True, True, "Redis for the app and its CI jobs"),
    Route("DATABASE_URL", "databaseUrl", False, True, "database the app uses at runtime"),
    Route("SESSION_SECRET_KEY", "sessionKey", False, True, "signs the app's session cookies; generated"),
    Route("SESSION_SECRET_KEY_PREVIOUS", "previousSessionKey", False, True, "the key before the last rotation"),
)
"""The managed secrets. Extra secrets (LLM provider keys) follow EXTRA_ROUTE."""

EXTRA_ROUTE = Route("*", EXTRA_SECRETS_KEY, True, True, "extra secret from the extraSecrets map (LLM keys)")
"""Every name in the extraSecrets config map is delivered like this."""


@dataclass(frozen=True)
class Variable:
    """Non-secret configuration delivered as a GitHub environment variable (`vars.NAME`) of the stack's environment."""

    name: str
    source: str
    """Config key holding the value; a variable whose key is empty in a stack is not delivered."""
    purpose: str


VARIABLES: tuple[Variable, ...] = (
    Variable("VERCEL_PROJECT_ID", "vercelProjectId", "the project the app repositories' preview workflow deploys"),
    Variable("VERCEL_ORG_ID", "vercelTeamId", "the Vercel team that owns it (the Vercel CLI's org id)"),
)
"""Ids the reusable preview workflow reads, so nothing is set by hand in the app repositories."""

SECRET_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,199}")
"""GitHub's rule for secret names, matched whole (a trailing newline is not part of a name)."""
EXTRA_NAME = re.compile(r"[A-Z][A-Z0-9_]{0,99}")
"""Extra secret names: upper case, as the app reads them, so a value pasted as a name stands out."""
EXTRA_NAME_RULE = "upper-case letters, digits and _, starting with a letter"


def extra_name_shown(name: str) -> bool:
    """Whether messages and outputs may print this extraSecrets name: only one of the accepted shape. Any other may be
    a value pasted where a name goes, so it is named by its position in the map instead."""
    return EXTRA_NAME.fullmatch(name) is not None


SECRET_NAME_RULE = "letters, digits and _, not starting with a digit or GITHUB_"  # noqa: S105 - a rule, not a password


def secret_name_problem(name: str) -> str | None:
    """Why GitHub would refuse this secret name, or None when it is acceptable."""
    if not SECRET_NAME.fullmatch(name):
        return f"{name!r} is not a valid secret name ({SECRET_NAME_RULE})"
    if name.upper().startswith("GITHUB_"):
        return f"{name!r} starts with GITHUB_, which GitHub reserves ({SECRET_NAME_RULE})"
    return None


def routes_for(extra_names: tuple[str, ...]) -> tuple[Route, ...]:
    """The managed routes followed by one route per extra secret name."""
    extras = tuple(
        Route(name, EXTRA_ROUTE.source, EXTRA_ROUTE.github, EXTRA_ROUTE.vercel, EXTRA_ROUTE.purpose)
        for name in extra_names
    )
    return ROUTES + extras


def table_problems(config_keys: frozenset[str]) -> list[str]:
    """Rows of the table that name an unknown source or an invalid or colliding secret name."""
    problems: list[str] = []
    seen: set[str] = set()
    for route in ROUTES:
        if route.source not in config_keys and not route.generated:
            problems.append(f"scoping table: {route.name} reads unknown source {route.source!r}")
        if (problem := secret_name_problem(route.name)) is not None:
            problems.append(f"scoping table: {problem}")
        if route.name.upper() in seen:
            problems.append(f"scoping table: {route.name} is listed twice (GitHub names ignore case)")
        seen.add(route.name.upper())
        if not (route.github or route.vercel):
            problems.append(f"scoping table: {route.name} is delivered nowhere")
    return problems
