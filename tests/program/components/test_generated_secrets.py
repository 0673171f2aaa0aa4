"""infra/components/generated_secrets.py: GeneratedSecrets on its own, and what the whole stack lets out of it."""

from __future__ import annotations

from collections.abc import Callable

import pulumi
from pulumi.runtime.rpc import is_rpc_secret

from infra.components.generated_secrets import (
    CURRENT,
    PREVIOUS,
    SESSION_KEY_LENGTH,
    GeneratedSecrets,
    GeneratedSecretsArgs,
)
from infra.tables import type_tokens as types
from tests.helpers import plain_strings
from tools import evaluator

CONSUMER = "test:index:Consumer"
MOCK_PREFIX = "RandomGen"
"""How the offline mocks begin every generated value (tools/evaluator.py OfflineMocks)."""


def generated_with_a_consumer(rotation: int) -> evaluator.Evaluation:
    """The component alone, inside its overlap window, its values passed on as the Vercel variables take them."""

    def program() -> None:
        generated = GeneratedSecrets("generated", GeneratedSecretsArgs(rotation=rotation, deliver_previous=True))
        # The consumer's recorded inputs are what the engine would receive, secret flag included.
        pulumi.CustomResource(CONSUMER, "consumer", dict(generated.by_source()))

    return evaluator.run_program(program, "preview")


def test_every_key_it_hands_out_is_a_secret() -> None:
    (consumer,) = generated_with_a_consumer(rotation=2).named(CONSUMER).values()
    assert set(consumer) == {CURRENT, PREVIOUS}
    assert all(is_rpc_secret(value) for value in consumer.values())


def test_each_key_is_declared_as_64_letters_and_digits() -> None:
    evaluation = generated_with_a_consumer(rotation=2)
    inputs = {evaluator.resource_name(urn): evaluation.inputs[urn] for urn in evaluation.urns(types.RANDOM_PASSWORD)}
    assert SESSION_KEY_LENGTH == 64
    # upper, lower and numeric keep pulumi-random's default (true): 62 symbols, about 381 bits.
    assert inputs == {
        "generated-session-key": {"length": 64, "special": False, "keepers": {"rotation": "1"}},
        "generated-session-key-even": {"length": 64, "special": False, "keepers": {"rotation": "2"}},
    }


def test_no_generated_value_appears_in_plaintext_outputs(run_stack: Callable[..., evaluator.Evaluation]) -> None:
    # Rotated, the previous key still delivered: both keys are generated and delivered.
    evaluation = run_stack("preview", {"sessionKeyRotation": "2", "sessionKeyPreviousUntil": "2026-12-14"})
    generated = {password["result"] for password in evaluation.named(types.RANDOM_PASSWORD).values()}
    assert len(generated) == 2
    # Any 16 characters of a key's random part (after the mock's "RandomGen") count as a leak.
    pieces = {value[start : start + 16] for value in generated for start in range(len(MOCK_PREFIX), len(value) - 15)}
    texts = [*plain_strings(evaluation.outputs), *plain_strings(evaluation.registered_outputs)]
    assert texts  # outputs were read, so this can fail
    assert not [text for text in texts if any(piece in text for piece in pieces)]
