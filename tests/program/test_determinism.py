"""One commit declares the same resources on any day: the program reads no clock."""

from __future__ import annotations

import ast
import datetime
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import time_machine
from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret

from tools import evaluator

PROGRAM = [evaluator.MAIN, *sorted((evaluator.ROOT / "infra").rglob("*.py"))]
CLOCK_CALLS = {"today", "now", "utcnow", "time", "time_ns", "localtime", "gmtime", "monotonic", "perf_counter"}
"""Attribute calls that read the clock (`date.today()`, `datetime.now()`, `time.time()`, ...)."""
ROTATED = {"sessionKeyRotation": "2", "sessionKeyPreviousUntil": "2026-12-14"}


def plain(value: Any) -> Any:
    if is_rpc_secret(value):
        return {"secret": plain(unwrap_rpc_secret(value))}
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def declared(evaluation: evaluator.Evaluation) -> dict[str, str]:
    """Every registration's inputs (secrets unwrapped), and the outputs, as comparable text."""
    found = {urn: json.dumps(plain(inputs), sort_keys=True, default=str) for urn, inputs in evaluation.inputs.items()}
    found["outputs"] = json.dumps(plain(evaluation.outputs), sort_keys=True, default=str)
    return found


@pytest.mark.parametrize("stack", ["preview", "production"])
def test_a_rotated_stack_declares_the_same_resources_before_during_and_after_its_window(
    run_stack: Callable[..., evaluator.Evaluation], stack: str
) -> None:
    days = [
        datetime.datetime(2026, 12, 1, 9, tzinfo=datetime.UTC),
        datetime.datetime(2027, 3, 1, 23, tzinfo=datetime.UTC),
    ]
    evaluations = []
    for day in days:
        with time_machine.travel(day, tick=False):
            evaluations.append(declared(run_stack(stack, ROTATED)))
    assert evaluations[0] == evaluations[1]
    assert "SESSION_SECRET_KEY_PREVIOUS" in " ".join(evaluations[1])


@pytest.mark.parametrize("path", PROGRAM, ids=lambda path: str(Path(path).relative_to(evaluator.ROOT)))
def test_no_module_of_the_program_reads_the_clock(path: Path) -> None:
    # infra/collector.py times nothing; the migration's dynamic provider runs at `pulumi up`, not in the program's
    # declaration, and its module (infra/migration.py) declares nothing.
    tree = ast.parse(Path(path).read_text())
    calls = [
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in CLOCK_CALLS
    ]
    assert calls == []
