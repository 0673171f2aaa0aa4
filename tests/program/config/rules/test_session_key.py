"""infra/config/rules/session_key.py: the rotation counter, its date and the overlap window."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.program.config.refusals import Bad, assert_refused_clearly, ids
from tools import evaluator

CASES = [
    Bad("rotation-not-a-counter", "preview", {"sessionKeyRotation": "two"}, "sessionKeyRotation", "whole number"),
    Bad("rotation-without-a-date", "preview", {"sessionKeyRotation": "2"}, "sessionKeyRotatedOn", "is required"),
    Bad(
        "rotation-date-malformed",
        "preview",
        {"sessionKeyRotation": "2", "sessionKeyRotatedOn": "25/11/2026"},
        "sessionKeyRotatedOn",
        "YYYY-MM-DD",
    ),
    Bad(
        "rotation-date-in-the-future",
        "preview",
        {"sessionKeyRotation": "2", "sessionKeyRotatedOn": "2999-01-01"},
        "sessionKeyRotatedOn",
        "in the future",
    ),
    Bad("overlap-too-long", "preview", {"sessionKeyOverlapDays": "365"}, "sessionKeyOverlapDays", "between 0 and 90"),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_a_bad_rotation_is_refused_clearly(run_stack: Callable[..., evaluator.Evaluation], case: Bad) -> None:
    assert_refused_clearly(run_stack, case)
