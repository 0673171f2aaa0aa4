"""The floor for bench/run.py: the same custom resources as the real program, declared directly.

No config validation, no components, no scoping table: raw config in, resources out, with the same
SDKs (and the same dynamic provider for the migration).
"""

import json

import pulumi
import pulumi_github as github
import pulumi_random as random
import pulumiverse_vercel as vercel
from pulumi.runtime import config as runtime_config

from infra.migration import AlembicMigration


def raw(key: str, default: str = "") -> str:
    return str(runtime_config.get_config(f"tenantguard-infra:{key}") or default)


stack = pulumi.get_stack()
tier = raw("tier")
repositories = json.loads(raw("repositories", "[]"))
teams = json.loads(raw("reviewerTeams", "[]"))
branches = json.loads(raw("deploymentBranches", "[]"))
extras = json.loads(raw("extraSecrets", "{}"))
targets = ["production"] if tier == "production" else ["preview"]

gh = github.Provider("github", owner=raw("githubOwner"))
vc = vercel.Provider("vercel", team=raw("vercelTeamId"))
password = random.RandomPassword("session-key", length=64, special=False, keepers={"rotation": "1"})
session_key: pulumi.Output[str] = pulumi.Output.secret(password.result)
team_ids = [
    github.get_team_output(slug=slug, opts=pulumi.InvokeOutputOptions(provider=gh)).id.apply(int) for slug in teams
]
ci_db_url = pulumi.Output.secret(raw("ciDbUrl"))
if tier != "production":
    pulumi.StackReference("production-stack", stack_name=raw("productionStack"))
secrets = []
for repository in repositories:
    env = github.RepositoryEnvironment(
        f"{repository}-environment",
        repository=repository,
        environment=stack,
        reviewers=[github.RepositoryEnvironmentReviewerArgs(teams=team_ids)] if team_ids else None,
        prevent_self_review=True,
        deployment_branch_policy=github.RepositoryEnvironmentDeploymentBranchPolicyArgs(
            protected_branches=False, custom_branch_policies=True
        )
        if branches
        else None,
        opts=pulumi.ResourceOptions(provider=gh),
    )
    for branch in branches:
        github.RepositoryEnvironmentDeploymentPolicy(
            f"{repository}-branch-{branch}",
            repository=repository,
            environment=stack,
            branch_pattern=branch,
            opts=pulumi.ResourceOptions(provider=gh, depends_on=[env]),
        )
    for name in ["CI_DB_URL", "VERCEL_TOKEN", "REDIS_URL", *extras]:
        value = ci_db_url if name == "CI_DB_URL" else pulumi.Output.secret(raw("vercelToken"))
        secrets.append(
            github.ActionsEnvironmentSecret(
                f"{repository}-{name}",
                repository=repository,
                environment=stack,
                secret_name=name,
                value=value,
                opts=pulumi.ResourceOptions(provider=gh, depends_on=[env]),
            )
        )
for name in ["REDIS_URL", "DATABASE_URL", "SESSION_SECRET_KEY", *extras]:
    vercel.ProjectEnvironmentVariable(
        f"vercel-{name}",
        project_id=raw("vercelProjectId"),
        key=name,
        value=session_key,
        sensitive=True,
        targets=targets,
        git_branch=raw("vercelGitBranch") or None,
        opts=pulumi.ResourceOptions(provider=vc),
    )
AlembicMigration("database", ci_db_url, "0003", pulumi.ResourceOptions(depends_on=secrets))

# The same stack outputs as the real program (strings only, no masking or hashing worth measuring).
pulumi.export("environmentName", stack)
pulumi.export(
    "githubSecretNames",
    {repository: ["CI_DB_URL", "VERCEL_TOKEN", "REDIS_URL", *extras] for repository in repositories},
)
pulumi.export("vercelVariableKeys", ["REDIS_URL", "DATABASE_URL", "SESSION_SECRET_KEY", *extras])
pulumi.export("ciDbUrlMasked", "postgresql://ci:***@host/db")
pulumi.export("migrationRevision", "0003")
pulumi.export("migrationsEnabled", True)
if tier == "production":
    pulumi.export("databaseFingerprint", "0" * 64)
