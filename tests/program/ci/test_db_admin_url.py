"""What each CI environment holds and can decrypt once a stack generates its database credentials: the administrative
login (DB_ADMIN_URL) only in the stack's deploy environment, never in what a pull request's preview decrypts."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret

from infra.tables.tiers import PROFILES
from tests.fakes import (
    admin_url,
    generate_in_stack_file,
    generated_overrides,
    generated_server,
    secret_part,
    stack_values,
)
from tests.program.ci import harness
from tools import evaluator
from tools.ci_layout import DB_ADMIN_URL, PASSPHRASE, layout

SECRET = "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret"
POSTGRES_PROVIDER = "pulumi:providers:postgresql"


@pytest.mark.parametrize("tier", list(PROFILES))
@pytest.mark.parametrize(("plan", "visibility"), [("team", "private"), ("enterprise", "private"), ("team", "public")])
def test_only_the_deploy_environment_holds_the_administrative_login(tier: str, plan: str, visibility: str) -> None:
    ci = layout("s", PROFILES[tier], plan, visibility, backend="s3", kms=False, generated_credentials=True)  # type: ignore[arg-type,index]
    holding = [environment.name for environment in ci.environments if DB_ADMIN_URL in environment.secrets]
    assert holding == ["infra-s"]
    assert all(environment.writes for environment in ci.environments if DB_ADMIN_URL in environment.secrets)


def test_a_stack_whose_urls_are_provided_gets_no_administrative_login() -> None:
    ci = layout("s", PROFILES["staging"], "team", "private", backend="s3", kms=False)
    assert not any(DB_ADMIN_URL in environment.secrets for environment in ci.environments)


@pytest.fixture(scope="module")
def generated_staging(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = harness.main_project_copy(tmp_path_factory.mktemp("generated"))
    generate_in_stack_file(directory, "staging")
    return directory


def secrets_by_environment(evaluation: evaluator.Evaluation) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for state in evaluation.named(SECRET).values():
        value = unwrap_rpc_secret(state["value"]) if is_rpc_secret(state["value"]) else state["value"]
        found.setdefault(state["environment"], {})[state["secretName"]] = str(value)
    return found


def test_the_ci_project_writes_db_admin_url_into_the_deploy_environment_alone(generated_staging: Path) -> None:
    values = harness.config_values(dbAdminUrls={"staging": admin_url("staging")})
    evaluation = harness.evaluate(values, (*harness.SECRET_OBJECTS, "dbAdminUrls"), directory=generated_staging)
    held = secrets_by_environment(evaluation)
    assert {name for name, secrets in held.items() if DB_ADMIN_URL in secrets} == {"infra-staging"}
    assert held["infra-staging"][DB_ADMIN_URL] == admin_url("staging")
    # What a pull request's preview and the drift check hold: the stack's passphrase, and no administrative login.
    for environment in ("infra-staging-pr", "infra-staging-read"):
        assert PASSPHRASE in held[environment]
        assert not any(secret_part("dbAdminUrl", "staging") in value for value in held[environment].values())


@pytest.mark.parametrize(
    ("admin", "says"),
    [
        (None, "dbAdminUrls.staging is required"),
        (admin_url("staging", generated_server("production")), "names another server or database"),
        ("postgresql://db.staging.internal:5432/tenantguard", "has no user or no password"),
    ],
)
def test_the_ci_project_refuses_an_administrative_login_it_cannot_use(
    generated_staging: Path, admin: str | None, says: str
) -> None:
    urls = {} if admin is None else {"staging": admin}
    values = harness.config_values(dbAdminUrls=urls)
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        harness.evaluate(values, (*harness.SECRET_OBJECTS, "dbAdminUrls"), directory=generated_staging)
    assert says in str(failure.value)
    assert secret_part("dbAdminUrl", "staging") not in str(failure.value)


def test_an_administrative_login_for_a_stack_that_provides_its_urls_is_refused() -> None:
    values = harness.config_values(dbAdminUrls={"staging": admin_url("staging")})
    with pytest.raises(evaluator.ProgramFailedError, match="names no stack that needs one"):
        harness.evaluate(values, (*harness.SECRET_OBJECTS, "dbAdminUrls"))


def test_what_a_preview_decrypts_holds_no_administrative_login(
    monkeypatch: pytest.MonkeyPatch, production_reference: dict[str, dict[str, object]]
) -> None:
    """The stack's key decrypts its config and its state: neither holds the login, even when the deploy job's
    process has it in PGUSER/PGPASSWORD (the provider reads them itself; the SDK never passes them on)."""
    needle = secret_part("dbAdminUrl", "staging")
    monkeypatch.setenv("PGUSER", "tg_admin")
    monkeypatch.setenv("PGPASSWORD", needle)
    values, secret = stack_values("staging", generated_overrides("staging"))
    evaluation = evaluator.evaluate(
        "staging", values, secret, stack_outputs=production_reference, log_level=logging.DEBUG
    )
    assert needle not in repr(values)
    provider = next(urn for urn in evaluation.resources if evaluator.resource_type(urn) == POSTGRES_PROVIDER)
    assert not {"username", "password"} & set(evaluation.inputs[provider])
    everything = [evaluation.inputs, {u: r.state for u, r in evaluation.resources.items()}, evaluation.outputs]
    assert needle not in repr([unwrapped(item) for item in everything])
    assert not any(needle in line for line in evaluation.logs)


def unwrapped(value: object) -> object:
    """Secrets opened, Outputs resolved: what a holder of the stack's key could read in its state."""
    if is_rpc_secret(value):
        return unwrapped(unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {key: unwrapped(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unwrapped(item) for item in value]
    if hasattr(value, "future"):
        from pulumi.runtime.sync_await import _sync_await  # noqa: PLC0415 - as the evaluator resolves outputs

        return unwrapped(_sync_await(value.future()))
    return value
