"""infra/config/rules/database_credentials.py: provided or generated, the generated roles' server and rotation."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.fakes import generated_overrides, secret_part
from tests.program.config.refusals import Bad, assert_refused_clearly, ids
from tools import evaluator

GENERATED = generated_overrides("staging")
PASSWORD = secret_part("ciDbUrl", "staging")

CASES = [
    Bad("mode-unknown", "staging", {"databaseCredentials": "vault"}, "databaseCredentials", "provided, generated"),
    Bad(
        "generated-with-a-typed-ci-url",
        "staging",
        {**GENERATED, "ciDbUrl": f"postgresql://ci:{PASSWORD}@db.staging.internal:5432/tenantguard"},
        "ciDbUrl",
        "remove it",
    ),
    Bad("generated-without-server", "staging", {**GENERATED, "databaseServer": None}, "databaseServer", "is required"),
    Bad(
        "server-with-a-password",
        "staging",
        {**GENERATED, "databaseServer": f"postgresql://admin:{PASSWORD}@db.staging.internal/tenantguard"},
        "databaseServer",
        "holds a user or password",
    ),
    Bad(
        "server-with-options",
        "staging",
        {**GENERATED, "databaseServer": "postgresql://db.staging.internal/tenantguard?options=-c%20role%3Dx"},
        "databaseServer",
        "sslmode only",
    ),
    Bad(
        "production-server-without-tls",
        "production",
        {**generated_overrides("production"), "databaseServer": "postgresql://db.production.internal/tenantguard"},
        "databaseServer",
        "sslmode",
    ),
    Bad(
        "server-with-an-invisible-character-in-its-host",
        "staging",
        {**GENERATED, "databaseServer": "postgresql://db.pro%C2%ADduction.internal:5432/tenantguard?sslmode=require"},
        "databaseServer",
        "has a host that is not ASCII once percent-decoded",
    ),
    Bad("rotation-zero", "staging", {**GENERATED, "databaseRotation": "0"}, "databaseRotation", "whole number"),
    Bad(
        "server-while-provided",
        "staging",
        {"databaseServer": "postgresql://db.staging.internal/tenantguard"},
        "databaseServer",
        "only read when",
    ),
    Bad("rotation-while-provided", "staging", {"databaseRotation": "2"}, "databaseRotation", "only read when"),
    Bad("provided-without-app-url", "staging", {"databaseUrl": None}, "databaseUrl", "is required"),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_bad_database_credentials_are_refused_clearly(
    run_stack: Callable[..., evaluator.Evaluation], case: Bad
) -> None:
    assert_refused_clearly(run_stack, case)


@pytest.mark.parametrize("stack", ["preview", "staging", "production"])
def test_every_tier_may_generate_its_credentials(run_stack: Callable[..., evaluator.Evaluation], stack: str) -> None:
    evaluation = run_stack(stack, generated_overrides(stack))
    assert str(evaluation.outputs["databaseCredentials"]).startswith("generated, rotation 1")


def test_provided_stays_the_default(evaluated: dict[str, evaluator.Evaluation]) -> None:
    for evaluation in evaluated.values():
        assert str(evaluation.outputs["databaseCredentials"]).startswith("provided")
