"""infra/guard/production_database.py, whole values: production fingerprints each value it distributes that names a
host, and the other stacks may not hand out the very same value, whatever its shape."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from infra.guard.production_database import VALUE_FINGERPRINTS_OUTPUT, value_fingerprint
from infra.tables.type_tokens import STACK_REFERENCE
from tests.fakes import PRODUCTION_STACK_NAME, fake_secrets, secret_part, stack_values
from tests.helpers import assert_no_secret
from tools import evaluator

FINGERPRINT_KEY = fake_secrets("production")["dbFingerprintKey"]


def registered_besides_the_reference(failure: pytest.ExceptionInfo[evaluator.ProgramFailedError]) -> list[str]:
    return [urn for urn in failure.value.resources if evaluator.resource_type(urn) != STACK_REFERENCE]


def extras(**values: str) -> dict[str, str]:
    return {"extraSecrets": json.dumps(values)}


# Production's values in shapes the guard does not parse: a value naming a host is fingerprinted whole, and the other
# stacks may not hand out the very same value.
MQ_URL = f"amqp://reporting:{secret_part('ciDbUrl', 'production')}@mq.production.internal:5672/reports"


@pytest.fixture(scope="module")
def production_with_a_queue() -> dict[str, dict[str, Any]]:
    llm_key = json.loads(fake_secrets("production")["extraSecrets"])["OPENAI_API_KEY"]
    overrides = extras(OPENAI_API_KEY=llm_key, REPORTING_MQ=MQ_URL)
    production = evaluator.evaluate("production", *stack_values("production", overrides))
    return {PRODUCTION_STACK_NAME: dict(production.outputs)}


@pytest.mark.parametrize("key", ["extraSecrets.REPORTING_MQ", "redisUrl"])
def test_a_value_production_distributes_that_names_a_host_is_refused_verbatim_elsewhere(
    run_stack: Callable[..., evaluator.Evaluation], production_with_a_queue: dict[str, dict[str, Any]], key: str
) -> None:
    value = MQ_URL if key.startswith("extraSecrets") else fake_secrets("production")["redisUrl"]
    overrides = extras(REPORTING_MQ=value) if key.startswith("extraSecrets") else {"redisUrl": value}
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack("staging", overrides, stack_outputs=production_with_a_queue)
    message = str(failure.value)
    reused = f"tenantguard-infra:{key} holds the very value {PRODUCTION_STACK_NAME} distributes as tenantguard-infra:"
    assert reused in message
    assert_no_secret("staging", [message, *failure.value.logs])
    assert "mq.production.internal" not in message
    assert registered_besides_the_reference(failure) == []


def test_a_value_like_production_s_with_a_secret_of_its_own_is_delivered(
    run_stack: Callable[..., evaluator.Evaluation], production_with_a_queue: dict[str, dict[str, Any]]
) -> None:
    own = MQ_URL.replace(secret_part("ciDbUrl", "production"), secret_part("ciDbUrl", "staging"))
    evaluation = run_stack("staging", extras(REPORTING_MQ=own), stack_outputs=production_with_a_queue)
    assert "tenantguard-secrets-REPORTING_MQ" in evaluation.named(
        "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret"
    )


def test_production_fingerprints_the_values_naming_a_host_and_no_bare_key(
    production_with_a_queue: dict[str, dict[str, Any]],
) -> None:
    exported = production_with_a_queue[PRODUCTION_STACK_NAME][VALUE_FINGERPRINTS_OUTPUT]
    production = fake_secrets("production")
    assert value_fingerprint(MQ_URL, FINGERPRINT_KEY) in exported
    assert value_fingerprint(production["redisUrl"], FINGERPRINT_KEY) in exported
    for bare_key in (production["vercelToken"], json.loads(production["extraSecrets"])["OPENAI_API_KEY"]):
        assert value_fingerprint(bare_key, FINGERPRINT_KEY) not in exported
    assert exported[value_fingerprint(MQ_URL, FINGERPRINT_KEY)] == "tenantguard-infra:extraSecrets.REPORTING_MQ"
    assert secret_part("ciDbUrl", "production") not in str(exported)


def test_a_redis_url_on_production_s_redis_host_with_a_password_of_its_own_is_not_compared(
    run_stack: Callable[..., evaluator.Evaluation],
) -> None:
    # Production exports fingerprints of its PostgreSQL databases' servers only; its Redis host is not one.
    production_redis = fake_secrets("production")["redisUrl"]
    own = production_redis.replace(secret_part("redisUrl", "production"), secret_part("redisUrl", "staging"))
    evaluation = run_stack("staging", extras(CACHE_URL=own))
    assert "vercel-CACHE_URL" in evaluation.named("vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable")
