"""infra/config/rules/names.py: what a branch name may hold."""

from __future__ import annotations

import pytest

from infra.config.rules.names import BRANCH


@pytest.mark.parametrize("branch", ["main", "staging", "release/2026-12", "feature/*", "v1.2_rc-3", "a!b@c#d"])
def test_a_branch_name_in_printable_ascii_is_accepted(branch: str) -> None:
    assert BRANCH.fullmatch(branch)


@pytest.mark.parametrize(
    "branch",
    [
        "m\u0430in",  # Cyrillic a: looks like main, is another branch, which anyone who may push can create
        "st\u0430ging",
        "st\u009b31mRED",  # a C1 control (CSI) rewrites the terminal the text plan is read in
        "ma\u200bin",  # zero-width space
        "main\u202e",
        "ma\uff49n",  # fullwidth i
    ],
)
def test_a_branch_name_outside_printable_ascii_is_refused(branch: str) -> None:
    assert not BRANCH.fullmatch(branch)
