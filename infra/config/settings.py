"""What a stack's validated config is: one typed Settings, whose secret values never show in a repr."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

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
    """Which session key is current, and whether the previous one is still delivered beside it."""

    rotation: int
    rotated_on: datetime.date | None
    overlap_days: int
    today: datetime.date

    @property
    def previous_until(self) -> datetime.date | None:
        if self.rotation < 2 or self.rotated_on is None:
            return None
        return self.rotated_on + datetime.timedelta(days=self.overlap_days)

    @property
    def previous_delivered(self) -> bool:
        until = self.previous_until
        return until is not None and self.today <= until

    def describe(self) -> str:
        until = self.previous_until
        if until is None:
            return f"rotation {self.rotation}; no previous key"
        if self.previous_delivered:
            return f"rotation {self.rotation}; previous key delivered until {until.isoformat()}"
        return f"rotation {self.rotation}; previous key retired on {until.isoformat()}"


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

    @property
    def tier(self) -> Tier:
        return self.profile.tier

    @property
    def ci_db_url(self) -> Secret:
        return self.secret_values["CI_DB_URL"]

    @functools.cached_property
    def routes(self) -> tuple[Route, ...]:
        """The scoping table's rows for this stack, extra secrets included."""
        managed = {route.name for route in ROUTES}
        return routes_for(tuple(name for name in self.secret_values if name not in managed))
