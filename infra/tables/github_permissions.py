"""The GitHub token permissions each call of the program needs: the permissions reference's source.

Every invoke and resource type of the GitHub provider the program uses has a row (tests/program/tables/
test_github_permissions.py fails when one is missing), with the REST endpoint the provider calls
(integrations/terraform-provider-github v6.13.0) and the fine-grained permission GitHub requires for it (github/docs
`src/github-apps/data/fpt-2026-03-10/fine-grained-pat-permissions.json`, the data behind each REST page's
"Fine-grained access tokens" box; GitHub Apps take the same names). The read-only token of the preview and drift
environments needs every `read`; the deploy environment's token needs those and every `write`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from infra.tables.type_tokens import (
    BRANCH_POLICY,
    ENVIRONMENT,
    ENVIRONMENT_SECRET,
    ENVIRONMENT_VARIABLE,
    GET_TEAM,
    RULESET,
)

Scope = Literal["repository", "organization"]


@dataclass(frozen=True, order=True)
class Permission:
    scope: Scope
    name: str
    """As GitHub's token settings name it, e.g. "Administration"."""
    access: Literal["read", "write"]

    def __str__(self) -> str:
        return f'{self.scope} "{self.name}": {self.access}'


@dataclass(frozen=True)
class Call:
    """What one invoke or resource type does on GitHub, by the kind of run."""

    token: str
    """The Pulumi invoke token or resource type token."""
    reads: tuple[tuple[str, Permission], ...]
    """(endpoint, permission) of what it reads: an invoke's lookup, or a resource's refresh."""
    writes: tuple[tuple[str, Permission], ...] = ()
    """(endpoint, permission) of what creating, changing or deleting it sends."""


def _repo(name: str, access: Literal["read", "write"]) -> Permission:
    return Permission("repository", name, access)


def _org(name: str) -> Permission:
    return Permission("organization", name, "read")


def _function(name: str) -> str:
    return f"github:index/{name}:{name}"


def _resource(name: str) -> str:
    return f"github:index/{name}:{name[0].upper()}{name[1:]}"


REPO = "/repos/{owner}/{repo}"
ENV = f"{REPO}/environments/{{environment}}"
ORG = "/orgs/{owner}"

CALLS: tuple[Call, ...] = (
    # The shadow-secret check and the visibility check (infra/components/shadow_secret_check.py,
    # infra/guard/repository_visibility.py).
    Call(_function("getRepository"), ((f"GET {REPO}", _repo("Metadata", "read")),)),
    Call(_function("getRestApi"), ((f"GET {ENV}", _repo("Actions", "read")),)),
    Call(_function("getActionsSecrets"), ((f"GET {REPO}/actions/secrets", _repo("Secrets", "read")),)),
    Call(_function("getDependabotSecrets"), ((f"GET {REPO}/dependabot/secrets", _repo("Dependabot secrets", "read")),)),
    Call(
        _function("getActionsEnvironmentSecrets"),
        ((f"GET {REPO}", _repo("Metadata", "read")), (f"GET {ENV}/secrets", _repo("Environments", "read"))),
    ),
    Call(_function("getActionsOrganizationSecrets"), ((f"GET {ORG}/actions/secrets", _org("Secrets")),)),
    Call(
        _function("getDependabotOrganizationSecrets"),
        ((f"GET {ORG}/dependabot/secrets", _org("Dependabot secrets")),),
    ),
    Call(
        _resource("actionsOrganizationSecretRepositories"),
        ((f"GET {ORG}/actions/secrets/{{name}}/repositories", _org("Secrets")),),
    ),
    Call(
        _resource("dependabotOrganizationSecretRepositories"),
        ((f"GET {ORG}/dependabot/secrets/{{name}}/repositories", _org("Dependabot secrets")),),
    ),
    # The reviewer teams' ids (summary only: the team itself, not its members or repositories).
    Call(GET_TEAM, ((f"GET {ORG}/teams/{{slug}}", _org("Members")),)),
    # What the stack manages.
    Call(
        ENVIRONMENT,
        ((f"GET {ENV}", _repo("Actions", "read")),),
        ((f"PUT/DELETE {ENV}", _repo("Administration", "write")),),
    ),
    Call(
        BRANCH_POLICY,
        ((f"GET {ENV}/deployment-branch-policies/{{id}}", _repo("Actions", "read")),),
        ((f"POST/PUT/DELETE {ENV}/deployment-branch-policies", _repo("Administration", "write")),),
    ),
    Call(
        ENVIRONMENT_SECRET,
        ((f"GET {ENV}/secrets/{{name}}", _repo("Environments", "read")),),
        ((f"GET {ENV}/secrets/public-key, PUT/DELETE {ENV}/secrets/{{name}}", _repo("Environments", "write")),),
    ),
    Call(
        ENVIRONMENT_VARIABLE,
        ((f"GET {ENV}/variables/{{name}}", _repo("Environments", "read")),),
        ((f"POST/PATCH/DELETE {ENV}/variables", _repo("Environments", "write")),),
    ),
    Call(
        RULESET,
        ((f"GET {REPO}/rulesets/{{id}}", _repo("Metadata", "read")),),
        ((f"POST/PUT/DELETE {REPO}/rulesets", _repo("Administration", "write")),),
    ),
)
BY_TOKEN = {call.token: call for call in CALLS}


def read_token_permissions() -> list[Permission]:
    """What the read-only token of the preview and drift environments needs: every read, nothing else."""
    return sorted({permission for call in CALLS for _, permission in call.reads})


def write_token_permissions() -> list[Permission]:
    """What the deploy environment's token needs: every write, and every read not covered by a write."""
    writes = {permission for call in CALLS for _, permission in call.writes}
    written = {(permission.scope, permission.name) for permission in writes}
    reads = {
        permission for permission in read_token_permissions() if (permission.scope, permission.name) not in written
    }
    return sorted(writes | reads)
