"""What GitHub's secret-name lookups answer under the mocks: a table per level, clean unless a test fills it.

The offline plan and the ordinary tests use the clean default (every repository exists, no secret anywhere), so
they never invent a finding; tests of the shadow-secret check (infra/components/shadow_secret_check.py) say what
each level holds. Answers are in the provider's wire format (camelCase keys), as the real data sources return them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


def _function(name: str) -> str:
    """The invoke token of a pulumi-github function, e.g. getRepository."""
    return f"github:index/{name}:{name}"


def _resource(name: str) -> str:
    """The type token of a pulumi-github resource, e.g. actionsSecret."""
    return f"github:index/{name}:{name[0].upper()}{name[1:]}"


GET_REPOSITORY = _function("getRepository")
GET_ACTIONS_SECRETS = _function("getActionsSecrets")
GET_ORGANIZATION_SECRETS = _function("getActionsOrganizationSecrets")
GET_ENVIRONMENT_SECRETS = _function("getActionsEnvironmentSecrets")
GET_REST_API = _function("getRestApi")
"""Answers GET /repos/{owner}/{repo}/environments/{name}: whether the stack's environment exists."""
GET_DEPENDABOT_SECRETS = _function("getDependabotSecrets")
GET_DEPENDABOT_ORGANIZATION_SECRETS = _function("getDependabotOrganizationSecrets")
ORGANIZATION_SECRET_REPOSITORIES = _resource("actionsOrganizationSecretRepositories")
DEPENDABOT_ORGANIZATION_SECRET_REPOSITORIES = _resource("dependabotOrganizationSecretRepositories")
LOOKUPS = frozenset(
    {
        GET_REPOSITORY,
        GET_ACTIONS_SECRETS,
        GET_ORGANIZATION_SECRETS,
        GET_ENVIRONMENT_SECRETS,
        GET_REST_API,
        GET_DEPENDABOT_SECRETS,
        GET_DEPENDABOT_ORGANIZATION_SECRETS,
    }
)
"""The provider functions the shadow-secret check calls."""
READS = frozenset({ORGANIZATION_SECRET_REPOSITORIES, DEPENDABOT_ORGANIZATION_SECRET_REPOSITORIES})
"""The resources it reads (never creates) to resolve `selected` organization secrets."""

ORGANIZATION = ""
"""The repository part of a `failing` key for the organization-wide lookups."""


def repository_id(repository: str) -> int:
    """A stable stand-in for the numeric id GitHub gives a repository."""
    return int(hashlib.sha256(repository.encode()).hexdigest()[:8], 16)


@dataclass(frozen=True)
class OrgSecret:
    """An organization secret: its name, visibility and, for `selected`, the repositories that may read it."""

    name: str
    visibility: str = "all"
    repositories: tuple[str, ...] = ()


@dataclass(frozen=True)
class GitHubListings:
    """The secret names each lookup answers with; the default answers are those of a clean organization."""

    repository: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """Repository -> its Actions repository secrets."""
    environments: Mapping[str, Mapping[str, Sequence[str]]] = field(default_factory=dict)
    """Repository -> environment -> its secrets. Only environments listed here exist."""
    organization: Sequence[OrgSecret] = ()
    dependabot_repository: Mapping[str, Sequence[str]] = field(default_factory=dict)
    dependabot_organization: Sequence[OrgSecret] = ()
    visibility: Mapping[str, str] = field(default_factory=dict)
    """Repository -> public, private or internal; private when not listed."""
    missing: frozenset[str] = frozenset()
    """Repositories that do not exist (getRepository answers with an empty id, as the provider does on a 404)."""
    failing: Mapping[tuple[str, str], str] = field(default_factory=dict)
    """(token, repository or ORGANIZATION) -> the reason the provider gives for failing that lookup."""

    def call(  # noqa: PLR0911 - one flat branch per lookup reads best
        self, token: str, args: Mapping[str, Any]
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """The answer to one lookup, or the provider's failure."""
        repository = str(args.get("name") or args.get("repository") or _endpoint_repository(args) or ORGANIZATION)
        reason = self.failing.get((token, repository))
        if reason is not None:
            return {}, [("", reason)]
        if token == GET_REPOSITORY:
            if repository in self.missing:
                return {"id": "", "name": repository}, []
            visibility = self.visibility.get(repository, "private")
            answer = {"id": repository, "name": repository, "visibility": visibility, "private": visibility != "public"}
            return {**answer, "repoId": repository_id(repository)}, []
        if token == GET_ACTIONS_SECRETS:
            return {"id": repository, "name": repository, "secrets": _names(self.repository.get(repository, ()))}, []
        if token == GET_DEPENDABOT_SECRETS:
            names = self.dependabot_repository.get(repository, ())
            return {"id": repository, "name": repository, "secrets": _names(names)}, []
        if token == GET_REST_API:
            return self._environment(str(args["endpoint"])), []
        if token == GET_ENVIRONMENT_SECRETS:
            environment = str(args["environment"])
            listed = self.environments.get(repository, {})
            if environment not in listed:
                return {}, [("environment", f"GET .../environments/{environment}/secrets: 404 Not Found")]
            answer = {"id": f"{repository}:{environment}", "environment": environment, "name": repository}
            return {**answer, "secrets": _names(listed[environment])}, []
        if token == GET_ORGANIZATION_SECRETS:
            return {"id": "organization", "secrets": _organization(self.organization)}, []
        if token == GET_DEPENDABOT_ORGANIZATION_SECRETS:
            return {"id": "organization", "secrets": _organization(self.dependabot_organization)}, []
        raise LookupError(f"not a lookup of the shadow-secret check: {token}")

    def _environment(self, endpoint: str) -> dict[str, Any]:
        """getRestApi's answer for `repos/{owner}/{repo}/environments/{name}`: 200 with the name, or 404."""
        _, _, repository, _, wanted = endpoint.split("/")
        # GitHub environment names ignore case; the answer spells the name as it was created.
        name = next((env for env in self.environments.get(repository, {}) if env.casefold() == wanted.casefold()), None)
        if name is None:
            body = json.dumps({"message": "Not Found", "status": "404"})
            return {"id": "request-id", "endpoint": endpoint, "code": 404, "status": "404 Not Found", "body": body}
        body = json.dumps({"name": name, "protection_rules": []})
        return {"id": "request-id", "endpoint": endpoint, "code": 200, "status": "200 OK", "body": body}

    def read(self, type_token: str, resource_id: str) -> dict[str, Any]:
        """The state of a read `*OrganizationSecretRepositories` resource: the repositories selected for a secret."""
        secrets = self.organization if type_token == ORGANIZATION_SECRET_REPOSITORIES else self.dependabot_organization
        secret = next(secret for secret in secrets if secret.name == resource_id)
        ids = [repository_id(repository) for repository in secret.repositories]
        return {"secretName": secret.name, "selectedRepositoryIds": ids}


def _endpoint_repository(args: Mapping[str, Any]) -> str | None:
    """The repository a getRestApi endpoint (`repos/{owner}/{repo}/...`) names."""
    parts = str(args.get("endpoint") or "").split("/")
    return parts[2] if len(parts) > 2 and parts[0] == "repos" else None


def _names(names: Sequence[str]) -> list[dict[str, str]]:
    return [{"name": name, "createdAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-01-01T00:00:00Z"} for name in names]


def _organization(secrets: Sequence[OrgSecret]) -> list[dict[str, str]]:
    return [{**_names([secret.name])[0], "visibility": secret.visibility} for secret in secrets]
