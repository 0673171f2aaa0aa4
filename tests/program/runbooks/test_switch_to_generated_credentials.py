"""docs/how-to/switch-to-generated-credentials.md, its config lines on the real staging program and the CI project:
the stack makes its roles and hands out their URLs, its migration off for the switch and on again after, the
administrative URL only in the stack's deploy environment. The SQL runs in tests/database/runbooks/."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret

from infra.tables import type_tokens as types
from tests import runbooks
from tests.program.ci import harness as ci
from tests.program.runbooks import harness
from tools import evaluator
from tools.ci_layout import DB_ADMIN_URL

pytestmark = pytest.mark.slow

Run = Callable[..., evaluator.Evaluation]
PAGE = "how-to/switch-to-generated-credentials.md"
STACK = "staging"
PLAN = f"./scripts/plan --stack {STACK}"
CI_UP = 'GITHUB_TOKEN="$(gh auth token)" pulumi -C ci up --stack ci --policy-pack policy'
PIPE = re.compile(
    r"printf '%s' \"postgresql://tg_admin:\$\{ADMIN_PASSWORD\}@[^\"]+\" \| (?P<pulumi>pulumi -C ci config set .+)"
)
KNOWN = (
    'export ADMIN_PASSWORD="$(openssl rand -hex 24)"',
    'psql "$MASTER_URL" -v ON_ERROR_STOP=1 -v password="$ADMIN_PASSWORD"',
    'export ADMIN_URL="postgresql://tg_admin:${ADMIN_PASSWORD}@db.staging.internal:5432/tenantguard?sslmode=require"',
    'psql "$ADMIN_URL" -v ON_ERROR_STOP=1',
    f"{PLAN} --require-secrets",
    CI_UP,
    PIPE,
)
ADMIN_PASSWORD = "0123456789abcdef" * 3


def lines() -> list[str]:
    found = runbooks.commands(PAGE, "Steps")
    assert harness.unknown(found, *KNOWN) == []
    return found


def stack_changes() -> tuple[list[runbooks.ConfigChange], list[runbooks.ConfigChange]]:
    """The stack's config lines of the two pull requests (the switch, then migrations back on)."""
    *_, switch, migrations = harness.split_at(lines(), harness.GIT[0])
    return main_project(switch), main_project(migrations)


def main_project(part: list[str]) -> list[runbooks.ConfigChange]:
    """The config lines of the main project (the `-C ci` one is the CI project's), each changing the stack."""
    found = [c for line in part if (c := runbooks.config_change(line)) is not None and c.directory == "."]
    assert {c.stack for c in found} == {STACK}
    return found


def value(state: dict[str, object], key: str = "value") -> object:
    found = state[key]
    return unwrap_rpc_secret(found) if is_rpc_secret(found) else found


def test_the_switch_hands_out_the_generated_logins_with_the_migration_off_then_on(run_stack: Run) -> None:
    switch, migrations = stack_changes()
    assert [(c.verb, c.key) for c in switch] == [
        ("set", "databaseCredentials"),
        ("set", "databaseServer"),
        ("set", "runMigrations"),
        ("rm", "ciDbUrl"),
        ("rm", "databaseUrl"),
    ]
    keys = ("databaseCredentials", "databaseServer", "runMigrations", "ciDbUrl", "databaseUrl")
    start = run_stack(STACK)
    switched_values = runbooks.applied(switch, {"ciDbUrl": "typed", "databaseUrl": "typed"}, {})
    switched = run_stack(STACK, {key: switched_values.get(key) for key in keys})

    assert switched.outputs["migrationsEnabled"] is False
    assert str(switched.outputs["databaseCredentials"]).startswith(
        "generated, rotation 1: CI_DB_URL as tg_staging_migrator_a, DATABASE_URL as tg_staging_app_a"
    )
    secrets = {state["secretName"]: value(state) for state in switched.named(types.ENVIRONMENT_SECRET).values()}
    variables = {state["key"]: value(state) for state in switched.named(types.VERCEL_VARIABLE).values()}
    assert str(secrets["CI_DB_URL"]).startswith("postgresql://tg_staging_migrator_a:")
    assert str(variables["DATABASE_URL"]).startswith("postgresql://tg_staging_app_a:")
    assert str(secrets["CI_DB_URL"]).endswith("@db.staging.internal:5432/tenantguard?sslmode=require")
    difference = harness.difference(start, switched)
    # Everything added is the roles' (and their provider's); the migration leaves the stack for this one deploy (its
    # delete touches no database: infra/migration.py), and nothing else is deleted.
    assert difference.names()["removed"] == ["database", "database-alembic"]
    # The roles' component (tenantguard:...), its roles and grants, their passwords and the PostgreSQL provider.
    added = {evaluator.resource_type(urn).split(":")[0] for urn in difference.added}
    assert added == {"tenantguard", "postgresql", "random", "pulumi"}

    assert [(c.verb, c.key, c.value) for c in migrations] == [("set", "runMigrations", "true")]
    after = runbooks.applied(migrations, switched_values, {})
    migrating = run_stack(STACK, {key: after.get(key) for key in keys})
    assert migrating.outputs["migrationsEnabled"] is True
    assert harness.difference(switched, migrating).names() == {
        "added": ["database", "database-alembic"],
        "removed": [],
        "changed": [],
    }
    (migration,) = migrating.named(types.DYNAMIC).values()
    assert str(value(migration, "database_url")).startswith("postgresql://tg_staging_migrator_a:")


def test_the_ci_project_puts_the_administrative_url_in_the_deploy_environment_only(stack_dir: Path) -> None:
    switch, _ = stack_changes()
    harness.apply_to_stack_file(stack_dir, STACK, switch)
    pipe = next(found for line in lines() if (found := PIPE.fullmatch(line)))
    change = runbooks.config_change(pipe["pulumi"])
    assert change is not None
    assert (change.directory, change.stack, change.key, change.secret, change.path) == (
        "ci",
        "ci",
        f"dbAdminUrls.{STACK}",
        True,
        True,
    )
    printf = pipe[0].split(" | ")[0]
    admin_url = subprocess.run(
        ["bash", "-c", printf], env={"ADMIN_PASSWORD": ADMIN_PASSWORD}, capture_output=True, text=True, check=True
    ).stdout
    assert admin_url == f"postgresql://tg_admin:{ADMIN_PASSWORD}@db.staging.internal:5432/tenantguard?sslmode=require"
    values = runbooks.applied([change], ci.config_values(), {}, {change.key: admin_url})
    evaluation = ci.evaluate(values, (*ci.SECRET_OBJECTS, "dbAdminUrls"), directory=stack_dir)
    holding = sorted(
        state["environment"]
        for state in evaluation.named(types.ENVIRONMENT_SECRET).values()
        if state["secretName"] == DB_ADMIN_URL
    )
    assert holding == [f"infra-{STACK}"]


def test_the_plan_lines_say_the_stack_generates_its_credentials(stack_dir: Path) -> None:
    switch, _ = stack_changes()
    for stack in ("production", STACK):
        harness.with_every_secret(stack_dir, stack)
    harness.apply_to_stack_file(stack_dir, STACK, switch)
    status, output = harness.run_plan(f"{PLAN} --require-secrets", stack_dir)
    assert status == 0, output
    assert runbooks.commands(PAGE, "Verify") == [PLAN]
    status, output = harness.run_plan(PLAN, stack_dir)
    assert status == 0, output
    said = " ".join(output.split())
    assert (
        "database credentials: generated, rotation 1: CI_DB_URL as tg_staging_migrator_a, DATABASE_URL as "
        "tg_staging_app_a; the _b logins are not handed out yet"
    ) in said
