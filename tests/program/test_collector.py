"""The program keeps the cyclic collector off in its process and skips it at exit; the evaluator isolates that."""

from __future__ import annotations

import atexit
import gc
import subprocess
import sys

import pytest

from infra import collector
from tests.fakes import stack_values
from tools import evaluator

AS_PULUMI_RUNS_IT = """
import atexit, gc
# Registered before the program's handler, so it runs after it (atexit is last in, first out).
atexit.register(lambda: print("frozen at exit:", gc.get_freeze_count() > 0, flush=True))
from tools import evaluator
from tests.fakes import stack_values
print("enabled before:", gc.isenabled())
evaluator.evaluate("production", *stack_values("production"), restore_gc=False)
print("enabled after:", gc.isenabled())
print("frozen before exit:", gc.get_freeze_count() > 0)
"""


@pytest.mark.slow
def test_in_the_process_pulumi_runs_the_collector_stays_off_and_is_frozen_only_at_exit() -> None:
    result = subprocess.run(
        [sys.executable, "-c", AS_PULUMI_RUNS_IT], cwd=evaluator.ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines() == [
        "enabled before: True",
        "enabled after: False",
        "frozen before exit: False",
        "frozen at exit: True",
    ]


def test_an_evaluation_gives_the_caller_its_collector_back() -> None:
    assert gc.isenabled()
    thresholds = gc.get_threshold()
    evaluator.evaluate("production", *stack_values("production"))
    assert gc.isenabled()
    assert gc.get_threshold() == thresholds


def test_the_exit_freeze_is_registered_once_however_often_the_program_runs() -> None:
    collector.off_until_exit()
    registered = atexit._ncallbacks()
    try:
        collector.off_until_exit()
        evaluator.evaluate("production", *stack_values("production"))
    finally:
        gc.enable()
    assert atexit._ncallbacks() == registered
