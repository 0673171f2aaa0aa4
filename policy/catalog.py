"""What every resource type of both providers can carry, and in which inputs.

Each type of pulumi_github 6.15 and pulumiverse_vercel 5.21 (and the providers themselves) is listed
once: whether it holds a secret value in the place meant for it, a plaintext value others read, a rule
that protects an environment or a branch, or nothing relevant. `tests/static/policy/test_catalog.py`
reads the installed SDKs and fails when a type is missing here, or an input named here is not one.

Every input not named as a secret's place is plaintext: the pack looks for credentials in all of them,
whatever the type, so a token pasted into a team's description is caught too. Types of other providers
are not listed; they are judged by their values alone (placement.py, values.py).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from infra.tables.type_tokens import DYNAMIC
from policy.walk import Path, entries, field, items


class Carries(enum.Enum):
    SECRET = "a secret value, in the place meant for it"  # noqa: S105 - a description, not a password
    PLAINTEXT = "a value anyone who can read the resource reads"
    RULE = "a rule that protects an environment or a branch"


class Secrecy(enum.Enum):
    SECRET = "kept secret, never read back"  # noqa: S105 - a description, not a password
    PLAINTEXT = "readable"
    SENSITIVE_FLAG = "kept secret when the entry says `sensitive: true`"


class Place(enum.Enum):
    """Where a named value lands, for the names that belong in one place only."""

    GITHUB_ENVIRONMENT = "a GitHub environment secret"
    VERCEL_PROJECT = "a sensitive Vercel project variable"
    ELSEWHERE = "elsewhere"


@dataclass(frozen=True)
class Named:
    """Values a resource gives under names: a secret's or variable's name and the inputs holding its value."""

    name: str | None
    """Input holding the name; None when the entries are a map of names to values."""
    values: tuple[str, ...] = ()
    """Inputs holding the value; none for a grant, which names a secret and hands it to repositories."""
    secrecy: Secrecy = Secrecy.PLAINTEXT
    entries: str | None = None
    """Input holding a list (or, with no `name`, a map) of entries; None: the resource's inputs are the entry."""
    place: Place = Place.ELSEWHERE


@dataclass(frozen=True)
class SecretArguments:
    """How a GitHub secret resource takes its value: current inputs, deprecated ones, and the pre-encrypted one."""

    current: tuple[str, ...]
    deprecated: tuple[str, ...]
    sealed: str
    """Input taking a value already encrypted for the repository's public key (a libsodium sealed box)."""
    key_id: str | None
    """Input naming that public key, which the provider needs alongside `sealed` (None: it looks it up)."""


@dataclass(frozen=True)
class Kind:
    carries: frozenset[Carries] = frozenset()
    named: tuple[Named, ...] = ()
    secret_paths: tuple[tuple[str, ...], ...] = ()
    """Other inputs meant for a secret (a webhook's signing secret, a private key, a provider token)."""
    arguments: SecretArguments | None = None
    skip: tuple[str, ...] = ()
    """Inputs that hold no values at all (a dynamic provider's serialized code)."""


def github(name: str) -> str:
    return f"github:index/{name[0].lower()}{name[1:]}:{name}"


def vercel(name: str) -> str:
    return f"vercel:index/{name[0].lower()}{name[1:]}:{name}"


# pulumi_github's docstrings: `value_encrypted` ("key_id is required with this value"); `plaintext_value` and
# `encrypted_value` deprecated ("Use value", "Use value_encrypted and key_id"). Codespaces secrets take only the
# last two, and the provider looks the key up itself.
ACTIONS_ARGUMENTS = SecretArguments(
    current=("value", "valueEncrypted"),
    deprecated=("plaintextValue", "encryptedValue"),
    sealed="valueEncrypted",
    key_id="keyId",
)
CODESPACES_ARGUMENTS = SecretArguments(
    current=("plaintextValue", "encryptedValue"), deprecated=(), sealed="encryptedValue", key_id=None
)

NOTHING = Kind()
RULE = Kind(frozenset({Carries.RULE}))
PLAINTEXT = Kind(frozenset({Carries.PLAINTEXT}))


def secret(*paths: str, plaintext: bool = False) -> Kind:
    carries = {Carries.SECRET, Carries.PLAINTEXT} if plaintext else {Carries.SECRET}
    return Kind(frozenset(carries), secret_paths=tuple(tuple(path.split(".")) for path in paths))


def github_secret(arguments: SecretArguments = ACTIONS_ARGUMENTS, place: Place = Place.ELSEWHERE) -> Kind:
    values = arguments.current + arguments.deprecated
    named = Named("secretName", values, Secrecy.SECRET, place=place)
    return Kind(frozenset({Carries.SECRET}), named=(named,), arguments=arguments)


def grant(name: str, secrecy: Secrecy) -> Kind:
    """Hands an organization secret or variable to repositories: names it, holds no value."""
    carries = Carries.SECRET if secrecy is Secrecy.SECRET else Carries.PLAINTEXT
    return Kind(frozenset({carries}), named=(Named(name, (), secrecy),))


def variable(name: str | None, *values: str, entries: str | None = None) -> Kind:
    return Kind(frozenset({Carries.PLAINTEXT}), named=(Named(name, values, Secrecy.PLAINTEXT, entries),))


def vercel_variable(entries: str | None = None, place: Place = Place.ELSEWHERE) -> Kind:
    """Vercel environment variables: secret only when `sensitive` (it cannot be read back, API or dashboard)."""
    values = ("value",) if entries else ("value", "valueWo")  # entries of a list take no write-only value
    named = Named("key", values, Secrecy.SENSITIVE_FLAG, entries, place)
    return Kind(frozenset({Carries.SECRET, Carries.PLAINTEXT}), named=(named,))


GITHUB: dict[str, Kind] = {
    # Secrets: a value GitHub keeps encrypted, read by the jobs (or codespaces) of the place they belong to.
    github("ActionsEnvironmentSecret"): github_secret(place=Place.GITHUB_ENVIRONMENT),
    github("ActionsSecret"): github_secret(),
    github("ActionsOrganizationSecret"): github_secret(),
    github("DependabotSecret"): github_secret(),
    github("DependabotOrganizationSecret"): github_secret(),
    github("CodespacesSecret"): github_secret(CODESPACES_ARGUMENTS),
    github("CodespacesOrganizationSecret"): github_secret(CODESPACES_ARGUMENTS),
    github("CodespacesUserSecret"): github_secret(CODESPACES_ARGUMENTS),
    github("ActionsOrganizationSecretRepositories"): grant("secretName", Secrecy.SECRET),
    github("ActionsOrganizationSecretRepository"): grant("secretName", Secrecy.SECRET),
    github("DependabotOrganizationSecretRepositories"): grant("secretName", Secrecy.SECRET),
    github("DependabotOrganizationSecretRepository"): grant("secretName", Secrecy.SECRET),
    github("CodespacesOrganizationSecretRepositories"): grant("secretName", Secrecy.SECRET),
    # Variables: plaintext that anyone who can read the repository (or organization) reads.
    github("ActionsVariable"): variable("variableName", "value"),
    github("ActionsEnvironmentVariable"): variable("variableName", "value"),
    github("ActionsOrganizationVariable"): variable("variableName", "value"),
    github("ActionsOrganizationVariableRepositories"): grant("variableName", Secrecy.PLAINTEXT),
    github("ActionsOrganizationVariableRepository"): grant("variableName", Secrecy.PLAINTEXT),
    # Other secrets in their place: webhooks' signing secrets (their URLs are plaintext), the provider's token.
    github("RepositoryWebhook"): secret("configuration.secret", plaintext=True),
    github("OrganizationWebhook"): secret("configuration.secret", plaintext=True),
    "pulumi:providers:github": secret("token", "appAuth.pemFile"),
    # Rules that protect an environment or a branch; a committed file is plaintext, and CODEOWNERS a rule too.
    github("RepositoryEnvironment"): RULE,
    github("RepositoryEnvironmentDeploymentPolicy"): RULE,
    github("RepositoryDeploymentBranchPolicy"): RULE,
    github("RepositoryRuleset"): RULE,
    github("OrganizationRuleset"): RULE,
    github("BranchProtection"): RULE,
    github("BranchProtectionV3"): RULE,
    github("RepositoryFile"): Kind(frozenset({Carries.PLAINTEXT, Carries.RULE})),
    # Text others read: bodies, notes, descriptions, property values.
    github("Issue"): PLAINTEXT,
    github("IssueLabel"): PLAINTEXT,
    github("IssueLabels"): PLAINTEXT,
    github("Release"): PLAINTEXT,
    github("RepositoryPullRequest"): PLAINTEXT,
    github("RepositoryMilestone"): PLAINTEXT,
    github("RepositoryProject"): PLAINTEXT,
    github("OrganizationProject"): PLAINTEXT,
    github("ProjectCard"): PLAINTEXT,
    github("ProjectColumn"): PLAINTEXT,
    github("OrganizationCustomProperties"): PLAINTEXT,
    github("RepositoryCustomProperty"): PLAINTEXT,
    github("RepositoryAutolinkReference"): PLAINTEXT,
    # Settings, memberships, permissions and keys that are public by design: nothing relevant here.
    github("ActionsHostedRunner"): NOTHING,
    github("ActionsOrganizationOidcSubjectClaimCustomizationTemplate"): NOTHING,
    github("ActionsOrganizationPermissions"): NOTHING,
    github("ActionsOrganizationWorkflowPermissions"): NOTHING,
    github("ActionsRepositoryAccessLevel"): NOTHING,
    github("ActionsRepositoryOidcSubjectClaimCustomizationTemplate"): NOTHING,
    github("ActionsRepositoryPermissions"): NOTHING,
    github("ActionsRunnerGroup"): NOTHING,
    github("AppInstallationRepositories"): NOTHING,
    github("AppInstallationRepository"): NOTHING,
    github("Branch"): NOTHING,
    github("BranchDefault"): NOTHING,
    github("EmuGroupMapping"): NOTHING,
    github("EnterpriseActionsPermissions"): NOTHING,
    github("EnterpriseActionsRunnerGroup"): NOTHING,
    github("EnterpriseActionsWorkflowPermissions"): NOTHING,
    github("EnterpriseIpAllowListEntry"): NOTHING,
    github("EnterpriseOrganization"): NOTHING,
    github("EnterpriseSecurityAnalysisSettings"): NOTHING,
    github("Membership"): NOTHING,
    github("OrganizationBlock"): NOTHING,
    github("OrganizationCustomRole"): NOTHING,
    github("OrganizationRepositoryRole"): NOTHING,
    github("OrganizationRole"): NOTHING,
    github("OrganizationRoleTeam"): NOTHING,
    github("OrganizationRoleTeamAssignment"): NOTHING,
    github("OrganizationRoleUser"): NOTHING,
    github("OrganizationSecurityManager"): NOTHING,
    github("OrganizationSettings"): NOTHING,
    github("Repository"): NOTHING,
    github("RepositoryCollaborator"): NOTHING,
    github("RepositoryCollaborators"): NOTHING,
    github("RepositoryDependabotSecurityUpdates"): NOTHING,
    github("RepositoryDeployKey"): NOTHING,
    github("RepositoryPages"): NOTHING,
    github("RepositoryTopics"): NOTHING,
    github("RepositoryVulnerabilityAlerts"): NOTHING,
    github("Team"): NOTHING,
    github("TeamMembers"): NOTHING,
    github("TeamMembership"): NOTHING,
    github("TeamRepository"): NOTHING,
    github("TeamSettings"): NOTHING,
    github("TeamSyncGroupMapping"): NOTHING,
    github("UserGpgKey"): NOTHING,
    github("UserInvitationAccepter"): NOTHING,
    github("UserSshKey"): NOTHING,
    github("WorkflowRepositoryPermissions"): NOTHING,
}

VERCEL: dict[str, Kind] = {
    # Environment variables: the project variable the program declares is the one place for its names.
    vercel("ProjectEnvironmentVariable"): vercel_variable(place=Place.VERCEL_PROJECT),
    vercel("ProjectEnvironmentVariables"): vercel_variable(entries="variables"),
    vercel("SharedEnvironmentVariable"): vercel_variable(),
    vercel("Project"): Kind(
        frozenset({Carries.SECRET, Carries.PLAINTEXT}),
        named=(Named("key", ("value",), Secrecy.SENSITIVE_FLAG, "environments"),),
        secret_paths=(("passwordProtection", "password"),),
    ),
    # Values deployments read in plaintext: a deployment's own environment map, Edge Config items.
    vercel("Deployment"): variable(None, entries="environment"),
    vercel("EdgeConfigItem"): variable("key", "value", "valueJson"),
    # Other secrets in their place: drains' signing secrets and headers, keys, certificates, the provider's token.
    vercel("LogDrain"): secret("secret", "headers", plaintext=True),
    vercel("TraceDrain"): secret("secret", "headers", plaintext=True),
    vercel("AuditLogDrain"): secret("http.secret", "http.headers", plaintext=True),
    vercel("CustomCertificate"): secret("privateKey", plaintext=True),
    vercel("KmsIssuer"): secret("importKey"),
    vercel("KmsSigningKey"): secret("importKey"),
    vercel("ProjectProtectionBypass"): secret("secret"),
    vercel("AlertRule"): secret("notificationSettings.incidentIoRoutingKey", plaintext=True),
    vercel("CustomAlertRule"): secret("notificationSettings.incidentIoRoutingKey", plaintext=True),
    "pulumi:providers:vercel": secret("apiToken"),
    # Text and values others read.
    vercel("DnsRecord"): PLAINTEXT,
    vercel("EdgeConfigSchema"): PLAINTEXT,
    vercel("FeatureFlagDefinition"): PLAINTEXT,
    vercel("FeatureFlagSegment"): PLAINTEXT,
    vercel("BulkRedirects"): PLAINTEXT,
    vercel("ProjectRoute"): PLAINTEXT,
    vercel("FirewallConfig"): PLAINTEXT,
    vercel("BlobObject"): PLAINTEXT,
    # Settings, memberships, ids and tokens the provider creates (their outputs are secret): nothing relevant.
    vercel("AccessGroup"): NOTHING,
    vercel("AccessGroupMember"): NOTHING,
    vercel("AccessGroupProject"): NOTHING,
    vercel("AiGatewayApiKey"): NOTHING,
    vercel("AlertRuleSlackNotification"): NOTHING,
    vercel("AlertRuleWebhookNotification"): NOTHING,
    vercel("Alias"): NOTHING,
    vercel("AttackChallengeMode"): NOTHING,
    vercel("BlobProjectConnection"): NOTHING,
    vercel("BlobStore"): NOTHING,
    vercel("CustomEnvironment"): NOTHING,
    vercel("DeploymentProtectionException"): NOTHING,
    vercel("EdgeConfig"): NOTHING,
    vercel("EdgeConfigToken"): NOTHING,
    vercel("FeatureFlagConfig"): NOTHING,
    vercel("FeatureFlagSdkKey"): NOTHING,
    vercel("FirewallBypass"): NOTHING,
    vercel("IntegrationProjectAccess"): NOTHING,
    vercel("KmsProjectGrant"): NOTHING,
    vercel("MicrofrontendGroup"): NOTHING,
    vercel("MicrofrontendGroupMembership"): NOTHING,
    vercel("Network"): NOTHING,
    vercel("OauthApp"): NOTHING,
    vercel("OauthAppClientSecret"): NOTHING,
    vercel("OidcFederationPolicy"): NOTHING,
    vercel("ProjectCrons"): NOTHING,
    vercel("ProjectDeploymentCheck"): NOTHING,
    vercel("ProjectDeploymentRetention"): NOTHING,
    vercel("ProjectDomain"): NOTHING,
    vercel("ProjectMembers"): NOTHING,
    vercel("ProjectRollingRelease"): NOTHING,
    vercel("ProjectTracing"): NOTHING,
    vercel("ShareableLink"): NOTHING,
    vercel("SharedEnvironmentVariableProjectLink"): NOTHING,
    vercel("TeamConfig"): NOTHING,
    vercel("TeamMember"): NOTHING,
    vercel("UserToken"): NOTHING,
    vercel("VcrRepository"): NOTHING,
    vercel("VcrRepositoryPermission"): NOTHING,
    vercel("Webhook"): NOTHING,
}

PROGRAM: dict[str, Kind] = {
    # The program's migration (infra/components/migration.py): its database URL is a Pulumi secret, which the policy SDK
    # hands over unwrapped. Every Python dynamic resource shares this type token.
    DYNAMIC: Kind(frozenset({Carries.SECRET}), secret_paths=(("database_url",),), skip=("__provider",)),
}

CATALOG: dict[str, Kind] = {**GITHUB, **VERCEL, **PROGRAM}


def kind_of(resource_type: str) -> Kind | None:
    """What a type carries; None for a type of another provider, judged by its values alone."""
    return CATALOG.get(resource_type)


@dataclass(frozen=True)
class Entry:
    """One named value a resource gives: its name, where it lands, whether it is kept secret there."""

    name: str
    values: tuple[Path, ...]
    """Paths of the inputs that hold its value and are set."""
    secret: bool
    place: Place
    """Its slot's place when kept secret there; an entry that is not lands elsewhere."""


def named_entries(kind: Kind, props: Any) -> Iterator[Entry]:
    """Every named value of a resource of `kind`, as far as its names are known."""
    for slot in kind.named:
        if slot.name is None:  # a map of names to values
            for name, _ in entries(field(props, slot.entries)):
                yield Entry(name, ((str(slot.entries), name),), slot.secrecy is Secrecy.SECRET, Place.ELSEWHERE)
            continue
        located: list[tuple[Path, Any]] = (
            [((str(slot.entries), index), entry) for index, entry in items(field(props, slot.entries))]
            if slot.entries
            else [((), props)]
        )
        for at, entry in located:
            name = field(entry, slot.name)
            if not isinstance(name, str) or not name:
                continue
            values = tuple((*at, key) for key in slot.values if field(entry, key) is not None)
            secret = slot.secrecy is Secrecy.SECRET or (
                slot.secrecy is Secrecy.SENSITIVE_FLAG and field(entry, "sensitive") is True
            )
            yield Entry(name, values, secret, slot.place if secret else Place.ELSEWHERE)
