"""infra/config/rules/production_stack.py: the stack the production-database guard compares with."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.program.config.refusals import Bad, assert_refused_clearly, ids
from tools import evaluator

CASES = [
    Bad(
        "production-stack-not-a-name",
        "staging",
        {"productionStack": "prod stack!"},
        "productionStack",
        "not a stack name",
    ),
    Bad(
        "production-stack-in-production",
        "production",
        {"productionStack": "organization/tenantguard-infra/production"},
        "productionStack",
        "only read by tiers",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_a_bad_production_stack_is_refused_clearly(run_stack: Callable[..., evaluator.Evaluation], case: Bad) -> None:
    assert_refused_clearly(run_stack, case)
