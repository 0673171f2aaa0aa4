"""Non-production stacks refuse the production database; production and its secrets survive renames."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from infra.production_guard import FINGERPRINT_OUTPUT, FINGERPRINTS_OUTPUT, KEY_CHECK_OUTPUT, fingerprint, key_check
from tests.helpers import assert_no_secret
from tools import evaluator
from tools.fakes import PRODUCTION_STACK_NAME, fake_secrets, secret_part

PRODUCTION_URL = fake_secrets("production")["ciDbUrl"]
FINGERPRINT_KEY = fake_secrets("production")["dbFingerprintKey"]


def test_fingerprint_ignores_credentials_and_options() -> None:
    same = "postgresql://other:pw@DB.production.internal:5432/tenantguard"
    assert fingerprint(PRODUCTION_URL, FINGERPRINT_KEY) == fingerprint(same, FINGERPRINT_KEY)
    assert fingerprint(PRODUCTION_URL, FINGERPRINT_KEY) != fingerprint(
        PRODUCTION_URL.replace("5432", "5433"), FINGERPRINT_KEY
    )
    assert fingerprint(PRODUCTION_URL, FINGERPRINT_KEY) != fingerprint(PRODUCTION_URL, "another-key-0123456789")


def test_production_exports_its_fingerprint_and_no_password(evaluated: dict[str, evaluator.Evaluation]) -> None:
    exported = evaluated["production"].outputs[FINGERPRINT_OUTPUT]
    assert exported == fingerprint(PRODUCTION_URL, FINGERPRINT_KEY)
    assert secret_part("ciDbUrl", "production") not in str(evaluated["production"].outputs)


@pytest.mark.parametrize("stack", ["preview", "staging"])
def test_reusing_the_production_database_is_refused(run_stack: Callable[..., evaluator.Evaluation], stack: str) -> None:
    reused = PRODUCTION_URL.replace(secret_part("ciDbUrl", "production"), secret_part("ciDbUrl", stack))
    reused = reused.replace("?sslmode=require", "")
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack(stack, {"ciDbUrl": reused})
    assert "tenantguard-infra:ciDbUrl points at a database of" in str(failure.value)
    assert_no_secret(stack, [str(failure.value)])
    written = [urn for urn in failure.value.resources if "CI_DB_URL" in urn or "dynamic:Resource" in urn]
    assert written == []


# The first deploy from an empty backend, in the order README documents: production, then the others.


def test_production_deploys_first_with_no_reference_to_anything(evaluated: dict[str, evaluator.Evaluation]) -> None:
    production = evaluated["production"]
    assert not production.of_type("pulumi:pulumi:StackReference")
    assert production.outputs[FINGERPRINT_OUTPUT]


def test_a_stack_before_production_exists_fails_and_writes_nothing(
    run_stack: Callable[..., evaluator.Evaluation],
) -> None:
    # Pulumi fails a StackReference to a stack that does not exist; the mocks do the same.
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack("staging", stack_outputs={})
    assert PRODUCTION_STACK_NAME in str(failure.value)
    assert not [urn for urn in failure.value.resources if "CI_DB_URL" in urn or "dynamic:Resource" in urn]


def test_a_production_stack_never_deployed_stops_the_run(run_stack: Callable[..., evaluator.Evaluation]) -> None:
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack("staging", stack_outputs={PRODUCTION_STACK_NAME: {}})
    message = str(failure.value)
    assert f"{PRODUCTION_STACK_NAME} exports no {FINGERPRINTS_OUTPUT}: it has not been deployed yet" in message
    assert "pulumi up --stack production" in message
    assert not [urn for urn in failure.value.resources if "CI_DB_URL" in urn or "dynamic:Resource" in urn]


def test_once_production_is_deployed_the_others_follow(evaluated: dict[str, evaluator.Evaluation]) -> None:
    for stack in ("preview", "staging"):
        assert evaluated[stack].of_type("pulumi:pulumi:StackReference")
        assert evaluated[stack].of_type("github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret")
        assert not any("exports no" in line for line in evaluated[stack].logs)


# The same production database, spelled as libpq reads it in other ways.
EQUIVALENT_SPELLINGS = {
    "upper-case host": lambda url: url.replace("db.production.internal", "DB.Production.Internal"),
    "trailing dot on the host": lambda url: url.replace("db.production.internal", "db.production.internal."),
    "default port left out": lambda url: url.replace(":5432/", "/"),
    "percent-encoded database name": lambda url: url.replace("/tenantguard", "/tenant%67uard"),
    "postgres:// scheme": lambda url: url.replace("postgresql://", "postgres://"),
    "other user and options": lambda url: url.replace("ci:", "someone:") + "&application_name=x",
}


@pytest.mark.parametrize("spelling", EQUIVALENT_SPELLINGS)
def test_a_driver_equivalent_spelling_of_production_is_refused(
    run_stack: Callable[..., evaluator.Evaluation], spelling: str
) -> None:
    reused = EQUIVALENT_SPELLINGS[spelling](PRODUCTION_URL).replace(
        secret_part("ciDbUrl", "production"), secret_part("ciDbUrl", "staging")
    )
    assert reused != PRODUCTION_URL
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack("staging", {"ciDbUrl": reused})
    assert "points at a database of" in str(failure.value)
    assert not [urn for urn in failure.value.resources if "CI_DB_URL" in urn]


def test_a_different_fingerprint_key_fails_instead_of_passing_everything(
    run_stack: Callable[..., evaluator.Evaluation],
) -> None:
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack("preview", {"dbFingerprintKey": "another-key-0123456789abcdef"})
    message = str(failure.value)
    assert "tenantguard-infra:dbFingerprintKey differs from the one" in message
    assert "another-key" not in message
    assert_no_secret("preview", [message])
    assert not [urn for urn in failure.value.resources if "CI_DB_URL" in urn or "dynamic:Resource" in urn]


def test_production_exports_a_key_check_that_is_not_the_key(evaluated: dict[str, evaluator.Evaluation]) -> None:
    outputs = evaluated["production"].outputs
    assert outputs[KEY_CHECK_OUTPUT] == key_check(FINGERPRINT_KEY)
    assert FINGERPRINT_KEY not in str(outputs)


def test_a_production_stack_without_a_key_check_warns(run_stack: Callable[..., evaluator.Evaluation]) -> None:
    older = {PRODUCTION_STACK_NAME: {FINGERPRINT_OUTPUT: fingerprint(PRODUCTION_URL, FINGERPRINT_KEY)}}
    evaluation = run_stack("staging", stack_outputs=older)
    assert any(f"exports no {KEY_CHECK_OUTPUT}" in line for line in evaluation.logs)
    assert evaluation.of_type("github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret")


def test_the_app_database_of_production_is_refused_too(run_stack: Callable[..., evaluator.Evaluation]) -> None:
    production_app = fake_secrets("production")["databaseUrl"].replace(
        secret_part("databaseUrl", "production"), secret_part("databaseUrl", "staging")
    )
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack("staging", {"databaseUrl": production_app})
    assert "tenantguard-infra:databaseUrl points at a database of" in str(failure.value)
    assert not [urn for urn in failure.value.resources if "DATABASE_URL" in urn]


def test_production_exports_a_fingerprint_of_each_of_its_databases(evaluated: dict[str, evaluator.Evaluation]) -> None:
    outputs = evaluated["production"].outputs
    production = fake_secrets("production")
    assert outputs[FINGERPRINTS_OUTPUT] == [
        fingerprint(production["ciDbUrl"], FINGERPRINT_KEY),
        fingerprint(production["databaseUrl"], FINGERPRINT_KEY),
    ]


def test_a_production_deployed_before_the_list_is_still_compared(
    run_stack: Callable[..., evaluator.Evaluation],
) -> None:
    older = {PRODUCTION_STACK_NAME: {FINGERPRINT_OUTPUT: fingerprint(PRODUCTION_URL, FINGERPRINT_KEY)}}
    reused = PRODUCTION_URL.replace(secret_part("ciDbUrl", "production"), secret_part("ciDbUrl", "staging"))
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack("staging", {"ciDbUrl": reused}, stack_outputs=older)
    assert "points at a database of" in str(failure.value)


def test_one_reference_serves_every_guarded_value(evaluated: dict[str, evaluator.Evaluation]) -> None:
    assert len(evaluated["staging"].of_type("pulumi:pulumi:StackReference")) == 1
