"""The mock-runtime evaluator itself: a failed program is reported once, through ProgramFailedError only."""

from __future__ import annotations

import asyncio
import gc
import logging
import warnings
from collections.abc import Callable
from pathlib import Path

import pulumi
import pulumi_random
import pytest
from pulumi.runtime.rpc import is_rpc_secret

from tests.fakes import fake_secrets, secret_part
from tools import evaluator


class WrongInputError(ValueError):
    pass


def refuse(_: object) -> str:
    raise WrongInputError("refused on purpose")


def program_failing_mid_graph() -> None:
    # Registered resources depend on the failing value, as the production guard's secrets do.
    refused = pulumi.Output.from_input("value").apply(refuse)
    first = pulumi.CustomResource("test:index:Thing", "first", {"value": refused})
    pulumi.CustomResource("test:index:Thing", "second", {"value": refused, "after": first.id})


@pytest.mark.slow
def test_a_failed_program_leaves_no_unretrieved_exception_behind(caplog: pytest.LogCaptureFixture) -> None:
    # The first run in a process creates the event loop, whose handles keep that run's context alive.
    evaluator.run_program(lambda: None, "preview")
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        with pytest.raises(evaluator.ProgramFailedError, match="refused on purpose"):
            evaluator.run_program(program_failing_mid_graph, "preview")
        # The runtime holds the failed run's outputs until the next run starts; collecting them is
        # when asyncio logs each exception nothing read (left to chance: after pytest's summary).
        evaluator.run_program(lambda: None, "preview")
        gc.collect()
    assert [record.getMessage() for record in caplog.records if record.name == "asyncio"] == []


def test_a_stack_stopped_by_the_guard_leaves_no_unretrieved_exception_behind(
    run_stack: Callable[..., evaluator.Evaluation], caplog: pytest.LogCaptureFixture
) -> None:
    # The guard's verdict gates every resource: hundreds of registrations fail loop iterations after
    # the program has, and would fail during whatever next runs the loop, with nothing to read them.
    production_app = fake_secrets("production")["databaseUrl"].replace(
        secret_part("databaseUrl", "production"), secret_part("databaseUrl", "staging")
    )
    evaluator.run_program(lambda: None, "preview")
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        with pytest.raises(evaluator.ProgramFailedError, match="points at a database of"):
            run_stack("staging", {"databaseUrl": production_app})
        assert [task for task in asyncio.all_tasks(asyncio.get_event_loop()) if not task.done()] == []
        evaluator.run_program(lambda: None, "preview")
        gc.collect()
    assert [record.getMessage() for record in caplog.records if record.name == "asyncio"] == []


def program_whose_output_fails_before_its_value() -> None:
    # As StackReference.get_output builds its Output: from another Output's value and known-ness
    # coroutines, which the data task awaits only after the resources, here failing first.
    async def failing_resources() -> set[pulumi.Resource]:
        raise WrongInputError("refused on purpose")

    value = pulumi.Output.from_input("value")
    read = pulumi.Output(failing_resources(), value.future(), value.is_known())
    pulumi.CustomResource("test:index:Thing", "reader", {"value": read})


@pytest.mark.slow
def test_a_failed_program_leaves_no_coroutine_unawaited() -> None:
    evaluator.run_program(lambda: None, "preview")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(evaluator.ProgramFailedError, match="refused on purpose"):
            evaluator.run_program(program_whose_output_fails_before_its_value, "preview")
        # The runtime lets go of the failed run's outputs when the next run starts.
        evaluator.run_program(lambda: None, "preview")
        gc.collect()
    assert [str(warning.message) for warning in caught if "never awaited" in str(warning.message)] == []


@pytest.mark.slow
def test_two_resources_under_one_urn_fail_as_the_engine_would() -> None:
    def program() -> None:
        pulumi_random.RandomPassword("same", length=8)
        pulumi_random.RandomPassword("same", length=9)

    with pytest.raises(evaluator.ProgramFailedError, match="Duplicate resource URN"):
        evaluator.run_program(program, "preview")


def test_what_a_component_registers_as_outputs_is_recorded() -> None:
    def program() -> None:
        component = pulumi.ComponentResource("test:index:Component", "component")
        component.register_outputs({"plain": "shown", "hidden": pulumi.Output.secret("kept")})

    evaluation = evaluator.run_program(program, "preview")
    (urn,) = (urn for urn in evaluation.registered_outputs if urn.endswith("::component"))
    recorded = evaluation.registered_outputs[urn]
    assert recorded["plain"] == "shown"
    assert is_rpc_secret(recorded["hidden"])


@pytest.mark.stack_files
def test_unknown_stack_file_names_the_known_stacks(stack_dir: Path) -> None:
    with pytest.raises(
        FileNotFoundError, match=r"no stack file Pulumi\.qa\.yaml.*known stacks: preview, production, staging$"
    ):
        evaluator.stack_config("qa", stack_dir)
