"""The environments of this (the infra) repository each stack's CI jobs run in, and what gates each one.

Every job that runs Pulumi holds one stack's key and tokens, so it runs in an environment of that stack only
(docs/explanation/ci-trust.md); what those environments can have follows the same table as the
app repositories' (infra/tables/github_plans.py), for this repository's owner's plan and its visibility:

    infra-STACK-pr    `pulumi preview` of a pull request: any branch, read-only credentials. It runs the pull
                      request's code, so a production-tier stack's needs reviewers; where the plan has none for
                      this repository (Pro or Team, private), it is not created: that stack's pull requests get the
                      offline plan, and its live preview runs in the deploy job on main, before `pulumi up`.
    infra-STACK       `pulumi up` on main: main only, write credentials; reviewers in production tiers where the
                      plan has them (otherwise main's ruleset is the gate, and no manual dispatch deploys it).
    infra-STACK-read  the daily drift check: main only, read-only credentials, never a reviewer.

Why the `-read` environment needs no reviewer: since 2025-12-08 GitHub evaluates an environment's branch rule
against the run's GITHUB_REF, which is `refs/pull/<n>/merge` for `pull_request` events and the default branch
for `pull_request_target` (GitHub changelog 2025-11-07, "Actions pull_request_target and environment branch
protections changes"; "The deployment branch or tag rule is matched against the GITHUB_REF of the workflow run",
docs "Deployments and environments"). A pull request can no longer pass a main-only rule by naming its head
branch `main`, so only runs of main's reviewed code reach a main-only environment; `schedule` runs on the default
branch ("Events that trigger workflows"). A reviewer on the drift environment would only stall the daily check.
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.tables.github_permissions import Permission, read_token_permissions, write_token_permissions
from infra.tables.github_plans import PLANS, Plan, capabilities
from infra.tables.tiers import TierProfile

PASSPHRASE = "PULUMI_CONFIG_PASSPHRASE"  # noqa: S105 - the secret's name
ACCESS_TOKEN = "PULUMI_ACCESS_TOKEN"  # noqa: S105 - the secret's name
VERCEL_TOKEN = "INFRA_VERCEL_TOKEN"  # noqa: S105 - the secret's name
# No GitHub token is stored: each job mints an installation token of a GitHub App for its run
# (actions/create-github-app-token). The App's private key is the one stored credential, and every key of an App
# carries all of that App's permissions, so reading and writing are two Apps, each key only where its App belongs.
READ_APP_KEY = "INFRA_GITHUB_READ_APP_KEY"
WRITE_APP_KEY = "INFRA_GITHUB_WRITE_APP_KEY"
READ_APP_CLIENT_ID = "INFRA_GITHUB_READ_APP_CLIENT_ID"
WRITE_APP_CLIENT_ID = "INFRA_GITHUB_WRITE_APP_CLIENT_ID"
DB_ADMIN_URL = "DB_ADMIN_URL"
"""A stack generating its database credentials: the administrative login the PostgreSQL provider uses, in the deploy
environment only. Its previews hold the stack's key, which decrypts all of its config and state: the login is
neither. The deploy job hands it to the provider as PG* variables (`tools.pg_env`); the drift check reads the roles
with the stack's observer login instead (docs/explanation/generated-credentials.md)."""
BACKEND_ROLE = "PULUMI_BACKEND_ROLE"
"""The IAM role a job assumes with GitHub's OIDC token: an s3:// backend's state, an awskms:// stack's key."""
APP_OWNER = "INFRA_GITHUB_OWNER"
APP_REPOSITORIES = "INFRA_GITHUB_REPOSITORIES"
"""The owner and repositories the job's installation token is scoped to: the stack's githubOwner and repositories."""


def environment_names(stack: str) -> tuple[str, str, str]:
    """The environments of this repository a stack's CI jobs run in: previews, deploys, drift checks."""
    return (f"infra-{stack}-pr", f"infra-{stack}", f"infra-{stack}-read")


@dataclass(frozen=True)
class CiEnvironment:
    name: str
    purpose: str
    branches: tuple[str, ...]
    """Branches that may run jobs in it; empty means any (pull requests run on refs/pull/N/merge)."""
    reviewers: bool
    """The stack's reviewer teams must approve each job."""
    protection_rules: bool
    """GitHub has protection rules here (reviewers, wait timer, the admin-bypass setting): only then are they sent."""
    writes: bool
    """Only the deploy environment changes anything: its tokens and backend role write, the others only read."""
    secrets: tuple[str, ...]
    variables: tuple[str, ...] = ()
    """Non-secret values the jobs read as `vars.NAME`: which App, which role, which repositories."""

    @property
    def app_key(self) -> str:
        """The private key of the App whose token the job mints: the write App only where the job deploys."""
        return WRITE_APP_KEY if self.writes else READ_APP_KEY

    @property
    def app_client_id(self) -> str:
        return WRITE_APP_CLIENT_ID if self.writes else READ_APP_CLIENT_ID

    def token_inputs(self) -> dict[str, str]:
        """The `permission-*` inputs of the job's create-github-app-token step (token_inputs says how)."""
        return token_inputs(writes=self.writes)

    def request_body(self) -> dict[str, object]:
        """The body of PUT /repos/{owner}/{repo}/environments/{name} ("Create or update an environment").

        Only what GitHub acts on for this plan: where it has no protection rules, a body naming any of them (even
        `wait_timer: 0`) is refused with 422 (integrations/terraform-provider-github#1311, backstage/backstage#28977),
        and `prevent_self_review` without reviewers is refused too (github-community-projects/safe-settings#628).
        """
        body: dict[str, object] = {
            "deployment_branch_policy": (
                {"protected_branches": False, "custom_branch_policies": True} if self.branches else None
            )
        }
        if self.protection_rules:
            # Nobody, admins included, skips the environment's rules (GitHub's default lets admins bypass them).
            body |= {"wait_timer": 0, "can_admins_bypass": False}
        if self.reviewers:
            body["prevent_self_review"] = True
        return body


@dataclass(frozen=True)
class CiLayout:
    """One stack's CI environments, and how its pull requests are previewed."""

    stack: str
    environments: tuple[CiEnvironment, ...]
    live_pull_request_preview: bool
    """A pull request's `pulumi preview` runs in infra-STACK-pr; otherwise only the offline plan runs for it."""
    dispatch_allowed: bool
    """`workflow_dispatch` may deploy the stack: false where a production tier's deploy environment has no reviewers."""
    summary: str
    """One line for the plan: how pull requests, deploys and drift checks of the stack are gated."""


class CiLayoutError(ValueError):
    """This repository's plan and visibility give its CI no environments at all."""


def reviewers_available(plan: Plan | None, visibility: str) -> bool:
    """Whether GitHub gives this repository's environments reviewers; an unknown plan has them only when public."""
    if plan is None:
        return visibility == "public"
    caps = capabilities(plan, visibility)
    return caps is not None and caps.protection_rules


def layout(
    stack: str,
    profile: TierProfile,
    plan: Plan | None,
    visibility: str,
    *,
    backend: str,
    kms: bool,
    generated_credentials: bool = False,
) -> CiLayout:
    """The stack's CI environments in a repository of `visibility` whose owner is on `plan` (None: not known).

    `generated_credentials`: the stack generates its database credentials, so its deploy environment holds
    DB_ADMIN_URL (and no other environment does).
    """
    caps = capabilities(plan, visibility) if plan in PLANS else None
    if plan is not None and (caps is None or not caps.environments):
        if caps is None:
            raise CiLayoutError(
                f"this repository is {visibility}, but internal repositories exist only in organizations on Enterprise "
                f"and its owner's plan is {plan}: the plan or the visibility is not what GitHub shows"
            )
        raise CiLayoutError(
            f"this repository is {visibility} on GitHub {plan}, where it has no environments (GitHub answers 404), so "
            "no stack's CI can hold its credentials apart from the others': a paid plan or a public repository would"
        )
    rules = reviewers_available(plan, visibility)
    gated = profile.approval_gate_required
    backend_token = (ACCESS_TOKEN,) if backend == "cloud" else ()
    key = (() if kms else (PASSPHRASE,)) + backend_token
    read = (*key, READ_APP_KEY, VERCEL_TOKEN)
    write = (*key, WRITE_APP_KEY, VERCEL_TOKEN, *((DB_ADMIN_URL,) if generated_credentials else ()))
    # A role where the job needs AWS: the object-storage backend's state, or a KMS stack's key (with Pulumi Cloud too).
    role = (BACKEND_ROLE,) if backend == "s3" or kms else ()
    scope = (APP_OWNER, APP_REPOSITORIES)
    read_vars = (*role, READ_APP_CLIENT_ID, *scope)
    write_vars = (*role, WRITE_APP_CLIENT_ID, *scope)
    previews, deploys, drift = environment_names(stack)
    environments = []
    live = not gated or rules
    if live:
        environments.append(CiEnvironment(previews, "pull-request previews", (), gated, rules, False, read, read_vars))
    environments.append(CiEnvironment(deploys, "deploys", ("main",), gated and rules, rules, True, write, write_vars))
    environments.append(CiEnvironment(drift, "drift checks", ("main",), False, rules, False, read, read_vars))
    if not gated:
        summary = "pull requests preview live, without a reviewer; deploys and drift checks from main"
    elif rules:
        summary = (
            f"pull requests preview live after a reviewer approves {previews}; deploys from main after a reviewer "
            f"approves {deploys}; drift checks from main without one"
        )
    else:
        summary = (
            f"pull requests get the offline plan only: {previews} could have no reviewers here, and a preview runs "
            f"the pull request's code with the stack's key; the live preview runs in the deploy job on main before "
            f"`pulumi up`, and only changes main's ruleset let through deploy (no manual dispatch)"
        )
    return CiLayout(stack, tuple(environments), live, not gated or rules, summary)


# GitHub App permission names (the `permissions` object of POST /app/installations/{id}/access_tokens, which
# actions/create-github-app-token builds from its `permission-<name>` inputs, `-` for `_`: its
# lib/get-permissions-from-inputs.js at v3.1.1) for the permissions infra/tables/github_permissions.py names.
APP_PERMISSIONS: dict[tuple[str, str], str] = {
    ("repository", "Actions"): "actions",
    ("repository", "Administration"): "administration",
    ("repository", "Dependabot secrets"): "dependabot_secrets",
    ("repository", "Environments"): "environments",
    ("repository", "Metadata"): "metadata",
    ("repository", "Secrets"): "secrets",
    ("repository", "Variables"): "actions_variables",
    ("organization", "Dependabot secrets"): "organization_dependabot_secrets",
    ("organization", "Members"): "members",
    ("organization", "Secrets"): "organization_secrets",
}


def app_permissions(permissions: list[Permission]) -> dict[str, str]:
    """App permission name -> access, for a list of the token permissions a set of calls needs."""
    return {APP_PERMISSIONS[(permission.scope, permission.name)]: permission.access for permission in permissions}


def token_inputs(*, writes: bool) -> dict[str, str]:
    """The create-github-app-token inputs that narrow a job's token to exactly what the program's calls need.

    With any `permission-*` input the token gets only those permissions, not the installation's (the action's
    README, "permission-<permission name>"). The read-only App's token gets every read the program makes; the
    deploy's adds the writes. Two inputs are not declared in the action's action.yml at v3.1.1
    (`permission-organization-dependabot-secrets`, `permission-actions-variables`): the runner still hands every
    `with:` key to the action as an INPUT_ variable and only warns about undeclared ones (actions/runner
    src/Runner.Worker/ActionRunner.cs, "Unexpected input(s)", then Handler.AddInputsToEnvironment), and the action
    reads every INPUT_PERMISSION-* variable.
    """
    permissions = write_token_permissions() if writes else read_token_permissions()
    return {f"permission-{name.replace('_', '-')}": access for name, access in app_permissions(permissions).items()}
