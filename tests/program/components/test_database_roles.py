"""infra/components/database_roles.py through the whole program: a generated stack's roles, rights, rotation and
URLs, in every tier and at several rotation counter values, as the privilege table says."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret

from infra.tables.database_roles import PRIVILEGES, ROLES, active_slot, role_name, roles_for, slot_rotation
from infra.tables.type_tokens import DYNAMIC, ENVIRONMENT_SECRET, RANDOM_PASSWORD, VERCEL_VARIABLE
from tests.fakes import generated_overrides, generated_server, stack_tier, stack_values
from tools import evaluator

ROLE = "postgresql:index/role:Role"
GRANT = "postgresql:index/grant:Grant"
DEFAULT_PRIVILEGES = "postgresql:index/defaultPrivileges:DefaultPrivileges"
SCHEMA = "postgresql:index/schema:Schema"
PROVIDER = "pulumi:providers:postgresql"
SHAPES = [(stack, rotation) for stack in ("preview", "staging", "production") for rotation in (1, 2, 3)]


@pytest.fixture(scope="module")
def shapes(production_reference: dict[str, dict[str, Any]]) -> dict[tuple[str, int], evaluator.Evaluation]:
    """Every tier's stack generating its credentials, at rotations 1, 2 and 3."""
    return {
        (stack, rotation): evaluator.evaluate(
            stack, *stack_values(stack, generated_overrides(stack, rotation)), stack_outputs=production_reference
        )
        for stack, rotation in SHAPES
    }


def plain(value: Any) -> Any:
    return unwrap_rpc_secret(value) if is_rpc_secret(value) else value


def roles(evaluation: evaluator.Evaluation) -> dict[str, dict[str, Any]]:
    return {state["name"]: state for state in evaluation.named(ROLE).values()}


@pytest.mark.parametrize(("stack", "rotation"), SHAPES)
def test_the_roles_are_the_table_s_for_the_tier(
    shapes: dict[tuple[str, int], evaluator.Evaluation], stack: str, rotation: int
) -> None:
    tier = stack_tier(stack)
    expected = set()
    for spec in roles_for(tier):
        if spec.kind == "group":
            expected.add(role_name(stack, spec.suffix))
        else:
            expected |= {role_name(stack, spec.suffix, slot) for slot in (("a", "b") if spec.slotted else (None,))}
    assert set(roles(shapes[(stack, rotation)])) == expected


@pytest.mark.parametrize("stack", ["preview", "staging", "production"])
def test_no_role_is_more_than_its_job(shapes: dict[tuple[str, int], evaluator.Evaluation], stack: str) -> None:
    for name, role in roles(shapes[(stack, 1)]).items():
        assert role["superuser"] is False
        assert role["replication"] is False
        assert role["bypassRowLevelSecurity"] is False
        manager = name == role_name(stack, "manager")
        assert role["createDatabase"] is manager, name
        assert role["createRole"] is manager, name
        assert role["connectionLimit"] >= 0, name


@pytest.mark.parametrize("stack", ["preview", "staging", "production"])
def test_each_login_acts_as_its_group_and_a_migrator_login_inherits_nothing(
    shapes: dict[tuple[str, int], evaluator.Evaluation], stack: str
) -> None:
    found = roles(shapes[(stack, 1)])
    for group in ("migrator", "app"):
        assert found[role_name(stack, group)]["login"] is False
        for slot in ("a", "b"):
            login = found[role_name(stack, group, slot)]
            assert login["login"] is True
            assert login["roles"] == [role_name(stack, group)]
            assert login["assumeRole"] == role_name(stack, group)
            assert login["inherit"] is (group == "app")
    assert found[role_name(stack, "observer")]["roles"] == []


@pytest.mark.parametrize(("stack", "rotation"), SHAPES)
def test_a_rotation_renews_only_the_slot_it_hands_out(
    shapes: dict[tuple[str, int], evaluator.Evaluation], stack: str, rotation: int
) -> None:
    keepers = {
        name: state["keepers"]["rotation"] for name, state in shapes[(stack, rotation)].named(RANDOM_PASSWORD).items()
    }
    for group in ("migrator", "app"):
        for slot in ("a", "b"):
            assert keepers[f"database-roles-{group}-{slot}-password"] == str(slot_rotation(slot, rotation))
        assert keepers[f"database-roles-{group}-{active_slot(rotation)}-password"] == str(rotation)


def values_by_name(evaluation: evaluator.Evaluation, token: str, name_field: str) -> dict[str, str]:
    return {state[name_field]: str(plain(state["value"])) for state in evaluation.named(token).values()}


@pytest.mark.parametrize(("stack", "rotation"), SHAPES)
def test_ci_db_url_and_database_url_are_the_logins_this_rotation_hands_out(
    shapes: dict[tuple[str, int], evaluator.Evaluation], stack: str, rotation: int
) -> None:
    evaluation = shapes[(stack, rotation)]
    ci_login = (
        role_name(stack, "manager") if stack == "preview" else role_name(stack, "migrator", active_slot(rotation))
    )
    app_login = role_name(stack, "app", active_slot(rotation))
    server = generated_server(stack).removeprefix("postgresql://")
    password = {name: plain(state.get("password")) for name, state in roles(evaluation).items()}
    ci_url = values_by_name(evaluation, ENVIRONMENT_SECRET, "secretName")["CI_DB_URL"]
    app_url = values_by_name(evaluation, VERCEL_VARIABLE, "key")["DATABASE_URL"]
    assert ci_url == f"postgresql://{ci_login}:{password[ci_login]}@{server}"
    assert app_url == f"postgresql://{app_login}:{password[app_login]}@{server}"


@pytest.mark.parametrize("stack", ["preview", "staging", "production"])
def test_every_url_and_password_stays_a_secret(shapes: dict[tuple[str, int], evaluator.Evaluation], stack: str) -> None:
    evaluation = shapes[(stack, 2)]
    for state in evaluation.named(ROLE).values():
        assert state.get("password") is None or is_rpc_secret(state["password"])
    for token in (ENVIRONMENT_SECRET, VERCEL_VARIABLE):
        assert all(is_rpc_secret(state["value"]) for state in evaluation.named(token).values())
    assert not isinstance(evaluation.outputs["databaseObserverUrl"], str)  # an Output kept secret


@pytest.mark.parametrize("stack", ["preview", "staging", "production"])
def test_the_migration_runs_as_a_migrator_login_after_the_roles(
    shapes: dict[tuple[str, int], evaluator.Evaluation], stack: str
) -> None:
    evaluation = shapes[(stack, 2)]
    (urn,) = evaluation.urns(DYNAMIC)
    url = str(plain(evaluation.inputs[urn]["database_url"]))
    assert url.startswith(f"postgresql://{role_name(stack, 'migrator', active_slot(2))}:")
    # Depending on the component is depending on each of its resources: every role, grant and the schema.
    rights = [u for token in (ROLE, GRANT, DEFAULT_PRIVILEGES, SCHEMA) for u in evaluation.urns(token)]
    assert set(rights) <= set(evaluation.options[urn].dependencies)


@pytest.mark.parametrize("stack", ["preview", "staging", "production"])
def test_the_provider_connects_to_the_declared_server_and_holds_no_login(
    shapes: dict[tuple[str, int], evaluator.Evaluation], stack: str
) -> None:
    evaluation = shapes[(stack, 1)]
    (urn,) = evaluation.urns(PROVIDER)
    inputs = evaluation.inputs[urn]
    assert (inputs["host"], inputs["port"], inputs["database"]) == (f"db.{stack}.internal", "5432", "tenantguard")
    assert inputs["superuser"] == "false"
    assert inputs.get("sslmode") == ("require" if stack == "production" else None)
    assert not {"username", "password"} & set(inputs)
    for other in evaluation.urns(ROLE) + evaluation.urns(GRANT) + evaluation.urns(DEFAULT_PRIVILEGES):
        assert evaluation.options[other].provider.startswith(urn)


@pytest.mark.parametrize("stack", ["preview", "staging"])
def test_the_rights_are_the_privilege_table_s(shapes: dict[tuple[str, int], evaluator.Evaluation], stack: str) -> None:
    evaluation = shapes[(stack, 1)]
    tier = stack_tier(stack)
    present = {spec.suffix for spec in roles_for(tier)}
    declared = {
        (state["role"], state["objectType"], tuple(state["privileges"])) for state in evaluation.named(GRANT).values()
    }
    expected = set()
    for privilege in PRIVILEGES:
        if privilege.grantee != "public" and privilege.grantee not in present:
            continue
        kind = {"database": "database", "schema": "schema", "tables": "table", "sequences": "sequence"}[privilege.scope]
        if privilege.grantee == "public":
            grantees = ["public"]
        elif privilege.login:
            grantees = [role_name(stack, privilege.grantee, slot) for slot in ("a", "b")]
        else:
            grantees = [role_name(stack, privilege.grantee)]
        expected |= {(grantee, kind, privilege.privileges) for grantee in grantees}
    assert declared == expected
    for state in evaluation.named(DEFAULT_PRIVILEGES).values():
        assert state["owner"] == role_name(stack, "migrator")
    (schema,) = evaluation.named(SCHEMA).values()
    assert (schema["name"], schema["owner"]) == ("public", role_name(stack, "migrator"))
    (schema_urn,) = evaluation.urns(SCHEMA)
    assert evaluation.options[schema_urn].retain_on_delete


def test_a_provided_stack_declares_no_database_role(evaluated: dict[str, evaluator.Evaluation]) -> None:
    for evaluation in evaluated.values():
        assert not [urn for urn in evaluation.resources if "postgresql" in evaluator.resource_type(urn)]
        assert "databaseObserverUrl" not in evaluation.outputs


def test_production_s_roles_are_protected(shapes: dict[tuple[str, int], evaluator.Evaluation]) -> None:
    evaluation = shapes[("production", 1)]
    assert all(evaluation.options[urn].protect for urn in evaluation.urns(ROLE))


def test_every_role_of_the_table_has_a_purpose() -> None:
    assert all(spec.purpose for spec in ROLES)


def test_the_plan_line_says_which_logins_are_handed_out(shapes: dict[tuple[str, int], evaluator.Evaluation]) -> None:
    said = str(shapes[("staging", 3)].outputs["databaseCredentials"])
    assert "rotation 3: CI_DB_URL as tg_staging_migrator_a, DATABASE_URL as tg_staging_app_a" in said
    assert "the _b logins, handed out at rotation 2, keep working until rotation 4" in said
