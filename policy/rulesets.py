"""Whether a repository ruleset gates production's branches as environment reviewers would: a team's approval.

The clauses follow GitHub's ruleset schema as pulumi_github 6.15 names it (`repository_ruleset.py`,
`_inputs.py`: RepositoryRulesetConditionsRefNameArgs, RepositoryRulesetRulesPullRequestArgs, ...).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from typing import Any

from policy.walk import field, items

EVERY_PATH = frozenset({"*", "**/*", ".*", "**/.*"})
"""File patterns that together cover every path whether GitHub reads them as `.gitignore` lines (its docs) or with
Ruby's File.fnmatch and FNM_PATHNAME (its REST description says fnmatch; github/docs about-fnmatch.md: "the `*`
wildcard does not match directory separators"), where dotfiles also need their own pattern (no FNM_DOTMATCH)."""
CODEOWNERS_PATHS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
"""Where GitHub looks for CODEOWNERS, in this order; it uses the first it finds."""
_OWNER = re.compile(r"@[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)?|[^@\s]+@[^@\s]+\.[^@\s]+")


def _strings(value: Any) -> list[str]:
    return [str(item) for _, item in items(value)]


def codeowners_cover_every_file(content: str) -> bool:
    """A `*` line with an owner, and no later line taking every owner from some files (the last match wins)."""
    covered = False
    for raw in content.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        pattern, *owners = line.split()
        owned = any(_OWNER.fullmatch(owner) for owner in owners)
        if pattern == "*":
            covered = owned
        elif not owned:
            covered = False
    return covered


def codeowners_file(files: Sequence[Mapping[str, Any]], branches: Sequence[str]) -> Mapping[str, Any] | None:
    """The CODEOWNERS GitHub would read for pull requests into `branches`, among a repository's committed files."""
    on_branch = [f for f in files if field(f, "branch") in (None, "", *branches)]
    for path in CODEOWNERS_PATHS:
        for committed in on_branch:
            if field(committed, "file") == path:
                return committed
    return None


def _whole_number(value: Any) -> bool:
    """GitHub takes whole numbers here; 1.5 or True would be refused or read as something else."""
    return isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer()


def _team_reviews_every_file(pull_request: Any) -> bool:
    for _, required in items(field(pull_request, "requiredReviewers")):
        reviewer = field(required, "reviewer")
        approvals = field(required, "minimumApprovals")
        patterns = _strings(field(required, "filePatterns"))
        if (
            field(reviewer, "type") == "Team"
            and _whole_number(approvals)
            and approvals >= 1
            and set(patterns) >= EVERY_PATH
            # "A pattern starting with an exclamation mark (!) is a negation" ("Available rules for rulesets").
            and not any(pattern.startswith("!") for pattern in patterns)
        ):
            return True
    return False


def _ref_problems(ruleset: Any, branches: Sequence[str]) -> list[str]:
    ref_name = field(field(ruleset, "conditions"), "refName")
    includes = set(_strings(field(ref_name, "includes")))
    excludes = _strings(field(ref_name, "excludes"))
    problems = []
    for branch in branches:
        ref = f"refs/heads/{branch}"
        if ref not in includes:
            problems.append(f"conditions.refName.includes must name {ref}, a branch production deploys from")
        for pattern in excludes:
            # ~DEFAULT_BRANCH may be that branch; fnmatch's `*` also crosses `/`, so this errs towards refusing.
            if pattern in ("~ALL", "~DEFAULT_BRANCH") or fnmatch.fnmatchcase(ref, pattern):
                problems.append(f"conditions.refName.excludes {pattern} excludes {ref}")
    return problems


def _pull_request_problems(pull_request: Any, codeowners: Mapping[str, Any] | None) -> list[str]:
    if pull_request is None:
        return ["rules.pullRequest is required: every change reaches a production branch through a pull request"]
    problems = []
    count = field(pull_request, "requiredApprovingReviewCount")
    if not _whole_number(count) or count < 1:
        problems.append(
            "rules.pullRequest.requiredApprovingReviewCount must be 1 or more: at least one approving review"
        )
    if field(pull_request, "dismissStaleReviewsOnPush") is not True:
        problems.append(
            "rules.pullRequest.dismissStaleReviewsOnPush must be true, to dismiss stale approvals on a push"
        )
    if field(pull_request, "requireLastPushApproval") is not True:
        problems.append("rules.pullRequest.requireLastPushApproval must be true: someone else approves the last push")
    code_owned = (
        field(pull_request, "requireCodeOwnerReview") is True
        and codeowners is not None
        and codeowners_cover_every_file(str(field(codeowners, "content") or ""))
    )
    if not (_team_reviews_every_file(pull_request) or code_owned):
        problems.append(
            "the pull request rule must require a team's approval of every file: a requiredReviewers entry whose "
            f"reviewer.type is Team, with minimumApprovals 1 or more and filePatterns {', '.join(sorted(EVERY_PATH))} "
            "and no negation, or "
            "requireCodeOwnerReview with a CODEOWNERS file (.github/CODEOWNERS, CODEOWNERS or docs/CODEOWNERS) "
            "whose `*` line names an owner; requireCodeOwnerReview without that file requires nothing"
        )
    return problems


def ruleset_problems(ruleset: Any, branches: Sequence[str], codeowners: Mapping[str, Any] | None) -> list[str]:
    """Why `ruleset` does not gate `branches` with a team's approval; empty when it does."""
    problems = []
    if (target := field(ruleset, "target")) != "branch":
        problems.append(f"target branch, not {target}")
    if (enforcement := field(ruleset, "enforcement")) != "active":
        problems.append(f"enforcement active, not {enforcement}")
    if actors := list(items(field(ruleset, "bypassActors"))):
        problems.append(f"no bypass actors ({len(actors)} listed): each could push or merge without the review")
    problems += _ref_problems(ruleset, branches)
    rules = field(ruleset, "rules")
    if field(rules, "deletion") is not True:
        problems.append("rules.deletion must be true: nobody deletes a production branch")
    if field(rules, "nonFastForward") is not True:
        problems.append("rules.nonFastForward must be true: no force pushes to a production branch")
    if field(rules, "creation") is not True:
        # A pull-request rule binds only an existing branch: without it, anyone who can push creates a production
        # branch that does not exist yet with any content ("Restrict creations", "Available rules for rulesets").
        problems.append("rules.creation must be true: only a bypass actor (nobody) creates a production branch")
    problems += _pull_request_problems(field(rules, "pullRequest"), codeowners)
    return problems
