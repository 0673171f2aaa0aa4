"""What the names derived from the base database (CI_DB_URL's) are made of: pull requests, their numbers and
repository ids, the suffixes, PostgreSQL's identifier limit; and which pull requests list and prune see."""

from __future__ import annotations

import re
from dataclasses import dataclass

PR_INFIX = "_pr_"
TEMPLATE_SUFFIX = "_pr_template"
TEMPLATE_BUILD_SUFFIX = "_pr_template_next"
MAX_IDENTIFIER_BYTES = 63  # PostgreSQL's NAMEDATALEN - 1: longer names are silently truncated
MAX_PR = 2**31 - 1  # a legacy name's advisory lock takes the number as its int4 second key
# GitHub's REST API schema types a repository's `id` as an int64 (github/rest-api-description, schemas
# `repository` and `simple-repository`: integer, format int64); `github.repository_id` is that id. Accept every
# value it can take, so ids growing past 2^31 keep working.
MAX_REPOSITORY_ID = 2**63 - 1
# The longest name derived from the base: <base>_pr_<repository id>_<number>, both at their longest.
LONGEST_PR_SUFFIX = f"{PR_INFIX}{MAX_REPOSITORY_ID}_{MAX_PR}"
MAX_BASE_BYTES = MAX_IDENTIFIER_BYTES - max(len(TEMPLATE_BUILD_SUFFIX), len(LONGEST_PR_SUFFIX))
# The exact spellings accepted: ASCII digits, no sign, no leading zero (what the names are built from, and read back).
PR_NUMBER_PATTERN = re.compile(r"[1-9][0-9]{0,9}")
REPOSITORY_ID_PATTERN = re.compile(r"[1-9][0-9]{0,18}")
REPOSITORY_PR_PATTERN = re.compile(r"([1-9][0-9]{0,18})_([1-9][0-9]{0,9})")
BASE_NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class PullRequest:
    """A pull request of one repository; `repository` None stands for a legacy name, made before repository
    ids were part of the names (`<base>_pr_<number>`): which repository it belongs to is unknown."""

    repository: int | None
    number: int

    def __str__(self) -> str:
        if self.repository is None:
            return f"pull request {self.number} (legacy name, repository unknown)"
        return f"pull request {self.number} of repository {self.repository}"

    def sort_key(self) -> tuple[int, int]:
        return (self.repository or 0, self.number)


@dataclass(frozen=True)
class Scope:
    """Which pull requests list and prune see: one repository's, the legacy names' only, or (neither) all."""

    repository: int | None = None
    legacy: bool = False

    def covers(self, pr: PullRequest) -> bool:
        if self.legacy:
            return pr.repository is None
        return self.repository is None or pr.repository == self.repository
