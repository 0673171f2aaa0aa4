"""A GitHub deployment environment in one repository, with its approval gate and branch rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_github as github

from infra.config.approval_gate import Protection
from infra.tables.type_tokens import PROJECT

EVERY_PATH = ("*", "**/*", ".*", "**/.*")
"""A required reviewer's file patterns, covering every path whichever way GitHub reads them: as `.gitignore` lines
(its docs, "Available rules for rulesets") `*` alone would; with Ruby's File.fnmatch and FNM_PATHNAME (its REST
description says "fnmatch syntax", and github/docs data/reusables/repositories/about-fnmatch.md: "the `*` wildcard
does not match directory separators") nested paths need `**/*`, and dotfiles their own patterns (no FNM_DOTMATCH)."""


@dataclass(frozen=True)
class DeploymentEnvironmentArgs:
    repository: str
    environment: str
    reviewer_team_ids: Sequence[pulumi.Input[int]]
    """Ids of the stack's reviewer teams: the environment's reviewers, or the ruleset's required reviewers."""
    deployment_branches: Sequence[str]
    """Branch patterns that may deploy; empty means any branch."""
    protection: Protection
    """What the environment is sent for the plan and visibility (infra/config/approval_gate.py decides)."""
    variables: Mapping[str, str] = field(default_factory=dict)
    """Non-secret configuration the environment's jobs read as `vars.NAME` (ids, never credentials)."""


class DeploymentEnvironment(pulumi.ComponentResource):
    """`repository`'s deployment environment; secrets scoped to it live in EnvironmentSecrets."""

    name: pulumi.Output[str]
    """The environment's name as GitHub knows it; resources given it wait for the environment to exist."""

    def __init__(self, name: str, args: DeploymentEnvironmentArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("tenantguard:environment:DeploymentEnvironment", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        protection = args.protection

        branch_policy = None
        if args.deployment_branches:
            # Exactly one of the two flags may be true; named patterns are the precise one.
            branch_policy = github.RepositoryEnvironmentDeploymentBranchPolicyArgs(
                protected_branches=False, custom_branch_policies=True
            )
        # The provider sends can_admins_bypass and prevent_self_review on every write (resource_github_repository_
        # environment.go, createUpdateEnvironmentData, integrations/terraform-provider-github v6.13.0); where the plan
        # has no protection rules GitHub keeps neither, so Protection holds GitHub's own values there.
        environment = github.RepositoryEnvironment(
            f"{name}-environment",
            repository=args.repository,
            environment=args.environment,
            reviewers=(
                [github.RepositoryEnvironmentReviewerArgs(teams=list(args.reviewer_team_ids))]
                if protection.reviewers
                else None
            ),
            prevent_self_review=protection.prevent_self_review,
            wait_timer=protection.wait_timer_minutes,
            can_admins_bypass=protection.can_admins_bypass,
            deployment_branch_policy=branch_policy,
            opts=child,
        )
        self.name = environment.environment
        # The name as configured, known at preview, so the policy pack can match each branch rule (and variable) to
        # its environment then too; depends_on keeps them waiting for the environment (GitHub answers 404 before).
        in_environment = pulumi.ResourceOptions(parent=self, depends_on=[environment])
        for pattern in args.deployment_branches:
            github.RepositoryEnvironmentDeploymentPolicy(
                f"{name}-branch-{pattern}",
                repository=args.repository,
                environment=args.environment,
                branch_pattern=pattern,
                opts=in_environment,
            )
        if protection.ruleset:
            _approval_ruleset(name, args, child)
        for variable, value in args.variables.items():
            github.ActionsEnvironmentVariable(
                f"{name}-var-{variable}",
                repository=args.repository,
                environment=args.environment,
                variable_name=variable,
                value=value,
                opts=in_environment,
            )
        self.register_outputs({"name": self.name})


def _approval_ruleset(name: str, args: DeploymentEnvironmentArgs, opts: pulumi.ResourceOptions) -> None:
    """Where the plan gives no environment reviewers: only changes the reviewer teams approved reach the branches
    the environment deploys from, so its deployments run reviewed code (docs/explanation/github-plans.md).

    A ruleset without bypass actors is bypassed by nobody: repository admins and organization owners are only
    "eligible for bypass access" (github/docs data/reusables/repositories/rulesets-bypass-step.md), and each rule
    binds all but "users with bypass permissions" ("Available rules for rulesets"). Admins can still edit the
    ruleset; the drift check reports that. The required reviewers rule is in public preview on GitHub (teams only,
    each team needs write access for its approvals to count); the provider sends it as the pull-request rule's
    `required_reviewers` (integrations/terraform-provider-github v6.13.0, util_rules.go expandRequiredReviewers).
    """
    github.RepositoryRuleset(
        f"{name}-ruleset",
        repository=args.repository,
        name=f"{PROJECT}: {args.environment} deploys approved changes only",
        target="branch",
        enforcement="active",
        conditions=github.RepositoryRulesetConditionsArgs(
            ref_name=github.RepositoryRulesetConditionsRefNameArgs(
                # The default branch too: an environment's branch rule names branches, a repository's default can move.
                includes=["~DEFAULT_BRANCH", *(f"refs/heads/{branch}" for branch in args.deployment_branches)],
                excludes=[],
            )
        ),
        rules=github.RepositoryRulesetRulesArgs(
            # Without it, anyone who can push could create a deploying branch that does not exist yet, with any
            # content: the pull-request rule binds only what is merged into an existing branch.
            creation=True,
            deletion=True,
            non_fast_forward=True,
            pull_request=github.RepositoryRulesetRulesPullRequestArgs(
                required_approving_review_count=1,
                dismiss_stale_reviews_on_push=True,
                require_last_push_approval=True,
                required_reviewers=[
                    github.RepositoryRulesetRulesPullRequestRequiredReviewerArgs(
                        file_patterns=list(EVERY_PATH),
                        minimum_approvals=1,
                        reviewer=github.RepositoryRulesetRulesPullRequestRequiredReviewerReviewerArgs(
                            id=team_id, type="Team"
                        ),
                    )
                    for team_id in args.reviewer_team_ids
                ],
            ),
        ),
        opts=opts,
    )
