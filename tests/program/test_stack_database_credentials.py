"""infra/stack.py with generated database credentials: the production-database guard compares databaseServer (the
database the administrative connection reaches), and production's fingerprints come from it when it generates."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from infra.guard.production_database import (
    FINGERPRINTS_OUTPUT,
    ProductionDatabaseReusedError,
    ProductionServerNamedError,
    identity_fingerprint,
)
from infra.tables.type_tokens import STACK_REFERENCE
from tests.fakes import PRODUCTION_STACK_NAME, fake_secrets, generated_overrides, generated_server, stack_values
from tests.helpers import assert_no_secret
from tools import evaluator

PRODUCTION_SERVER = generated_server("production")


def besides_the_reference(failure: pytest.ExceptionInfo[evaluator.ProgramFailedError]) -> list[str]:
    return [urn for urn in failure.value.resources if evaluator.resource_type(urn) != STACK_REFERENCE]


@pytest.mark.parametrize("stack", ["preview", "staging"])
def test_a_stack_whose_administrative_connection_reaches_production_is_refused(
    run_stack: Callable[..., evaluator.Evaluation], stack: str
) -> None:
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack(stack, generated_overrides(stack, server=PRODUCTION_SERVER.replace("?sslmode=require", "")))
    assert isinstance(failure.value.cause, ProductionDatabaseReusedError)
    assert "tenantguard-infra:databaseServer points at a database of" in str(failure.value)
    assert_no_secret(stack, [str(failure.value)])
    # Nothing registered: not the PostgreSQL provider, not a role, not a GitHub environment.
    assert besides_the_reference(failure) == []


@pytest.fixture(scope="module")
def generated_production() -> dict[str, dict[str, Any]]:
    """What production exports when it generates its credentials too."""
    production = evaluator.evaluate("production", *stack_values("production", generated_overrides("production")))
    return {PRODUCTION_STACK_NAME: dict(production.outputs)}


def test_a_generating_production_fingerprints_its_server_s_database(
    generated_production: dict[str, dict[str, Any]],
) -> None:
    key = fake_secrets("production")["dbFingerprintKey"]
    exported = generated_production[PRODUCTION_STACK_NAME][FINGERPRINTS_OUTPUT]
    assert identity_fingerprint("db.production.internal:5432/tenantguard", key) in exported


def test_a_provided_url_naming_a_generating_production_s_database_is_refused(
    run_stack: Callable[..., evaluator.Evaluation], generated_production: dict[str, dict[str, Any]]
) -> None:
    url = fake_secrets("production")["ciDbUrl"]  # db.production.internal:5432/tenantguard, with a password
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack("staging", {"ciDbUrl": url}, stack_outputs=generated_production)
    assert isinstance(failure.value.cause, ProductionDatabaseReusedError)
    assert besides_the_reference(failure) == []


def test_stacks_generating_on_their_own_servers_pass_a_generating_production(
    run_stack: Callable[..., evaluator.Evaluation], generated_production: dict[str, dict[str, Any]]
) -> None:
    evaluation = run_stack("staging", generated_overrides("staging"), stack_outputs=generated_production)
    assert str(evaluation.outputs["databaseCredentials"]).startswith("generated")


def test_an_administrative_connection_to_another_database_on_production_s_server_is_refused(
    run_stack: Callable[..., evaluator.Evaluation],
) -> None:
    server = PRODUCTION_SERVER.replace("/tenantguard?sslmode=require", "/staging_copy")
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack("staging", generated_overrides("staging", server=server))
    assert isinstance(failure.value.cause, ProductionServerNamedError)
    assert "tenantguard-infra:databaseServer" in str(failure.value)
    assert besides_the_reference(failure) == []


def test_the_administrative_connection_cannot_be_acknowledged(run_stack: Callable[..., evaluator.Evaluation]) -> None:
    server = PRODUCTION_SERVER.replace("/tenantguard?sslmode=require", "/staging_copy")
    overrides = {
        **generated_overrides("staging", server=server),
        "acknowledgedProductionServers": json.dumps({"databaseServer": "shared server"}),
    }
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack("staging", overrides)
    assert "has invalid configuration" in str(failure.value)
    assert "tenantguard-infra:acknowledgedProductionServers['databaseServer'] is not a secret this stack" in str(
        failure.value
    )
    assert "tenantguard-infra:ciDbUrl" not in str(failure.value)  # generated: no typed URL to acknowledge
