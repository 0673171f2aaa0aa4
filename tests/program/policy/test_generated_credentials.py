"""The policy pack over stacks generating their database credentials: the roles, grants and composed URLs pass."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.fakes import generated_overrides, stack_values
from tests.program.policy.harness import evaluation_violations
from tools import evaluator


@pytest.mark.parametrize("stack", ["preview", "staging", "production"])
def test_every_resource_of_a_generating_stack_passes(
    run_stack: Callable[..., evaluator.Evaluation], stack: str
) -> None:
    overrides = generated_overrides(stack, rotation=2)
    values, _ = stack_values(stack, overrides)
    assert evaluation_violations(run_stack(stack, overrides), values) == {}
