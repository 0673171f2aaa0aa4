"""Finds every other copy of a credential a job in the managed repositories could read; nothing is written while one is.

GitHub resolves a secret name to the lowest level that has it, so an environment secret shadows a repository or
organization secret of the same name only in jobs that name that environment; every other job, and every run
Dependabot triggers, reads the other copy. The lookups list secret *names*: GitHub never returns a value.
"""

from __future__ import annotations

import asyncio
import json
import shlex
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Literal, TypeVar, get_args
from urllib.parse import quote

import pulumi
import pulumi_github as github

from infra.tables.routes import secret_name_problem

if TYPE_CHECKING:
    from infra.config.settings import Settings

LEGACY_KEY = "legacySecretNames"
ACKNOWLEDGED_KEY = "acknowledgedSecrets"

Level = Literal["repository", "environment", "organization", "dependabot-repository", "dependabot-organization"]
LEVELS: tuple[Level, ...] = get_args(Level)
"""Where a copy can live, as acknowledgement keys spell it: `REPOSITORY/LEVEL/NAME`."""

T = TypeVar("T")

DEPENDABOT = "; runs that Dependabot triggers read it"


def acknowledgement_key(repository: str, level: str, name: str) -> str:
    """The normalized key of one copy; GitHub secret names ignore case, so the name is upper-cased."""
    return f"{repository}/{level}/{name.upper()}"


def _normalized(entry: str) -> str:
    parts = entry.split("/")
    return acknowledgement_key(*parts) if len(parts) == 3 else entry


# --- configuration rules (infra/config/load.py calls these with its full key names) --------------------------------


def legacy_name_problems(key: str, legacy: Sequence[str], managed: Collection[str]) -> list[str]:
    """Problems of the legacy-name list: invalid or repeated names, or names this stack manages."""
    problems: list[str] = []
    managed_upper = {name.upper() for name in managed}
    seen: set[str] = set()
    for name in legacy:
        if (problem := secret_name_problem(name)) is not None:
            problems.append(f"{key}: {problem}")
        elif name.upper() in managed_upper:
            problems.append(f"{key}: {name!r} is a secret this stack manages; a name cannot be both managed and legacy")
        elif name.upper() in seen:
            problems.append(f"{key}: {name!r} is listed twice (GitHub secret names ignore case)")
        seen.add(name.upper())
    return problems


def acknowledgement_problems(
    key: str, acknowledged: Mapping[str, str], repositories: Sequence[str], managed: Collection[str]
) -> list[str]:
    """Problems of the acknowledgement map: each key is `REPOSITORY/LEVEL/NAME` of this stack and has a reason."""
    problems: list[str] = []
    managed_upper = {name.upper() for name in managed}
    seen: set[str] = set()
    for entry, reason in acknowledged.items():
        where = f"{key}[{entry!r}]"
        parts = entry.split("/")
        if len(parts) != 3:
            example = f"{repositories[0] if repositories else 'REPOSITORY'}/repository/DB_URL"
            problems.append(f"{where}: expected REPOSITORY/LEVEL/NAME, for example {example!r}")
            continue
        repository, level, name = parts
        if repository not in repositories:
            problems.append(f"{where}: {repository!r} is not a repository of this stack ({', '.join(repositories)})")
        if level not in LEVELS:
            problems.append(f"{where}: level {level!r} is not one of {', '.join(LEVELS)}")
        if (problem := secret_name_problem(name)) is not None:
            problems.append(f"{where}: {problem}")
        elif level == "environment" and name.upper() in managed_upper:
            problems.append(f"{where}: {name} is this stack's own environment secret; there is nothing to acknowledge")
        if _normalized(entry) in seen:
            problems.append(f"{where}: acknowledged twice (GitHub secret names ignore case)")
        seen.add(_normalized(entry))
        if not reason.strip():
            problems.append(f"{where}: needs a reason (why this copy has to stay for now)")
    return problems


# --- what the lookups found, and which of it is a finding (plain data, no Pulumi) ------------------------------------


@dataclass(frozen=True)
class OrganizationSecret:
    name: str
    visibility: str
    """all, private or selected (GitHub's REST API); any other value counts as visible everywhere."""
    selected_repository_ids: frozenset[int] | None = None
    """For a `selected` secret whose name matters, the repositories given access; None when not looked up."""


@dataclass(frozen=True)
class RepositoryListing:
    """Every secret name a job of one repository could read besides the organization's, by level."""

    repository: str
    visibility: str
    """public, private or internal."""
    repository_id: int
    repository_secrets: tuple[str, ...]
    dependabot_secrets: tuple[str, ...]
    environment: str | None
    """The stack's environment as GitHub spells it, or None while it does not exist yet."""
    environment_secrets: tuple[str, ...]


@dataclass(frozen=True)
class Finding:
    """One copy of a credential a job could read, and the command that removes it."""

    owner: str
    repository: str
    level: Level
    name: str
    why: str
    remove: str
    """GitHub CLI command that removes this copy."""

    @property
    def key(self) -> str:
        return acknowledgement_key(self.repository, self.level, self.name)

    def line(self) -> str:
        return (
            f"{self.owner}/{self.repository}: {self.level} secret {self.name}: {self.why}; remove it: `{self.remove}`"
        )


def _command(*words: str) -> str:
    return " ".join(shlex.quote(word) for word in words)


def _visible(secret: OrganizationSecret, listing: RepositoryListing) -> bool:
    """Whether an organization secret reaches this repository.

    GitHub REST "Create or update an organization secret" (https://docs.github.com/en/rest/actions/secrets):
    `all` - all repositories of the organization; `private` - its private repositories (internal ones count too
    here: a false finding can be acknowledged, a missed copy cannot); `selected` - the repositories on its list.
    """
    if secret.visibility == "private":
        return listing.visibility != "public"
    if secret.visibility == "selected":
        return secret.selected_repository_ids is None or listing.repository_id in secret.selected_repository_ids
    return True


def find(  # noqa: PLR0912 - one loop per level reads best
    listing: RepositoryListing,
    *,
    owner: str,
    environment: str,
    organization: Sequence[OrganizationSecret],
    dependabot_organization: Sequence[OrganizationSecret],
    managed: Collection[str],
    legacy: Collection[str],
) -> list[Finding]:
    """The copies a job of `listing.repository` could read besides the stack's own environment secrets."""
    managed_upper = {name.upper() for name in managed}
    legacy_upper = {name.upper() for name in legacy}
    repository = listing.repository
    full_name = f"{owner}/{repository}"
    findings: list[Finding] = []

    def outside(name: str) -> str | None:
        """Why a copy of `name` outside the environment is a finding, or None when it is not one."""
        if name.upper() in legacy_upper:
            return "a legacy credential name"
        if name.upper() in managed_upper:
            return f"a copy of a managed secret: only jobs that name {environment!r} read that environment's copy"
        return None

    for name in listing.repository_secrets:
        if (why := outside(name)) is not None:
            command = _command("gh", "secret", "delete", name, "--repo", full_name)
            findings.append(Finding(owner, repository, "repository", name, why, command))
    # In runs Dependabot triggers, the `secrets` context holds Dependabot secrets instead of Actions secrets:
    # https://docs.github.com/en/code-security/dependabot/troubleshooting-dependabot/troubleshooting-dependabot-on-github-actions
    for name in listing.dependabot_secrets:
        if (why := outside(name)) is not None:
            command = _command("gh", "secret", "delete", name, "--app", "dependabot", "--repo", full_name)
            findings.append(Finding(owner, repository, "dependabot-repository", name, why + DEPENDABOT, command))
    levels: tuple[tuple[str, Level, Sequence[OrganizationSecret]], ...] = (
        ("actions", "organization", organization),
        ("dependabot", "dependabot-organization", dependabot_organization),
    )
    for app, level, secrets in levels:
        for secret in secrets:
            why = outside(secret.name)
            if why is None or not _visible(secret, listing):
                continue
            why += f", visible to this repository (visibility {secret.visibility})"
            if app == "dependabot":
                why += DEPENDABOT
            if secret.visibility == "selected":
                # Takes this repository off the secret's list and leaves the other repositories alone (REST
                # "Remove selected repository from an organization secret", same page as above).
                path = f"/orgs/{owner}/{app}/secrets/{secret.name}/repositories/{listing.repository_id}"
                command = _command("gh", "api", "--method", "DELETE", path)
            else:
                why += f"; deleting it removes it from every repository of {owner}"
                command = _command("gh", "secret", "delete", secret.name, "--app", app, "--org", owner)
            findings.append(Finding(owner, repository, level, secret.name, why, command))
    if listing.environment is not None:
        for name in listing.environment_secrets:
            if name.upper() in legacy_upper:
                why = "a legacy credential name"
            elif name.upper() in managed_upper:
                continue
            else:
                why = "not managed by this stack (set by hand?)"
            command = _command("gh", "secret", "delete", name, "--env", listing.environment, "--repo", full_name)
            findings.append(Finding(owner, repository, "environment", name, why, command))
    return findings


def environment_endpoint(full_name: str, environment: str) -> str:
    """GitHub's REST path of one environment (GET /repos/{owner}/{repo}/environments/{environment_name})."""
    return f"repos/{full_name}/environments/{quote(environment, safe='')}"


def existing_environment(full_name: str, code: int, body: str) -> str | None:
    """The environment's name as GitHub spells it, or None while it does not exist (a 404: a new stack's)."""
    if code == HTTPStatus.NOT_FOUND:
        return None
    try:
        name = json.loads(body).get("name") if code == HTTPStatus.OK else None
    except (ValueError, AttributeError):
        name = None
    if not isinstance(name, str):
        raise LookupFailedError(f"the environment of {full_name} (getRestApi): GitHub answered {code} without its name")
    return name


class ShadowSecretsFoundError(pulumi.RunError):
    """Other copies of a credential exist that jobs could read; nothing that waits on the check is written."""


class LookupFailedError(pulumi.RunError):
    """A GitHub lookup failed, so the check could not run; nothing that waits on it is written."""


def report(
    stack: str, findings: Sequence[Finding], acknowledged: Mapping[str, str], acknowledged_key: str
) -> list[str]:
    """Every finding's line, acknowledged ones logged as warnings; raises while an unacknowledged one remains."""
    reasons = {_normalized(entry): reason.strip() for entry, reason in acknowledged.items()}
    unacknowledged = [finding for finding in findings if finding.key not in reasons]
    for finding in findings:
        if finding.key in reasons:
            pulumi.log.warn(f"acknowledged ({reasons[finding.key]}): {finding.line()}")
    for entry in sorted(set(reasons) - {finding.key for finding in findings}):
        pulumi.log.warn(f"{acknowledged_key}[{entry!r}] matches no copy any more: remove it from the stack's config")
    if unacknowledged:
        count = len(unacknowledged)
        lines = "\n".join(f"  - {finding.line()}" for finding in unacknowledged)
        raise ShadowSecretsFoundError(
            f"stack {stack!r}: {count} other cop{'y' if count == 1 else 'ies'} of a credential that jobs in the "
            f"managed repositories can read; no managed secret was written:\n{lines}\n"
            "Remove them and run `pulumi preview` again. A team that must migrate in steps can acknowledge one copy "
            f"at a time: pulumi config set --stack {stack} --path '{ACKNOWLEDGED_KEY}[\"{unacknowledged[0].key}\"]' "
            "'<why, until when>'"
        )
    return [finding.line() for finding in findings]


# --- the component: the lookups, and the gate every managed value passes -----------------------------------------


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
