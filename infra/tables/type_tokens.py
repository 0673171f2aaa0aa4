"""Pulumi names of what the program declares (its project, its resources' type tokens), for the tools that read them."""

PROJECT = "tenantguard-infra"
"""The project in Pulumi.yaml: the prefix of every config key and a part of every URN."""


def full_key(key: str) -> str:
    """A config key as Pulumi passes it to the program, e.g. `tenantguard-infra:tier`."""
    return f"{PROJECT}:{key}"


ENVIRONMENT = "github:index/repositoryEnvironment:RepositoryEnvironment"
BRANCH_POLICY = "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy"
ENVIRONMENT_SECRET = "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret"  # noqa: S105 - a type token
RULESET = "github:index/repositoryRuleset:RepositoryRuleset"
ENVIRONMENT_VARIABLE = "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable"
VERCEL_VARIABLE = "vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable"
RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"  # noqa: S105 - a type token
STACK_REFERENCE = "pulumi:pulumi:StackReference"
DYNAMIC = "pulumi-python:dynamic:Resource"
GET_TEAM = "github:index/getTeam:getTeam"
