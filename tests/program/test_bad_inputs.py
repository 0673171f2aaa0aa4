"""Bad configurations, as data: each fails with a message naming its key, no secret in it, nothing registered."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.program.config.refusals import Bad, assert_refused_clearly, ids
from tools import evaluator

CASES = [
    Bad(
        "legacy-name-with-newline",
        "preview",
        {"legacySecretNames": '["DB_URL\\n"]'},
        "legacySecretNames",
        "not a valid",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_bad_configuration_is_refused_clearly(run_stack: Callable[..., evaluator.Evaluation], case: Bad) -> None:
    assert_refused_clearly(run_stack, case)
