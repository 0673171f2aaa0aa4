"""The CI project's whole deployment: AWS (state bucket, keys, OIDC, roles) -> this repository's environments ->
its variables and main's ruleset. Everything per stack comes from the main project's stack files."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_github as github

from ci.components.ci_environment import CiEnvironment, CiEnvironmentArgs
from ci.components.ci_role import CiRole, CiRoleArgs
from ci.components.cloud_token import CloudToken, CloudTokenArgs
from ci.components.repository_settings import RepositorySettings, RepositorySettingsArgs
from ci.components.stack_key import StackKey, StackKeyArgs
from ci.components.state_bucket import StateBucket, StateBucketArgs
from ci.config import PROJECT, Settings, full_key
from ci.iam import AUDIENCE, GITHUB_OIDC_URL, ROLE_PATH, StateAccess, drift_policy, role_name, role_policy
from ci.main_project import (
    MAIN_PROJECT,
    SECRET_NAMES,
    VARIABLE_NAMES,
    Environment,
    MainStack,
    pull_request_environment,
)

DRIFT_ENVIRONMENT = "ci-project-drift"
"""This project's own drift check: outside the `infra-<stack>...` names, so no stack's environment can be it."""
DRIFT_APP_KEY = "CI_PROJECT_DRIFT_APP_KEY"
DRIFT_APP_CLIENT_ID = "CI_PROJECT_DRIFT_APP_CLIENT_ID"
DRIFT_TOKEN_INPUTS = {
    # What refreshing this project's GitHub resources reads (GitHub's fine-grained permissions per endpoint,
    # as infra/tables/github_permissions.py cites them): environments and their branch policies (Actions), their
    # secrets and variables (Environments), the repository's variables (Variables), its ruleset (Metadata), the
    # reviewer teams' ids (Members). The drift App is installed with these, read-only, on this repository alone.
    "permission-actions": "read",
    "permission-actions-variables": "read",
    "permission-environments": "read",
    "permission-members": "read",
    "permission-metadata": "read",
}


def build(settings: Settings) -> dict[str, Any]:
    github_provider = github.Provider("github", owner=settings.owner)
    on_github = pulumi.ResourceOptions(provider=github_provider)
    aws_provider = aws.Provider("aws", region=settings.region) if settings.needs_aws else None
    on_aws = pulumi.ResourceOptions(provider=aws_provider)

    # AWS: the bucket (adopted, see StateBucket), each KMS stack's key, GitHub's OIDC provider.
    bucket = None
    if settings.backend == "s3":
        bucket = StateBucket("state", StateBucketArgs(settings.bucket, settings.noncurrent_version_days), opts=on_aws)
    keys: dict[str, pulumi.Output[str]] = {}
    provider_arn: pulumi.Input[str] = settings.oidc_provider_arn
    if aws_provider is not None:
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=aws_provider)).account_id
        for stack in settings.stacks:
            if stack.kms_alias:
                keys[stack.name] = StackKey(stack.name, StackKeyArgs(stack.kms_alias, account), opts=on_aws).arn
        if not provider_arn:
            # IAM no longer needs a thumbprint for GitHub's provider: it trusts GitHub's certificate through its own
            # root CAs (IAM User Guide, "Create an OpenID Connect (OIDC) identity provider in IAM").
            provider_arn = aws.iam.OpenIdConnectProvider(
                "github-oidc", url=GITHUB_OIDC_URL, client_id_lists=[AUDIENCE], opts=on_aws
            ).arn

    # Per stack, per CI environment: its role or team token, then the environment holding them.
    team_lookup = pulumi.InvokeOutputOptions(provider=github_provider)
    role_arns: list[pulumi.Output[str]] = []
    unmanaged = _no_stale_environments(settings, team_lookup)
    on_github = pulumi.ResourceOptions(provider=github_provider, depends_on=unmanaged)
    for stack in settings.stacks:
        team_ids = [
            github.get_team_output(slug=slug, summary_only=True, opts=team_lookup).id.apply(int)
            for slug in stack.reviewer_teams
        ]
        for environment in stack.environments:
            role_arn, token = _credentials(
                settings, stack=stack, environment=environment, provider_arn=provider_arn, keys=keys, on_aws=on_aws
            )
            if role_arn is not None:
                role_arns.append(role_arn)
            CiEnvironment(
                environment.name,
                CiEnvironmentArgs(
                    repository=settings.repository_name,
                    environment=environment.name,
                    branches=environment.branches,
                    reviewer_team_ids=team_ids if environment.reviewers else [],
                    protection_rules=environment.protection_rules,
                    secrets=_secrets(settings, stack, environment, token),
                    variables=_variables(settings, stack, environment, role_arn),
                ),
                opts=on_github,
            )

    drift_role = _drift(
        settings,
        provider_arn=provider_arn,
        role_arns=role_arns,
        key_arns=list(keys.values()),
        on_aws=on_aws,
        on_github=on_github,
    )

    RepositorySettings(
        "repository",
        RepositorySettingsArgs(
            repository=settings.repository_name,
            variables={
                "PULUMI_BACKEND_URL": _backend_url(settings),
                **({"AWS_REGION": settings.region} if settings.needs_aws else {}),
                "INFRA_RUNNERS": json.dumps({stack: list(labels) for stack, labels in settings.runners.items()}),
            },
        ),
        opts=on_github,
    )
    outputs: dict[str, Any] = {"backendUrl": _backend_url(settings), "driftRole": drift_role}
    if (group := _runner_group(settings, team_lookup, on_github)) is not None:
        outputs["runnerGroup"] = group
    if bucket is not None:
        outputs["stateBucket"] = bucket.name
    return outputs


RUNNER_WORKFLOWS = ("infra-deploy.yml", "infra-drift.yml")
"""The workflows whose jobs reach the databases (they run on INFRA_RUNNERS): the only ones the runner group runs."""


def _runner_group(
    settings: Settings, lookup: pulumi.InvokeOutputOptions, on_github: pulumi.ResourceOptions
) -> pulumi.Output[str] | None:
    """The organization runner group for the runners that reach the databases: this repository only, and only jobs
    defined in main's deploy and drift workflows, so no pull request's workflow (nor another workflow of main)
    runs on a machine inside a database's network, whatever labels it asks for.

    GitHub: "you must use the full path to the workflow, including the repository name and owner, and you must pin
    the workflow to a branch, tag, or full SHA ... Only jobs directly defined within the selected workflows will
    have access to the runner group" (github/docs data/reusables/actions/runner-group-assign-policy-workflow.md).
    The ref is written in full, as GITHUB_WORKFLOW_REF names it (`.../workflow.yml@refs/heads/main`): a bare `main`
    could also be read as a tag a writer pushes;
    organizations on Free and Team have runner groups, a personal account none (github/docs, "Managing access to
    self-hosted runners using groups"). The runners are registered into the group by whoever installs them.
    """
    if not settings.runners:
        return None
    if settings.plan == "pro":
        pulumi.log.warn(
            f"{settings.owner} is a personal account (GitHub Pro), which has no runner groups: the runners in "
            f"{full_key('runners')} take jobs from every workflow of {settings.repository}, pull requests' included; "
            "move the repository to an organization to confine them (docs/explanation/ci-project.md)"
        )
        return None
    repository = github.get_repository_output(name=settings.repository_name, opts=lookup)
    group = github.ActionsRunnerGroup(
        "runner-group",
        name=settings.runner_group,
        visibility="selected",
        selected_repository_ids=[repository.repo_id],
        allows_public_repositories=settings.visibility == "public",
        restricted_to_workflows=True,
        selected_workflows=[
            f"{settings.repository}/.github/workflows/{name}@refs/heads/main" for name in RUNNER_WORKFLOWS
        ],
        opts=on_github,
    )
    return group.name


class StaleEnvironmentError(pulumi.RunError):
    """An environment the layout no longer has still exists, holding a stack's credentials."""


def _no_stale_environments(
    settings: Settings, lookup: pulumi.InvokeOutputOptions
) -> pulumi.Output[list[pulumi.Resource]]:
    """Resolves once no stack's pull-request environment exists where the layout has none; fails otherwise.

    Where this repository cannot give a production-tier stack's `infra-<stack>-pr` reviewers (Pro or Team, private),
    and for a preview-tier stack (its config holds the per-pull-request database manager), the layout has no such
    environment (tools/ci_layout.py). One made before (the repository was public or on
    Enterprise then, or by hand) would still hold that stack's key, unreviewed now, and a pull request naming it
    gets them: nothing of this project is written until it is deleted. One GET each (getRestApi answers a 404 with
    code 404, data_source_github_rest_api.go, integrations/terraform-provider-github v6.13.0).
    """
    names = [
        pull_request_environment(stack.name)
        for stack in settings.stacks
        if pull_request_environment(stack.name) not in {environment.name for environment in stack.environments}
    ]
    answers = [
        github.get_rest_api_output(endpoint=f"repos/{settings.repository}/environments/{name}", opts=lookup)
        for name in names
    ]

    def check(found: list[Any]) -> list[pulumi.Resource]:
        stale = [name for name, answer in zip(names, found, strict=True) if answer.code == 200]
        if stale:
            commands = "; ".join(
                f"gh api --method DELETE repos/{settings.repository}/environments/{name}" for name in stale
            )
            raise StaleEnvironmentError(
                f"{', '.join(stale)} still exist(s), holding a stack's credentials that no pull request may hold "
                f"here (a production-tier stack's without reviewers, or a preview-tier stack's per-pull-request "
                f"database manager), so a pull request naming one would get them: delete them ({commands}), then "
                f"run `pulumi up` again; nothing was written (why: docs/explanation/ci-trust.md)"
            )
        return []

    return pulumi.Output.all(*answers).apply(check)


def _backend_url(settings: Settings) -> str:
    return f"s3://{settings.bucket}" if settings.backend == "s3" else "https://api.pulumi.com"


def _credentials(
    settings: Settings,
    *,
    stack: MainStack,
    environment: Environment,
    provider_arn: pulumi.Input[str],
    keys: dict[str, pulumi.Output[str]],
    on_aws: pulumi.ResourceOptions,
) -> tuple[pulumi.Output[str] | None, pulumi.Output[str] | None]:
    """The environment's backend credentials: a role (object storage, or a KMS key) and a team token (Pulumi Cloud)."""
    role_arn = None
    token = None
    if VARIABLE_NAMES["role"] in environment.variables:
        key = keys.get(stack.name)
        policy = pulumi.Output.all(*([key] if key is not None else [])).apply(
            lambda arns: role_policy(
                StateAccess(
                    bucket=settings.bucket,
                    project=MAIN_PROJECT,
                    stack=stack.name,
                    writes=environment.writes,
                    also_reads=(stack.reads_stack,) if stack.reads_stack else (),
                    key_arns=tuple(arns),
                )
            )
        )
        role = CiRole(
            environment.name,
            CiRoleArgs(environment.name, settings.repository, provider_arn, policy),
            opts=on_aws,
        )
        role_arn = role.arn
    if settings.backend == "cloud":
        token = CloudToken(
            environment.name,
            CloudTokenArgs(
                organization=settings.pulumi_organization,
                environment=environment.name,
                project=MAIN_PROJECT,
                stack=stack.name,
                writes=environment.writes,
                also_reads=(stack.reads_stack,) if stack.reads_stack else (),
            ),
        ).token
    return role_arn, token


def _secrets(
    settings: Settings, stack: MainStack, environment: Environment, token: pulumi.Output[str] | None
) -> dict[str, pulumi.Input[str]]:
    """What tools/ci_layout.py says the environment holds, from this project's config."""
    app = settings.apps["write" if environment.writes else "read"]
    values: dict[str, pulumi.Input[str]] = {
        environment.app_key: app.key.value,
        SECRET_NAMES["vercel_token"]: settings.vercel_tokens[stack.name].value,
    }
    if SECRET_NAMES["passphrase"] in environment.secrets:
        values[SECRET_NAMES["passphrase"]] = settings.passphrases[stack.name].value
    if token is not None:
        values[SECRET_NAMES["access_token"]] = token
    if SECRET_NAMES["db_admin_url"] in environment.secrets:
        # The deploy environment of a stack generating its database credentials, and no other.
        values[SECRET_NAMES["db_admin_url"]] = settings.db_admin_urls[stack.name].value
    unexpected = set(values) ^ set(environment.secrets)
    if unexpected:
        raise ValueError(f"{environment.name}: the layout and this project disagree on {sorted(unexpected)}")
    return values


def _variables(
    settings: Settings, stack: MainStack, environment: Environment, role_arn: pulumi.Output[str] | None
) -> dict[str, pulumi.Input[str]]:
    app = settings.apps["write" if environment.writes else "read"]
    values: dict[str, pulumi.Input[str]] = {
        environment.app_client_id: app.client_id,
        VARIABLE_NAMES["owner"]: stack.owner,
        # create-github-app-token's `repositories`: comma or newline separated (its action.yml).
        VARIABLE_NAMES["repositories"]: ",".join(stack.repositories),
    }
    if role_arn is not None:
        values[VARIABLE_NAMES["role"]] = role_arn
    return values


def _drift(
    settings: Settings,
    *,
    provider_arn: pulumi.Input[str],
    role_arns: list[pulumi.Output[str]],
    key_arns: list[pulumi.Output[str]],
    on_aws: pulumi.ResourceOptions,
    on_github: pulumi.ResourceOptions,
) -> pulumi.Output[str] | None:
    """This project's own drift check: a read-only preview on main's schedule, with a role and an App of its own.

    Its environment holds this project's passphrase, which decrypts every stack's passphrase, the App keys and the
    dbAdminUrls. Main's deploy and drift jobs already run main's code with all of those but one: a DB_ADMIN_URL is
    otherwise only in its stack's deploy environment, behind that environment's reviewers where it has them. Here
    it is behind main's ruleset alone (docs/explanation/ci-trust.md, "What stays shared, and why").
    """
    secrets: dict[str, pulumi.Input[str]] = {
        SECRET_NAMES["passphrase"]: settings.passphrases[settings.stack].value,
        DRIFT_APP_KEY: settings.apps["drift"].key.value,
    }
    variables: dict[str, pulumi.Input[str]] = {DRIFT_APP_CLIENT_ID: settings.apps["drift"].client_id}
    role_arn = None
    if settings.needs_aws:
        # Its refresh reads its own role and policy too: that ARN is known before the role exists (the provider's
        # account, the path, the name), so the policy needs no reference to the role it is attached to.
        own_arn = pulumi.Output.from_input(provider_arn).apply(
            lambda arn: f"arn:aws:iam::{arn.split(':')[4]}:role{ROLE_PATH}{role_name(DRIFT_ENVIRONMENT)}"
        )
        policy = pulumi.Output.all(
            provider_arn, pulumi.Output.all(*role_arns, own_arn), pulumi.Output.all(*key_arns)
        ).apply(
            lambda found: drift_policy(
                StateAccess(bucket=settings.bucket, project=PROJECT, stack=settings.stack, writes=False),
                role_arns=found[1],
                provider_arn=found[0],
                key_arns=found[2],
            )
        )
        role_arn = CiRole(
            DRIFT_ENVIRONMENT, CiRoleArgs(DRIFT_ENVIRONMENT, settings.repository, provider_arn, policy), opts=on_aws
        ).arn
        variables[VARIABLE_NAMES["role"]] = role_arn
    if settings.backend == "cloud":
        secrets[SECRET_NAMES["access_token"]] = CloudToken(
            DRIFT_ENVIRONMENT,
            CloudTokenArgs(settings.pulumi_organization, DRIFT_ENVIRONMENT, PROJECT, settings.stack, writes=False),
        ).token
    CiEnvironment(
        DRIFT_ENVIRONMENT,
        CiEnvironmentArgs(
            repository=settings.repository_name,
            environment=DRIFT_ENVIRONMENT,
            branches=("main",),
            reviewer_team_ids=[],
            protection_rules=False,
            secrets=secrets,
            variables=variables,
        ),
        opts=on_github,
    )
    return role_arn
