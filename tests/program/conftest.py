"""Fixtures: each stack's real program with its own stack file and distinctive fake secrets, under Pulumi's mocks."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.fakes import PRODUCTION_STACK_NAME, stack_values
from tools import evaluator

STACKS = ("preview", "staging", "production")


def production_outputs() -> dict[str, dict[str, Any]]:
    """What the production stack exports, as non-production stacks read it through a StackReference."""
    production = evaluator.evaluate("production", *stack_values("production"))
    return {PRODUCTION_STACK_NAME: dict(production.outputs)}


@pytest.fixture(scope="session")
def production_reference() -> dict[str, dict[str, Any]]:
    return production_outputs()


@pytest.fixture(scope="session")
def evaluated(production_reference: dict[str, dict[str, Any]]) -> dict[str, evaluator.Evaluation]:
    """Every stack's real program with its own stack file, evaluated once for the session."""
    return {
        stack: evaluator.evaluate(
            stack, *stack_values(stack), stack_outputs=production_reference, log_level=logging.DEBUG
        )
        for stack in STACKS
    }


@pytest.fixture
def run_stack(production_reference: dict[str, dict[str, Any]]) -> Callable[..., evaluator.Evaluation]:
    """Evaluate one stack with config overrides (None removes a key).

    `plaintext=(keys)` stores secret keys unencrypted, `encrypted=(keys)` stores other keys encrypted.
    """

    def run(stack: str, overrides: Mapping[str, str | None] | None = None, **kwargs: Any) -> evaluator.Evaluation:
        values, secret = stack_values(stack, overrides)
        secret -= set(kwargs.pop("plaintext", ()))
        secret |= set(kwargs.pop("encrypted", ()))
        kwargs.setdefault("stack_outputs", production_reference)
        kwargs.setdefault("log_level", logging.DEBUG)
        return evaluator.evaluate(stack, values, secret, **kwargs)

    return run


@pytest.fixture
def stack_dir(tmp_path: Path) -> Path:
    """A copy of the three stack files to change or add to."""
    for stack in STACKS:
        shutil.copy(evaluator.stack_file(stack), tmp_path)
    return tmp_path
