"""What a stack's validated config is: one typed Settings, whose secret values never show in a repr."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

from infra.config.approval_gate import Protection
from infra.tables.github_plans import Plan, Visibility
from infra.tables.routes import ROUTES, Route, routes_for
from infra.tables.tiers import Tier, TierProfile


@dataclass(frozen=True)
class Secret:
    """A secret config value; its repr never shows the value."""

    value: str = field(repr=False)

    def __repr__(self) -> str:
        return "Secret(***)"

    __str__ = __repr__


@dataclass(frozen=True)
class SessionKeyRotation:
    """Which session key is current, and whether the previous one is delivered beside it (as written, no clock)."""

    rotation: int
    previous_until: datetime.date | None
    """The window's last day, as the stack writes it; None: the previous key is not delivered."""

    @property
    def previous_delivered(self) -> bool:
        return self.rotation >= 2 and self.previous_until is not None

    def describe(self) -> str:
        if self.rotation < 2:
            return f"rotation {self.rotation}; no previous key"
        if self.previous_until is None:
            return f"rotation {self.rotation}; previous key not delivered"
        return f"rotation {self.rotation}; previous key delivered until {self.previous_until.isoformat()} (UTC)"


@dataclass(frozen=True)
class DatabaseServer:
    """Where a generated stack's database is: host, port, database name and sslmode, no credential (databaseServer)."""

    host: str
    port: int
    database: str
    sslmode: str | None

    def url(self, user: str | None = None, password: str | None = None) -> str:
        """A postgresql:// URL of this database, for `user` with `password` when given (percent-encoded)."""
        userinfo = ""
        if user is not None:
            userinfo = quote(user, safe="") + (f":{quote(password, safe='')}" if password is not None else "") + "@"
        host = f"[{self.host}]" if ":" in self.host else self.host
        query = f"?sslmode={self.sslmode}" if self.sslmode else ""
        return f"postgresql://{userinfo}{host}:{self.port}/{quote(self.database, safe='')}{query}"


@dataclass(frozen=True)
class DatabaseCredentials:
    """Who types the database URLs: the operator (provided), or the stack, which makes the roles (generated)."""

    generated: bool
    server: DatabaseServer | None
    """The generated stack's database (None when provided: the URLs say where it is)."""
    rotation: int
    """The generated logins' rotation counter (1, 2, ...; infra/tables/database_roles.py says what it turns)."""


@dataclass(frozen=True)
class Settings:
    """One stack's validated configuration."""

    stack: str
    profile: TierProfile
    """The rules of the stack's tier (infra/tables/tiers.py)."""
    github_owner: str
    github_plan: Plan
    repository_visibility: Visibility
    """What the stack declares; the program checks it against GitHub before anything is written."""
    repositories: tuple[str, ...]
    environment_name: str
    reviewer_teams: tuple[str, ...]
    deployment_branches: tuple[str, ...]
    protection: Protection
    """What each repository's environment is sent and the approval gate that results (infra/config/approval_gate.py)."""
    vercel_project_id: str
    vercel_team_id: str | None
    vercel_git_branch: str | None
    vercel_custom_environment_ids: tuple[str, ...]
    session_key: SessionKeyRotation
    run_migrations: bool
    production_stack: str | None
    variables: Mapping[str, str]
    """Non-secret environment variables by name (VERCEL_PROJECT_ID, ...): see infra/tables/routes.py VARIABLES."""
    secret_values: Mapping[str, Secret]
    """Every configured secret that is routed somewhere, by secret name (CI_DB_URL, ..., the extra secrets)."""
    db_fingerprint_key: Secret
    legacy_secret_names: tuple[str, ...]
    """Old credential names no job may read any more, at any level (infra/guard/shadow_secrets.py)."""
    acknowledged_secrets: Mapping[str, str]
    """Other copies of a credential reported as warnings while a team migrates: `REPOSITORY/LEVEL/NAME` -> reason."""
    acknowledged_production_servers: Mapping[str, str]
    """Config keys (`tenantguard-infra:extraSecrets.NAME`) whose value may name one of production's database servers,
    with the reason: the guard warns instead of failing (infra/guard/production_database.py)."""
    database: DatabaseCredentials = DatabaseCredentials(generated=False, server=None, rotation=1)
    """Whether the stack generates its database roles and URLs (CI_DB_URL and DATABASE_URL are then not in
    secret_values: infra/components/database_roles.py composes them)."""

    @property
    def tier(self) -> Tier:
        return self.profile.tier

    @property
    def ci_db_url(self) -> Secret:
        """The provided CI_DB_URL (a generated stack has none: see `database`)."""
        return self.secret_values["CI_DB_URL"]

    @functools.cached_property
    def routes(self) -> tuple[Route, ...]:
        """The scoping table's rows for this stack, extra secrets included."""
        managed = {route.name for route in ROUTES}
        return routes_for(tuple(name for name in self.secret_values if name not in managed))
