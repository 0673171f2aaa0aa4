"""docs/how-to/rotate-session-key.md, run as written: its config lines applied to the real staging program, its plan
lines and its `date` expression run for real."""

from __future__ import annotations

import datetime
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret

from infra.tables import type_tokens as types
from tests import runbooks
from tests.program.runbooks import harness
from tools import evaluator

pytestmark = pytest.mark.slow

Run = Callable[..., evaluator.Evaluation]
PAGE = "how-to/rotate-session-key.md"
ROTATE = "Rotate the session key"
RETIRE = "Retire the previous session key"
STACK = "staging"
PLAN = f"./scripts/plan --stack {STACK}"
OVERRIDDEN = ("sessionKeyRotation", "sessionKeyPreviousUntil")


def shell_value(value: str | None) -> str | None:
    """A value as the operator's bash leaves it: `"$(date ...)"` run for real."""
    if value is None or not value.startswith("$("):
        return value
    return subprocess.run(["bash", "-c", f'printf %s "{value}"'], capture_output=True, text=True, check=True).stdout


def expanded(changes: list[runbooks.ConfigChange]) -> list[runbooks.ConfigChange]:
    return [
        runbooks.ConfigChange(c.stack, c.key, shell_value(c.value), c.secret, c.path, c.verb, c.stdin, c.directory)
        for c in changes
    ]


def after(changes: list[runbooks.ConfigChange], values: dict[str, str] | None = None) -> dict[str, str | None]:
    applied = runbooks.applied(expanded(changes), values or {}, {})
    return {key: applied.get(key) for key in OVERRIDDEN}


def vercel(evaluation: evaluator.Evaluation) -> dict[str, object]:
    """Each Vercel variable's value, by name."""
    found = {}
    for state in evaluation.named(types.VERCEL_VARIABLE).values():
        value = state["value"]
        found[str(state["key"])] = unwrap_rpc_secret(value) if is_rpc_secret(value) else value
    return found


def rotation_changes() -> list[runbooks.ConfigChange]:
    lines = runbooks.commands(PAGE, "Steps", ROTATE)
    assert harness.unknown(lines, PLAN) == []
    return harness.changes(PAGE, ROTATE, STACK)


def test_the_window_s_last_day_is_a_utc_day_seven_days_ahead() -> None:
    (_, window) = rotation_changes()
    day = shell_value(window.value)
    assert day is not None
    assert datetime.date.fromisoformat(day) == datetime.datetime.now(datetime.UTC).date() + datetime.timedelta(days=7)


def test_a_rotation_adds_a_key_and_keeps_the_previous_one_beside_it(run_stack: Run) -> None:
    before = run_stack(STACK)
    rotated = run_stack(STACK, after(rotation_changes()))

    assert harness.difference(before, rotated).names() == {
        "added": ["generated-session-key-even", "vercel-SESSION_SECRET_KEY_PREVIOUS"],
        "removed": [],
        "changed": ["vercel-SESSION_SECRET_KEY"],
    }
    old, new = vercel(before), vercel(rotated)
    assert new["SESSION_SECRET_KEY_PREVIOUS"] == old["SESSION_SECRET_KEY"]
    assert new["SESSION_SECRET_KEY"] != old["SESSION_SECRET_KEY"]
    variables = {state["key"]: state for state in rotated.named(types.VERCEL_VARIABLE).values()}
    current, previous = variables["SESSION_SECRET_KEY"], variables["SESSION_SECRET_KEY_PREVIOUS"]
    assert (previous["targets"], previous.get("gitBranch"), previous["sensitive"]) == (
        current["targets"],
        current.get("gitBranch"),
        True,
    )


def test_the_previous_key_stays_after_its_day_until_the_window_is_removed(run_stack: Run) -> None:
    # The program reads no clock: a window that ended long ago still delivers the previous key.
    passed = run_stack(STACK, {"sessionKeyRotation": "2", "sessionKeyPreviousUntil": "2020-01-31"})
    assert "SESSION_SECRET_KEY_PREVIOUS" in vercel(passed)


def test_the_plan_lines_of_a_rotation_show_the_new_rotation_and_its_window(stack_dir: Path) -> None:
    changes = expanded(rotation_changes())
    status, before = harness.run_plan(PLAN, stack_dir)
    assert status == 0, before
    assert "session key: rotation 1; no previous key" in before

    harness.apply_to_stack_file(stack_dir, STACK, changes)
    assert runbooks.commands(PAGE, "Verify", ROTATE) == [PLAN]
    status, output = harness.run_plan(PLAN, stack_dir)
    assert status == 0, output
    assert f"session key: rotation 2; previous key delivered until {changes[1].value} (UTC)" in output
    rows = {line.split()[0]: line.split()[-1] for line in output.splitlines() if line.startswith("SESSION_SECRET_KEY")}
    assert rows == {
        "SESSION_SECRET_KEY": f"vercel:preview@{STACK}",
        "SESSION_SECRET_KEY_PREVIOUS": f"vercel:preview@{STACK}",
    }


def test_backing_out_a_rotation_brings_the_old_key_back_unchanged(run_stack: Run) -> None:
    rotated_values = after(rotation_changes())
    back_lines = runbooks.commands(PAGE, "Back out", ROTATE)
    assert harness.unknown(back_lines) == []
    backed_out = after(runbooks.config_changes(back_lines, STACK), {k: v for k, v in rotated_values.items() if v})

    before = run_stack(STACK)
    back = run_stack(STACK, backed_out)
    assert harness.difference(before, back).names() == {"added": [], "removed": [], "changed": []}
    assert vercel(back)["SESSION_SECRET_KEY"] == vercel(before)["SESSION_SECRET_KEY"]


def test_the_plan_says_when_the_window_has_passed_and_names_the_retirement(stack_dir: Path) -> None:
    yesterday = datetime.datetime.now(datetime.UTC).date() - datetime.timedelta(days=1)
    harness.write(stack_dir, STACK, {"sessionKeyRotation": "2", "sessionKeyPreviousUntil": yesterday.isoformat()})
    status, output = harness.run_plan(PLAN, stack_dir)
    assert status == 0, output
    said = " ".join(output.split())
    assert f"its window ended on {yesterday.isoformat()}: retire the previous key in a reviewed change" in said
    assert f"docs/{PAGE}#{runbooks.anchor(RETIRE)}" in said


def retirement_changes() -> list[runbooks.ConfigChange]:
    lines = runbooks.commands(PAGE, "Steps", RETIRE)
    assert harness.unknown(lines, PLAN) == []
    return harness.changes(PAGE, RETIRE, STACK)


ROTATED = {"sessionKeyRotation": "2", "sessionKeyPreviousUntil": "2026-12-14"}


def test_retiring_deletes_only_the_previous_key_s_variable(run_stack: Run) -> None:
    rotated = run_stack(STACK, ROTATED)
    retired = run_stack(STACK, after(retirement_changes(), ROTATED))
    assert harness.difference(rotated, retired).names() == {
        "added": [],
        "removed": ["vercel-SESSION_SECRET_KEY_PREVIOUS"],
        "changed": [],
    }


def test_the_plan_line_of_a_retirement_shows_the_previous_key_gone(stack_dir: Path) -> None:
    harness.write(stack_dir, STACK, ROTATED)
    harness.apply_to_stack_file(stack_dir, STACK, retirement_changes())
    assert runbooks.commands(PAGE, "Verify", RETIRE) == [PLAN]
    status, output = harness.run_plan(PLAN, stack_dir)
    assert status == 0, output
    assert "session key: rotation 2; previous key not delivered" in output
    row = next(line for line in output.splitlines() if line.startswith("SESSION_SECRET_KEY_PREVIOUS"))
    assert row.split()[-1] == "-"


def test_backing_out_a_retirement_delivers_the_same_previous_key_again(run_stack: Run) -> None:
    rotated = run_stack(STACK, ROTATED)
    retired_values = after(retirement_changes(), ROTATED)
    back_lines = runbooks.commands(PAGE, "Back out", RETIRE)
    assert harness.unknown(back_lines) == []
    back = run_stack(
        STACK, after(runbooks.config_changes(back_lines, STACK), {k: v for k, v in retired_values.items() if v})
    )
    assert vercel(back)["SESSION_SECRET_KEY_PREVIOUS"] == vercel(rotated)["SESSION_SECRET_KEY_PREVIOUS"]
