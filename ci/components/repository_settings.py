"""This repository's own settings the workflows depend on: its variables, and the ruleset that protects main."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_github as github


@dataclass(frozen=True)
class RepositorySettingsArgs:
    repository: str
    variables: Mapping[str, pulumi.Input[str]]
    """Repository variables (`vars.NAME` in every job): the backend URL, the AWS region, the runner labels."""


class RepositorySettings(pulumi.ComponentResource):
    """Deploys and drift checks run main's code with each stack's key: main takes only changes its code owners
    approved (`.github/CODEOWNERS`, production's reviewer teams; tests/static/test_codeowners.py keeps them equal).

    The ruleset: a pull request approved by a code owner, stale approvals dismissed on push, the last push approved
    by someone else, no force push, no deletion, no bypass actors (so nobody bypasses it: admins are only "eligible
    for bypass" when listed, github/docs data/reusables/repositories/rulesets-bypass-step.md). Rulesets on a private
    repository need Pro, Team or Enterprise (infra/tables/github_plans.py); ci/config.py refuses a plan without them.
    """

    def __init__(self, name: str, args: RepositorySettingsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("tenantguard:repository_settings:RepositorySettings", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        for variable, value in args.variables.items():
            github.ActionsVariable(
                f"{name}-var-{variable}",
                repository=args.repository,
                variable_name=variable,
                value=value,
                opts=child,
            )
        github.RepositoryRuleset(
            f"{name}-main",
            repository=args.repository,
            name="main: code-owner review",
            target="branch",
            enforcement="active",
            conditions=github.RepositoryRulesetConditionsArgs(
                ref_name=github.RepositoryRulesetConditionsRefNameArgs(
                    includes=["~DEFAULT_BRANCH", "refs/heads/main"], excludes=[]
                )
            ),
            rules=github.RepositoryRulesetRulesArgs(
                deletion=True,
                non_fast_forward=True,
                pull_request=github.RepositoryRulesetRulesPullRequestArgs(
                    required_approving_review_count=1,
                    require_code_owner_review=True,
                    dismiss_stale_reviews_on_push=True,
                    require_last_push_approval=True,
                ),
            ),
            opts=child,
        )
        self.register_outputs({})
