"""infra/config/rules/session_key.py: the rotation counter and the previous key's window, as written."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.program.config.refusals import Bad, assert_refused_clearly, ids
from tools import evaluator

CASES = [
    Bad("rotation-not-a-counter", "preview", {"sessionKeyRotation": "two"}, "sessionKeyRotation", "whole number"),
    Bad(
        "window-end-malformed",
        "preview",
        {"sessionKeyRotation": "2", "sessionKeyPreviousUntil": "25/11/2026"},
        "sessionKeyPreviousUntil",
        "YYYY-MM-DD (a day in UTC)",
    ),
    Bad(
        "window-end-not-a-day",
        "preview",
        {"sessionKeyRotation": "2", "sessionKeyPreviousUntil": "2026-02-30"},
        "sessionKeyPreviousUntil",
        "YYYY-MM-DD",
    ),
    Bad(
        "window-without-a-previous-key",
        "preview",
        {"sessionKeyPreviousUntil": "2026-12-14"},
        "sessionKeyPreviousUntil",
        "at rotation 1 there is no previous key",
    ),
    # The keys before it made the window's end depend on the day the program ran: refused, with the replacement.
    Bad(
        "replaced-rotated-on",
        "preview",
        {"sessionKeyRotation": "2", "sessionKeyRotatedOn": "2026-12-07", "sessionKeyOverlapDays": "7"},
        "sessionKeyRotatedOn",
        "pulumi config set --stack preview sessionKeyPreviousUntil 2026-12-14",
    ),
    Bad("replaced-overlap-days", "preview", {"sessionKeyOverlapDays": "3"}, "sessionKeyOverlapDays", "replaced by"),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_a_bad_rotation_is_refused_clearly(run_stack: Callable[..., evaluator.Evaluation], case: Bad) -> None:
    assert_refused_clearly(run_stack, case)


def test_a_rotation_may_leave_the_previous_key_out(run_stack: Callable[..., evaluator.Evaluation]) -> None:
    evaluation = run_stack("preview", {"sessionKeyRotation": "3"})
    assert evaluation.outputs["sessionKeyRotation"] == "rotation 3; previous key not delivered"
