"""Non-production stacks refuse the production database; production and its secrets survive renames."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from infra.guard.database_names import database_identities
from infra.guard.production_database import (
    FINGERPRINT_OUTPUT,
    FINGERPRINTS_OUTPUT,
    KEY_CHECK_OUTPUT,
    SERVER_FINGERPRINTS_OUTPUT,
    VALUE_FINGERPRINTS_OUTPUT,
    fingerprint,
    key_check,
    server_fingerprint,
)
from infra.tables.type_tokens import STACK_REFERENCE
from tests.fakes import PRODUCTION_STACK_NAME, fake_secrets, secret_part, stack_values
from tests.helpers import assert_no_secret
from tools import evaluator

PRODUCTION_URL = fake_secrets("production")["ciDbUrl"]
FINGERPRINT_KEY = fake_secrets("production")["dbFingerprintKey"]


def registered_besides_the_reference(failure: pytest.ExceptionInfo[evaluator.ProgramFailedError]) -> list[str]:
    """What a failed run registered other than its read of production's outputs: providers, components, the rest."""
    return [urn for urn in failure.value.resources if evaluator.resource_type(urn) != STACK_REFERENCE]


def extras(**values: str) -> dict[str, str]:
    return {"extraSecrets": json.dumps(values)}


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
    assert registered_besides_the_reference(failure) == []


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
    assert failure.value.resources == {}


def test_a_production_stack_never_deployed_stops_the_run(run_stack: Callable[..., evaluator.Evaluation]) -> None:
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack("staging", stack_outputs={PRODUCTION_STACK_NAME: {}})
    message = str(failure.value)
    assert f"{PRODUCTION_STACK_NAME} exports no {FINGERPRINTS_OUTPUT}: it has not been deployed yet" in message
    assert "pulumi up --stack production" in message
    assert registered_besides_the_reference(failure) == []


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
    assert "tenantguard-infra:ciDbUrl points at a database of" in str(failure.value)
    assert registered_besides_the_reference(failure) == []


def test_a_different_fingerprint_key_fails_instead_of_passing_everything(
    run_stack: Callable[..., evaluator.Evaluation],
) -> None:
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack("preview", {"dbFingerprintKey": "another-key-0123456789abcdef"})
    message = str(failure.value)
    assert "tenantguard-infra:dbFingerprintKey differs from the one" in message
    assert "another-key" not in message
    assert_no_secret("preview", [message])
    assert registered_besides_the_reference(failure) == []


def test_production_exports_a_key_check_that_is_not_the_key(evaluated: dict[str, evaluator.Evaluation]) -> None:
    outputs = evaluated["production"].outputs
    assert outputs[KEY_CHECK_OUTPUT] == key_check(FINGERPRINT_KEY)
    assert FINGERPRINT_KEY not in str(outputs)


def test_a_production_stack_without_a_key_check_stops_the_run(
    run_stack: Callable[..., evaluator.Evaluation], production_reference: dict[str, dict[str, Any]]
) -> None:
    # Every production deployed by a version with server fingerprints exports the key check: a stack exporting
    # fingerprints without it is older, or not this project's production, and its fingerprints prove nothing.
    exported = production_reference[PRODUCTION_STACK_NAME]
    older = {PRODUCTION_STACK_NAME: {key: exported[key] for key in (FINGERPRINT_OUTPUT, SERVER_FINGERPRINTS_OUTPUT)}}
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack("staging", stack_outputs=older)
    message = str(failure.value)
    assert f"{PRODUCTION_STACK_NAME} exports no {KEY_CHECK_OUTPUT}" in message
    assert "`pulumi up --stack production`" in message
    assert registered_besides_the_reference(failure) == []


def test_the_app_database_of_production_is_refused_too(run_stack: Callable[..., evaluator.Evaluation]) -> None:
    production_app = fake_secrets("production")["databaseUrl"].replace(
        secret_part("databaseUrl", "production"), secret_part("databaseUrl", "staging")
    )
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack("staging", {"databaseUrl": production_app})
    assert "tenantguard-infra:databaseUrl points at a database of" in str(failure.value)
    assert registered_besides_the_reference(failure) == []


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


# Every PostgreSQL URL the stack distributes is compared, whichever key holds it.


def test_an_extra_secret_naming_the_production_database_is_refused(
    run_stack: Callable[..., evaluator.Evaluation],
) -> None:
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack("staging", extras(OPENAI_API_KEY="sk-x", REPORTING_DB_URL=PRODUCTION_URL))
    message = str(failure.value)
    assert "tenantguard-infra:extraSecrets.REPORTING_DB_URL points at a database of" in message
    assert secret_part("ciDbUrl", "production") not in message
    assert_no_secret("staging", [message])
    assert registered_besides_the_reference(failure) == []


OTHER_SCHEMES = {
    "upper-case scheme": lambda url: url.replace("postgresql://", "POSTGRESQL://"),
    "mixed-case short scheme": lambda url: url.replace("postgresql://", "Postgres://"),
    "SQLAlchemy driver suffix": lambda url: url.replace("postgresql://", "postgresql+psycopg://"),
}


@pytest.mark.parametrize("spelling", OTHER_SCHEMES)
def test_an_extra_secret_in_another_scheme_spelling_is_compared(
    run_stack: Callable[..., evaluator.Evaluation], spelling: str
) -> None:
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack("preview", extras(REPORTING_DB_URL=OTHER_SCHEMES[spelling](PRODUCTION_URL)))
    assert "tenantguard-infra:extraSecrets.REPORTING_DB_URL points at a database of" in str(failure.value)
    assert registered_besides_the_reference(failure) == []


# Production's database written in another form, or inside a longer value: each is found and compared.
PRODUCTION_HOST = "db.production.internal"
EMBEDDED_FORMS: dict[str, Callable[[str], str]] = {
    "JDBC URL": lambda url: f"jdbc:{url}",
    "pasted .env line": lambda url: f"DATABASE_URL={url}",
    "quoted export line among others": lambda url: f'OTHER=1\nexport DATABASE_URL="{url}"',
    "JSON document": lambda url: json.dumps({"url": url}),
    "JSON with escaped slashes": lambda url: json.dumps({"url": url}).replace("/", "\\/"),
    "URL in prose, after a harmless one": lambda url: (
        f"primary postgresql://ci@db.staging.internal/tenantguard, fallback ({url})."
    ),
    "libpq keyword string": lambda url: (
        f"host={PRODUCTION_HOST} port=5432 dbname=tenantguard user=ci password={secret_part('ciDbUrl', 'staging')}"
    ),
    "libpq keyword string as a .env value": lambda url: f"PG_DSN='host={PRODUCTION_HOST} dbname=tenantguard'",
    "libpq keyword string, database defaulting to the user": lambda url: "hostaddr=10.0.0.5 user=tenantguard",
}


@pytest.mark.parametrize("form", EMBEDDED_FORMS)
def test_a_production_database_inside_a_longer_value_is_refused(
    run_stack: Callable[..., evaluator.Evaluation], form: str
) -> None:
    reused = PRODUCTION_URL.replace(secret_part("ciDbUrl", "production"), secret_part("ciDbUrl", "staging"))
    outputs = {
        PRODUCTION_STACK_NAME: {
            FINGERPRINTS_OUTPUT: [
                fingerprint(PRODUCTION_URL, FINGERPRINT_KEY),
                fingerprint("postgresql://10.0.0.5/tenantguard", FINGERPRINT_KEY),
            ],
            KEY_CHECK_OUTPUT: key_check(FINGERPRINT_KEY),
        }
    }
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack("staging", extras(EXTRA_DB=EMBEDDED_FORMS[form](reused)), stack_outputs=outputs)
    message = str(failure.value)
    assert "tenantguard-infra:extraSecrets.EXTRA_DB points at a database of" in message
    assert_no_secret("staging", [message])
    assert registered_besides_the_reference(failure) == []


@pytest.mark.parametrize(
    "token",
    [
        f"sk-proj-{secret_part('ciDbUrl', 'staging')}",
        "ZmFrZS1iYXNlNjQtdG9rZW4==",
        "key=value",
        "dbname=tenantguard",
        f"host={PRODUCTION_HOST}",
        '{"api_key": "sk-fake-0123456789"}',
        "xpostgresql://db.production.internal/tenantguard",
    ],
    ids=["api-key", "base64", "key-value", "dbname-alone", "host-alone", "json-token", "other-scheme"],
)
def test_a_value_naming_no_database_names_none(token: str) -> None:
    # libpq refuses words that are not its keywords, and a host or a database alone is not a connection.
    assert database_identities(token) == ()


def test_an_llm_key_shaped_like_key_value_pairs_is_delivered(run_stack: Callable[..., evaluator.Evaluation]) -> None:
    evaluation = run_stack("staging", extras(OPENAI_API_KEY="sk-proj-a1b2==", ANTHROPIC_API_KEY="key=value"))
    assert {"tenantguard-secrets-OPENAI_API_KEY", "tenantguard-secrets-ANTHROPIC_API_KEY"} <= set(
        evaluation.named("github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret")
    )


def test_a_production_extra_secret_in_jdbc_form_is_fingerprinted(
    run_stack: Callable[..., evaluator.Evaluation],
) -> None:
    reporting = "jdbc:postgresql://reporting.production.internal:5432/reporting?sslmode=require"
    production = evaluator.evaluate("production", *stack_values("production", extras(REPORTING_JDBC=reporting)))
    assert production.outputs[FINGERPRINTS_OUTPUT][-1] == fingerprint(reporting.removeprefix("jdbc:"), FINGERPRINT_KEY)
    outputs: dict[str, dict[str, Any]] = {PRODUCTION_STACK_NAME: dict(production.outputs)}
    staging_url = "postgresql://ci:x@reporting.production.internal/reporting"
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack("staging", {"databaseUrl": staging_url}, stack_outputs=outputs)
    assert "tenantguard-infra:databaseUrl points at a database of" in str(failure.value)
    assert registered_besides_the_reference(failure) == []


def test_a_production_database_under_a_key_of_another_kind_is_refused(
    run_stack: Callable[..., evaluator.Evaluation],
) -> None:
    # A token key's validator accepts a URL: the value decides, not the key's kind.
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack("staging", {"vercelToken": PRODUCTION_URL})
    assert "tenantguard-infra:vercelToken points at a database of" in str(failure.value)
    assert registered_besides_the_reference(failure) == []


def test_every_key_naming_production_is_listed_in_one_message(run_stack: Callable[..., evaluator.Evaluation]) -> None:
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack("staging", {"ciDbUrl": PRODUCTION_URL.replace("?sslmode=require", ""), **extras(A_DB=PRODUCTION_URL)})
    assert "tenantguard-infra:ciDbUrl and tenantguard-infra:extraSecrets.A_DB point at a database of" in str(
        failure.value
    )


def test_an_extra_secret_naming_a_database_of_its_own_is_delivered(
    run_stack: Callable[..., evaluator.Evaluation],
) -> None:
    own = fake_secrets("staging")["ciDbUrl"].replace("/tenantguard", "/reporting")
    evaluation = run_stack("staging", extras(REPORTING_DB_URL=own))
    assert "tenantguard-secrets-REPORTING_DB_URL" in evaluation.named(
        "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret"
    )


def test_a_database_production_hands_out_as_an_extra_secret_is_refused_elsewhere(
    run_stack: Callable[..., evaluator.Evaluation],
) -> None:
    reporting = PRODUCTION_URL.replace("db.production.internal", "reporting.production.internal")
    production = evaluator.evaluate("production", *stack_values("production", extras(REPORTING_DB_URL=reporting)))
    assert len(production.outputs[FINGERPRINTS_OUTPUT]) == 3
    outputs: dict[str, dict[str, Any]] = {PRODUCTION_STACK_NAME: dict(production.outputs)}
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack("staging", {"databaseUrl": reporting.replace("?sslmode=require", "")}, stack_outputs=outputs)
    assert "tenantguard-infra:databaseUrl points at a database of" in str(failure.value)


# Bad input changes nothing: every resource waits for the verdict.


def test_every_resource_of_a_guarded_stack_waits_for_the_guard(evaluated: dict[str, evaluator.Evaluation]) -> None:
    evaluation = evaluated["staging"]
    (reference,) = evaluation.urns(STACK_REFERENCE)
    stack = next(urn for urn in evaluation.options if evaluator.resource_type(urn) == "pulumi:pulumi:Stack")

    def waits(urn: str) -> bool:
        # A child waits for its parent's registration (prepare_resource awaits `opts.parent.urn`).
        options = evaluation.options[urn]
        return reference in options.dependencies or (options.parent != stack and waits(options.parent))

    unguarded = [urn for urn in evaluation.options if urn not in (stack, reference) and not waits(urn)]
    assert unguarded == []


REUSED = "tenantguard-infra:extraSecrets.EXTRA_DB points at a database of"
NAMES_A_SERVER = "tenantguard-infra:extraSecrets.EXTRA_DB names one of organization/tenantguard-infra/production's"
STAGING_PASSWORD = secret_part("ciDbUrl", "staging")
PGHOST_BLOCK = f"PGHOST={PRODUCTION_HOST}\nPGDATABASE=tenantguard\nPGPASSWORD={STAGING_PASSWORD}"
NPGSQL = f"Host={PRODUCTION_HOST};Port=5432;Database=tenantguard;Username=ci;Password={STAGING_PASSWORD}"


def refusal(
    run_stack: Callable[..., evaluator.Evaluation], value: str, overrides: dict[str, str] | None = None, **kwargs: Any
) -> str:
    """The staging stack's failure for `value` as an extra secret; asserts nothing was registered and nothing shown."""
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack("staging", {**extras(EXTRA_DB=value), **(overrides or {})}, **kwargs)
    message = str(failure.value)
    assert_no_secret("staging", [message, *failure.value.logs])
    assert PRODUCTION_HOST not in message.casefold()
    assert registered_besides_the_reference(failure) == []
    return message


# The rule that does not depend on the format: any host-like token that is one of production's database servers.
SERVER_SHAPES: dict[str, str] = {
    "a host in prose": f"the reporting replica lives on {PRODUCTION_HOST}, ask ops",
    "PGHOST with PGPORT on another line": f"PGHOST={PRODUCTION_HOST}\nOTHER=1\nPGPORT=6432",
    "another database on production's server": f"postgresql://ci:{STAGING_PASSWORD}@{PRODUCTION_HOST}/reporting",
    "a URL of another scheme": f"mysql://ci:{STAGING_PASSWORD}@{PRODUCTION_HOST.upper()}./reporting",
    "JSON-escaped dots": json.dumps({"server": PRODUCTION_HOST}).replace(".", "\\u002e"),
    "percent-encoded dots": f"dsn=pg://{PRODUCTION_HOST.replace('.', '%2E')}:6432",
    "fullwidth dots": PRODUCTION_HOST.replace(".", "\uff0e"),
}


@pytest.mark.parametrize("shape", SERVER_SHAPES)
def test_a_value_naming_production_s_server_in_any_shape_is_refused(
    run_stack: Callable[..., evaluator.Evaluation], shape: str
) -> None:
    message = refusal(run_stack, SERVER_SHAPES[shape])
    assert f"{NAMES_A_SERVER} database servers" in message
    assert "pulumi config set --stack staging --path" in message
    assert 'acknowledgedProductionServers["tenantguard-infra:extraSecrets.EXTRA_DB"]' in message


def acknowledged(**reasons: str) -> dict[str, str]:
    return {"acknowledgedProductionServers": json.dumps(reasons)}


ANOTHER_DATABASE_ON_PRODUCTION_S_SERVER = SERVER_SHAPES["another database on production's server"]


@pytest.mark.parametrize("entry", ["tenantguard-infra:extraSecrets.EXTRA_DB", "extraSecrets.EXTRA_DB"])
def test_an_acknowledged_value_naming_production_s_server_is_delivered_with_a_warning(
    run_stack: Callable[..., evaluator.Evaluation], entry: str
) -> None:
    overrides = {**extras(EXTRA_DB=ANOTHER_DATABASE_ON_PRODUCTION_S_SERVER), **acknowledged(**{entry: "reporting, Q3"})}
    evaluation = run_stack("staging", overrides)
    assert "tenantguard-secrets-EXTRA_DB" in evaluation.named(
        "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret"
    )
    warning = f"acknowledged (reporting, Q3): {NAMES_A_SERVER} database servers"
    assert [line for line in evaluation.logs if "acknowledged (" in line] == [warning]
    assert_no_secret("staging", evaluation.logs)
    assert not any(PRODUCTION_HOST in line for line in evaluation.logs)


def test_an_acknowledgement_never_covers_production_s_database(run_stack: Callable[..., evaluator.Evaluation]) -> None:
    reasons = acknowledged(**{"extraSecrets.EXTRA_DB": "reporting"})
    for value in (PGHOST_BLOCK, PRODUCTION_URL.replace("?sslmode=require", "")):
        assert REUSED in refusal(run_stack, value, reasons)


def test_an_acknowledgement_that_matches_nothing_any_more_is_warned_about(
    run_stack: Callable[..., evaluator.Evaluation],
) -> None:
    evaluation = run_stack("staging", acknowledged(**{"extraSecrets.OPENAI_API_KEY": "was the replica"}))
    assert (
        "tenantguard-infra:acknowledgedProductionServers['tenantguard-infra:extraSecrets.OPENAI_API_KEY'] matches "
        "no value naming one of organization/tenantguard-infra/production's database servers any more"
    ) in "\n".join(evaluation.logs)


def test_production_exports_a_fingerprint_of_each_database_server_and_no_other_host(
    evaluated: dict[str, evaluator.Evaluation],
) -> None:
    # Its databases share one server, exported as its host and as its host and port; Redis's host is no database's.
    assert evaluated["production"].outputs[SERVER_FINGERPRINTS_OUTPUT] == [
        server_fingerprint(PRODUCTION_HOST, FINGERPRINT_KEY),
        server_fingerprint(PRODUCTION_HOST, FINGERPRINT_KEY, "5432"),
    ]


@pytest.mark.parametrize("missing", [SERVER_FINGERPRINTS_OUTPUT, VALUE_FINGERPRINTS_OUTPUT])
def test_a_production_deployed_before_an_export_the_guard_compares_stops_the_run(
    run_stack: Callable[..., evaluator.Evaluation], production_reference: dict[str, dict[str, Any]], missing: str
) -> None:
    older = dict(production_reference[PRODUCTION_STACK_NAME])
    del older[missing]
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack("staging", stack_outputs={PRODUCTION_STACK_NAME: older})
    message = str(failure.value)
    assert f"{PRODUCTION_STACK_NAME} exports no {missing}" in message
    assert "`pulumi up --stack production`" in message
    assert registered_besides_the_reference(failure) == []


def test_a_production_database_is_reported_even_by_a_production_without_server_fingerprints(
    run_stack: Callable[..., evaluator.Evaluation], production_reference: dict[str, dict[str, Any]]
) -> None:
    older = {PRODUCTION_STACK_NAME: {FINGERPRINT_OUTPUT: fingerprint(PRODUCTION_URL, FINGERPRINT_KEY)}}
    assert REUSED in refusal(run_stack, NPGSQL, stack_outputs=older)


@pytest.mark.parametrize(
    "value",
    [
        f"pgsql://ci:{STAGING_PASSWORD}@{PRODUCTION_HOST}:5432/tenantguard",  # dj-database-url's alias
        f"host: {PRODUCTION_HOST}\ndatabase: >-\n  tenantguard",  # a YAML folded scalar
        f"pg_dump --host {PRODUCTION_HOST} --dbname tenantguard",
    ],
    ids=["pgsql scheme", "YAML folded scalar", "command-line flags"],
)
def test_an_acknowledgement_never_covers_production_s_database_in_a_shape_not_read_as_fields(
    run_stack: Callable[..., evaluator.Evaluation], value: str
) -> None:
    assert REUSED in refusal(run_stack, value, acknowledged(**{"extraSecrets.EXTRA_DB": "reporting"}))


def test_an_acknowledged_database_url_through_the_pooler_port_to_production_s_database_is_refused(
    run_stack: Callable[..., evaluator.Evaluation],
) -> None:
    value = f"postgresql://app:{secret_part('databaseUrl', 'staging')}@{PRODUCTION_HOST}:6432/tenantguard"
    overrides = {"databaseUrl": value, **acknowledged(databaseUrl="staging's database on production's server")}
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack("staging", overrides)
    assert "tenantguard-infra:databaseUrl points at a database of" in str(failure.value)
    assert registered_besides_the_reference(failure) == []
