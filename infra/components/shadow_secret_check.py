"""Finds every other copy of a credential a job in the managed repositories could read; nothing is written while one is.

GitHub resolves a secret name to the lowest level that has it, so an environment secret shadows a repository or
organization secret of the same name only in jobs that name that environment; every other job, and every run
Dependabot triggers, reads the other copy. The lookups list secret *names*: GitHub never returns a value; which of
what they find is a finding is decided in infra/guard/shadow_secrets.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import pulumi
import pulumi_github as github

from infra.config.settings import Settings
from infra.guard.shadow_secrets import (
    ACKNOWLEDGED_KEY,
    LEGACY_KEY,
    Finding,
    LookupFailedError,
    OrganizationSecret,
    RepositoryListing,
    environment_endpoint,
    existing_environment,
    find,
    report,
)

T = TypeVar("T")


@dataclass(frozen=True)
class ShadowSecretCheckArgs:
    owner: str
    repositories: Sequence[str]
    environment: str
    """The stack's environment; its secrets are the managed ones, anything else in it is a stray."""
    managed_names: Sequence[str]
    """Names this stack writes as secrets of that environment."""
    legacy_names: Sequence[str]
    acknowledged: Mapping[str, str]
    """Findings reported as warnings, by `REPOSITORY/LEVEL/NAME`, with the reason."""
    found: Mapping[str, pulumi.Output[github.GetRepositoryResult]]
    """Each repository's getRepository answer (looked up once for every check: infra/guard/repository_visibility.py)."""

    @classmethod
    def of(
        cls, settings: Settings, found: Mapping[str, pulumi.Output[github.GetRepositoryResult]]
    ) -> ShadowSecretCheckArgs:
        return cls(
            found=found,
            owner=settings.github_owner,
            repositories=settings.repositories,
            environment=settings.environment_name,
            managed_names=[route.name for route in settings.routes if route.github],
            legacy_names=settings.legacy_secret_names,
            acknowledged=settings.acknowledged_secrets,
        )


class ShadowSecretCheck(pulumi.ComponentResource):
    """Looks up every secret name the managed repositories' jobs could read; `guard` makes values wait on it.

    Each lookup is a data source of the GitHub provider (integrations/terraform-provider-github v6.13.0, github/),
    through the stack's explicit provider: `data_source_github_actions_secrets.go` (ListRepoSecrets: repository
    secrets only, no organization ones), `data_source_github_actions_organization_secrets.go` (ListOrgSecrets: name
    and visibility), `data_source_github_actions_environment_secrets.go`,
    `data_source_github_dependabot_secrets.go`, `data_source_github_dependabot_organization_secrets.go`,
    `data_source_github_rest_api.go` (the environment) and `data_source_github_repository.go` (visibility, repo_id;
    looked up once by infra/guard/repository_visibility.py). Neither the provider nor pulumi_github 6.15 has a data
    source for the organization secrets a repository can read or for the repositories of a `selected` one; the latter
    are read with `get` of the `*OrganizationSecretRepositories` resources, whose Read calls
    ListSelectedReposForOrgSecret (a read is kept in the stack's state but never created, changed or deleted, and does
    not count as a change for `--expect-no-changes`: pulumi/pulumi pkg/engine/update.go `HasChanges`).
    Codespaces secrets are out of scope: Actions jobs never read them.
    """

    findings: pulumi.Output[list[str]]
    """One line per copy found, acknowledged ones included; fails the deployment while one is unacknowledged."""

    def __init__(self, name: str, args: ShadowSecretCheckArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("tenantguard:shadow_secrets:ShadowSecretCheck", name, None, opts)
        self._name = name
        self._args = args
        acknowledged_key = f"{pulumi.get_project()}:{ACKNOWLEDGED_KEY}"
        if not args.legacy_names:
            pulumi.log.warn(f"{pulumi.get_project()}:{LEGACY_KEY} is empty: no legacy credential name is looked for")
        found: pulumi.Output[list[Finding]] = pulumi.Output.from_input(self._look())
        self.findings = found.apply(
            lambda found: report(pulumi.get_stack(), found, args.acknowledged, acknowledged_key)
        )
        self.register_outputs({"findings": self.findings})

    def guard(self, value: pulumi.Input[str]) -> pulumi.Output[str]:
        """`value` unchanged (and secret), available only once the check has passed."""
        return pulumi.Output.secret(pulumi.Output.all(self.findings, value).apply(lambda pair: str(pair[1])))

    async def _answer(self, what: str, output: pulumi.Output[T]) -> T:
        try:
            value = await output.future()
        except Exception as error:
            cause = (str(error).strip().splitlines() or [type(error).__name__])[0]
            raise LookupFailedError(f"{what}: {cause}") from error
        if value is None:
            raise LookupFailedError(f"{what}: no answer")
        return value

    async def _gather(self, *lookups: Any) -> list[Any]:
        """Await every lookup; raise one LookupFailedError naming every one that failed."""
        results = await asyncio.gather(*lookups, return_exceptions=True)
        failed = [result for result in results if isinstance(result, BaseException)]
        for result in failed:
            if not isinstance(result, LookupFailedError):
                raise result
        if failed:
            raise LookupFailedError("\n".join(str(result) for result in failed))
        return list(results)

    async def _look(self) -> list[Finding]:
        args = self._args
        invoke = pulumi.InvokeOutputOptions(parent=self)  # the parent's (the stack's explicit) GitHub provider
        try:
            organization, dependabot_organization, *listings = await self._gather(
                self._answer(
                    f"Actions secrets of the organization {args.owner} (getActionsOrganizationSecrets)",
                    github.get_actions_organization_secrets_output(opts=invoke),
                ),
                self._answer(
                    f"Dependabot secrets of the organization {args.owner} (getDependabotOrganizationSecrets)",
                    github.get_dependabot_organization_secrets_output(opts=invoke),
                ),
                *(self._listing(repository, invoke) for repository in args.repositories),
            )
            relevant = {name.upper() for name in [*args.managed_names, *args.legacy_names]}
            actions_secrets, dependabot_secrets = await self._gather(
                self._organization("actions", organization.secrets or [], relevant),
                self._organization("dependabot", dependabot_organization.secrets or [], relevant),
            )
        except LookupFailedError as failure:
            lines = "\n".join(f"  - {line}" for line in str(failure).splitlines())
            raise LookupFailedError(
                f"stack {pulumi.get_stack()!r}: the shadow-secret check could not look up GitHub's secret names, "
                f"so no managed secret was written:\n{lines}\n"
                "The GitHub token needs read access to the repositories' Actions, environment and Dependabot secrets "
                "and to the organization's Actions and Dependabot secrets."
            ) from None
        findings: list[Finding] = []
        for listing in listings:
            findings += find(
                listing,
                owner=args.owner,
                environment=args.environment,
                organization=actions_secrets,
                dependabot_organization=dependabot_secrets,
                managed=args.managed_names,
                legacy=args.legacy_names,
            )
        return findings

    async def _listing(self, repository: str, invoke: pulumi.InvokeOutputOptions) -> RepositoryListing:
        full_name = f"{self._args.owner}/{repository}"
        found, secrets, dependabot, environment_answer = await self._gather(
            self._answer(f"repository {full_name} (getRepository)", self._args.found[repository]),
            self._answer(
                f"Actions secrets of {full_name} (getActionsSecrets)",
                github.get_actions_secrets_output(name=repository, opts=invoke),
            ),
            self._answer(
                f"Dependabot secrets of {full_name} (getDependabotSecrets)",
                github.get_dependabot_secrets_output(name=repository, opts=invoke),
            ),
            self._answer(
                f"the {self._args.environment!r} environment of {full_name} (getRestApi)",
                # One GET of the environment itself rather than getRepositoryEnvironments, whose paging loop
                # re-reads its first page for ever once a repository has more than 30 environments (v6.13.0
                # data_source_github_repository_environments.go makes its list options inside the loop).
                # getRestApi answers a 404 with code 404 instead of an error (data_source_github_rest_api.go).
                github.get_rest_api_output(
                    endpoint=environment_endpoint(full_name, self._args.environment), opts=invoke
                ),
            ),
        )
        if not found.id:
            # data_source_github_repository.go answers a 404 with an empty id rather than an error.
            raise LookupFailedError(f"repository {full_name} (getRepository): not found, or the token cannot read it")
        environment = existing_environment(full_name, environment_answer.code, environment_answer.body)
        environment_secrets: Sequence[Any] = []
        if environment is not None:
            # Looked up only once the environment exists: GitHub answers 404 for a new stack's environment.
            listed = await self._answer(
                f"secrets of the {environment!r} environment of {full_name} (getActionsEnvironmentSecrets)",
                github.get_actions_environment_secrets_output(environment=environment, name=repository, opts=invoke),
            )
            environment_secrets = listed.secrets or []
        return RepositoryListing(
            repository=repository,
            visibility=found.visibility,
            repository_id=int(found.repo_id),
            repository_secrets=tuple(secret.name for secret in secrets.secrets or []),
            dependabot_secrets=tuple(secret.name for secret in dependabot.secrets or []),
            environment=environment,
            environment_secrets=tuple(secret.name for secret in environment_secrets),
        )

    async def _organization(
        self, app: str, secrets: Sequence[Any], relevant: Collection[str]
    ) -> list[OrganizationSecret]:
        """The organization's secrets of one app; the repository lists of the `selected` ones whose name matters."""
        resource: Any = (
            github.ActionsOrganizationSecretRepositories
            if app == "actions"
            else github.DependabotOrganizationSecretRepositories
        )

        async def one(secret: Any) -> OrganizationSecret:
            if secret.visibility != "selected" or secret.name.upper() not in relevant:
                return OrganizationSecret(secret.name, secret.visibility)
            read = resource.get(
                f"{self._name}-{app}-{secret.name}",
                id=secret.name,
                secret_name=secret.name,
                opts=pulumi.ResourceOptions(parent=self),
            )
            ids = await self._answer(
                f"repositories selected for the {app} organization secret {secret.name} ({resource.__name__} read)",
                read.selected_repository_ids,
            )
            return OrganizationSecret(secret.name, secret.visibility, frozenset(int(i) for i in ids))

        return list(await self._gather(*(one(secret) for secret in secrets)))
