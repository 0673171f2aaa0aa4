"""The benchmarks' floor (bench/replay.py) registers exactly the program's custom resources, secrets kept secret."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from pulumi.runtime.rpc import is_rpc_secret

from bench import replay
from tests.helpers import STACKS
from tools import evaluator


def custom_states(evaluation: evaluator.Evaluation) -> dict[str, dict[str, object]]:
    return {
        evaluator.resource_type(urn).split("$")[-1] + "::" + evaluator.resource_name(urn): dict(r.state)
        for urn, r in evaluation.resources.items()
        if urn in evaluation.inputs and (urn not in evaluation.options or evaluation.options[urn].custom)
    }


def invoke_calls(evaluation: evaluator.Evaluation) -> Counter[str]:
    """Each provider function called, with its arguments, and how often: a multiset, since the SDK's threads
    send invokes in whatever order they get to them."""
    return Counter(json.dumps([invoke.token, invoke.args], sort_keys=True) for invoke in evaluation.invokes)


@pytest.mark.parametrize("stack", STACKS)
def test_the_replay_registers_what_the_program_registered(
    evaluated: dict[str, evaluator.Evaluation], production_reference: dict[str, dict[str, object]], stack: str
) -> None:
    program = evaluated[stack]
    recording = json.loads(json.dumps(replay.record(program)))  # as the benchmark stores it
    floor = evaluator.run_program(lambda: replay.replay(recording), stack, stack_outputs=production_reference)
    assert custom_states(floor) == custom_states(program)
    assert invoke_calls(floor) == invoke_calls(program)
    assert floor.outputs == program.outputs
    secrets = [urn for urn in floor.urns("github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret")]
    assert secrets
    assert all(is_rpc_secret(floor.resources[urn].state["value"]) for urn in secrets)
    components = [urn for urn, options in floor.options.items() if not options.custom]
    assert [evaluator.resource_type(urn) for urn in components] == ["pulumi:pulumi:Stack"]  # none of ours
