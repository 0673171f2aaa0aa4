"""The floor for bench/run.py: the same resources as a preview stack, registered directly (no config, no components)."""

import json

import pulumi
import pulumi_github as github
import pulumi_random as random
import pulumiverse_vercel as vercel
from pulumi.runtime import config as runtime_config

extras = json.loads(runtime_config.get_config("tenantguard-infra:extraSecrets") or "{}")
gh = github.Provider("github", owner="tenantguard")
vc = vercel.Provider("vercel", team="team_x")
key = random.RandomPassword("session-key", length=64, special=False, keepers={"rotation": "1"})
github_names = ["CI_DB_URL", "VERCEL_TOKEN", "REDIS_URL", *extras]
vercel_names = ["REDIS_URL", "DATABASE_URL", "SESSION_SECRET_KEY", *extras]
for repository in ("tenantguard", "tenantguard-worker"):
    env = github.RepositoryEnvironment(
        f"{repository}-environment",
        repository=repository,
        environment="preview",
        opts=pulumi.ResourceOptions(provider=gh),
    )
    for name in github_names:
        github.ActionsEnvironmentSecret(
            f"{repository}-{name}",
            repository=repository,
            environment="preview",
            secret_name=name,
            value=pulumi.Output.secret("x"),
            opts=pulumi.ResourceOptions(provider=gh, depends_on=[env]),
        )
for name in vercel_names:
    vercel.ProjectEnvironmentVariable(
        f"vercel-{name}",
        project_id="prj_x",
        key=name,
        value=pulumi.Output.secret("x"),
        sensitive=True,
        targets=["preview"],
        opts=pulumi.ResourceOptions(provider=vc),
    )
