"""The managed repositories as GitHub answers for them, looked up once per run, and the check of their visibility.

What an environment may have depends on the repository's visibility (infra/tables/github_plans.py); the stack
declares it (`repositoryVisibility`) so that the offline plan shows exactly what will be sent, and every preview and
update checks the declaration against GitHub before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_github as github

from infra.tables.github_plans import VISIBILITY_KEY
from infra.tables.type_tokens import full_key

Gate = pulumi.Output[Sequence[pulumi.Resource]]
"""A verdict every resource waits on (`depends_on`): it resolves to no resource, or fails the registration."""


class VisibilityMismatchError(pulumi.RunError):
    """A repository's visibility on GitHub is not the one the stack declares; nothing that waits on it is written."""


def look_up(
    owner: str, repositories: Sequence[str], provider: github.Provider
) -> dict[str, pulumi.Output[github.GetRepositoryResult]]:
    """Each repository's getRepository answer (one GET /repos/{owner}/{repo} each), shared by every check."""
    invoke = pulumi.InvokeOutputOptions(provider=provider)
    return {repository: github.get_repository_output(name=repository, opts=invoke) for repository in repositories}


def visibility_verdict(
    owner: str,
    declared: str,
    found: Mapping[str, pulumi.Output[github.GetRepositoryResult]],
    before: Gate | None,
) -> Gate:
    """Resolves (to no resource, after `before`) once every repository has the declared visibility; fails otherwise.

    A repository that is not found, or that the token cannot read, is left to the shadow-secret check, which fails
    the run naming every lookup that failed (infra/components/shadow_secret_check.py); no environment can be written
    there either.
    """
    key = full_key(VISIBILITY_KEY)
    names = list(found)

    def check(args: list[Any]) -> Sequence[pulumi.Resource]:
        *answers, waited = args
        actual = {name: str(answer.visibility) for name, answer in zip(names, answers, strict=True) if answer.id}
        differing = {name: visibility for name, visibility in actual.items() if visibility != declared}
        if differing:
            shown = ", ".join(f"{owner}/{name} is {visibility}" for name, visibility in sorted(differing.items()))
            kinds = sorted(set(actual.values()))
            fix = (
                f"set {key} to {kinds[0]} (./scripts/plan then shows what the environments get on that visibility)"
                if len(kinds) == 1
                else f"a stack's repositories share one visibility ({key}): give the {kinds[0]} and the "
                f"{kinds[1]} ones stacks of their own, or change a repository's visibility"
            )
            raise VisibilityMismatchError(
                f"{shown} on GitHub, but {key} is {declared}: what the environments may have depends on it; "
                f"{fix}; nothing was written"
            )
        return list(waited or [])

    return pulumi.Output.all(*found.values(), before if before is not None else []).apply(check)
