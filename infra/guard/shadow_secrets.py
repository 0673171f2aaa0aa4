"""Which copies of a credential outside the stack's environment are findings, and the report that stops the run.

GitHub resolves a secret name to the lowest level that has it, so an environment secret shadows a repository or
organization secret of the same name only in jobs that name that environment; every other job, and every run
Dependabot triggers, reads the other copy. The lookups (infra/components/shadow_secret_check.py) list secret
*names*: GitHub never returns a value. This module judges what they found, as plain data.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Literal, get_args
from urllib.parse import quote

import pulumi

from infra.tables.how_to import REMOVE_LLM_KEY

LEGACY_KEY = "legacySecretNames"
ACKNOWLEDGED_KEY = "acknowledgedSecrets"

Level = Literal["repository", "environment", "organization", "dependabot-repository", "dependabot-organization"]
LEVELS: tuple[Level, ...] = get_args(Level)
"""Where a copy can live, as acknowledgement keys spell it: `REPOSITORY/LEVEL/NAME`."""

DEPENDABOT = "; runs that Dependabot triggers read it"


def acknowledgement_key(repository: str, level: str, name: str) -> str:
    """The normalized key of one copy; GitHub secret names ignore case, so the name is upper-cased."""
    return f"{repository}/{level}/{name.upper()}"


def normalized(entry: str) -> str:
    """An acknowledgement key as acknowledgement_key writes it, whatever the case of its name."""
    parts = entry.split("/")
    return acknowledgement_key(*parts) if len(parts) == 3 else entry


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
                why = f"not managed by this stack (set by hand, or an extraSecrets key being removed: {REMOVE_LLM_KEY})"
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
    reasons = {normalized(entry): reason.strip() for entry, reason in acknowledged.items()}
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
            "'<why, until when>' (workorders/WO-ci-secrets.md#other-copies-of-a-credential-shadow-and-stray-secrets)"
        )
    return [finding.line() for finding in findings]
