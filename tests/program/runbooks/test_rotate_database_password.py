"""docs/how-to/rotate-database-password.md, its config lines on the real staging program: a provided rotation
changes only the two URLs where they land; a generated one changes only the inactive logins' passwords and switches
CI_DB_URL and DATABASE_URL to them. The SQL runs in tests/database/runbooks/."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret

from infra.tables import type_tokens as types
from tests import runbooks
from tests.fakes import generate_in_stack_file, generated_overrides
from tests.program.runbooks import harness
from tools import evaluator

pytestmark = pytest.mark.slow

Run = Callable[..., evaluator.Evaluation]
PAGE = "how-to/rotate-database-password.md"
PROVIDED = "Rotate a provided database password"
GENERATED = "Rotate generated database credentials"
STACK = "staging"
PLAN = f"./scripts/plan --stack {STACK}"
EXPORT = re.compile(
    r'export NEW_[A-Z]+_LOGIN="tenantguard_[a-z]+_\$\(date -u \+%Y%m%d\)" '
    r'NEW_[A-Z]+_PASSWORD="\$\(openssl rand -hex 24\)"'
)
PSQL = re.compile(r'psql "\$ADMIN_URL" -v ON_ERROR_STOP=1( -v [a-z_]+=("\$[A-Z_]+"|[a-z_]+))+')
PIPE = re.compile(
    r"printf '%s' \"postgresql://\$\{NEW_[A-Z]+_LOGIN\}:\$\{NEW_[A-Z]+_PASSWORD\}@[^\"]+\" "
    r"\| (?P<pulumi>pulumi config set .+)"
)
EXPORTED = {
    "NEW_APP_LOGIN": "tenantguard_app_20261207",
    "NEW_APP_PASSWORD": "0" * 48,
    "NEW_CI_LOGIN": "tenantguard_ci_20261207",
    "NEW_CI_PASSWORD": "1" * 48,
}


def values_of(evaluation: evaluator.Evaluation, type_token: str) -> dict[str, object]:
    found = {}
    for name, state in evaluation.named(type_token).items():
        value = state.get("value", state.get("database_url"))
        found[name] = unwrap_rpc_secret(value) if is_rpc_secret(value) else value
    return found


def provided_changes() -> tuple[list[str], dict[str, str]]:
    """The procedure's lines all known, and what each pipe hands `pulumi config set` on standard input."""
    lines = runbooks.commands(PAGE, "Steps", PROVIDED)
    assert harness.unknown(lines, EXPORT, PSQL, PIPE, f"{PLAN} --require-secrets") == []
    typed = {}
    for line in lines:
        if (pipe := PIPE.fullmatch(line)) is not None:
            change = runbooks.config_change(pipe["pulumi"])
            assert change is not None
            assert (change.stack, change.secret, change.asked) == (STACK, True, True)
            printf = line.split(" | ")[0]
            typed[change.key] = subprocess.run(
                ["bash", "-c", printf], env=EXPORTED, capture_output=True, text=True, check=True
            ).stdout
    return lines, typed


def test_a_provided_rotation_changes_only_the_two_urls_where_they_land(run_stack: Run) -> None:
    _, typed = provided_changes()
    assert typed == {
        "databaseUrl": "postgresql://tenantguard_app_20261207:" + "0" * 48 + "@db.staging.internal:5432/tenantguard",
        "ciDbUrl": "postgresql://tenantguard_ci_20261207:" + "1" * 48 + "@db.staging.internal:5432/tenantguard",
    }
    before = run_stack(STACK)
    after = run_stack(STACK, typed)
    assert harness.difference(before, after).names() == {
        "added": [],
        "removed": [],
        # CI_DB_URL in each app repository, the migration's URL, and DATABASE_URL on Vercel.
        "changed": sorted(
            [
                "database-alembic",
                "tenantguard-secrets-CI_DB_URL",
                "tenantguard-worker-secrets-CI_DB_URL",
                "vercel-DATABASE_URL",
            ]
        ),
    }
    secrets = values_of(after, types.ENVIRONMENT_SECRET)
    assert secrets["tenantguard-secrets-CI_DB_URL"] == typed["ciDbUrl"]
    assert values_of(after, types.VERCEL_VARIABLE)["vercel-DATABASE_URL"] == typed["databaseUrl"]


def test_the_plan_line_of_a_provided_rotation_passes_with_every_secret_set(stack_dir: Path) -> None:
    lines, _ = provided_changes()
    for stack in ("production", STACK):
        harness.with_every_secret(stack_dir, stack)
    changes = [runbooks.config_change(PIPE.fullmatch(line)["pulumi"]) for line in lines if PIPE.fullmatch(line)]  # type: ignore[index]
    harness.apply_to_stack_file(stack_dir, STACK, [change for change in changes if change is not None])
    assert runbooks.commands(PAGE, "Verify", PROVIDED) == [f"{PLAN} --require-secrets"]
    status, output = harness.run_plan(f"{PLAN} --require-secrets", stack_dir)
    assert status == 0, output
    assert "database credentials: provided" in output


def generated_changes() -> list[runbooks.ConfigChange]:
    lines = runbooks.commands(PAGE, "Steps", GENERATED)
    assert harness.unknown(lines, PLAN) == []
    return harness.changes(PAGE, GENERATED, STACK)


def test_a_generated_rotation_changes_only_the_inactive_logins_and_switches_the_urls(run_stack: Run) -> None:
    at_one = {key: value for key, value in generated_overrides(STACK, 1).items() if value is not None}
    rotated = runbooks.applied(generated_changes(), at_one, {})
    assert rotated["databaseRotation"] == "2"

    before = run_stack(STACK, generated_overrides(STACK, 1))
    after = run_stack(STACK, {**generated_overrides(STACK, 1), **rotated})

    assert harness.difference(before, after).names() == {
        "added": [],
        "removed": [],
        "changed": sorted(
            [
                # The _b logins' passwords: their keeper moves from rotation 0 to 2 (pulumi-random replaces them).
                "database-roles-app-b-password",
                "database-roles-migrator-b-password",
                # The observer has one login, renewed every rotation.
                "database-roles-observer-password",
                # CI_DB_URL and DATABASE_URL, now the _b logins, and the migration's URL.
                "tenantguard-secrets-CI_DB_URL",
                "tenantguard-worker-secrets-CI_DB_URL",
                "database-alembic",
                "vercel-DATABASE_URL",
            ]
        ),
    }
    passwords = after.named(types.RANDOM_PASSWORD)
    keepers = {name: state["keepers"]["rotation"] for name, state in passwords.items()}
    assert keepers["database-roles-app-a-password"] == "1"  # the running deployment's login keeps its password
    assert keepers["database-roles-app-b-password"] == "2"
    assert str(values_of(after, types.ENVIRONMENT_SECRET)["tenantguard-secrets-CI_DB_URL"]).startswith(
        "postgresql://tg_staging_migrator_b:"
    )
    assert str(values_of(after, types.VERCEL_VARIABLE)["vercel-DATABASE_URL"]).startswith(
        "postgresql://tg_staging_app_b:"
    )


def test_the_plan_lines_of_a_generated_rotation_name_the_logins_handed_out(stack_dir: Path) -> None:
    generate_in_stack_file(stack_dir, STACK)
    status, before = harness.run_plan(PLAN, stack_dir)
    assert status == 0, before
    assert "database credentials: generated, rotation 1" in before
    harness.apply_to_stack_file(stack_dir, STACK, generated_changes())
    assert runbooks.commands(PAGE, "Verify", GENERATED) == [PLAN]
    status, output = harness.run_plan(PLAN, stack_dir)
    assert status == 0, output
    said = " ".join(output.split())
    assert (
        "database credentials: generated, rotation 2: CI_DB_URL as tg_staging_migrator_b, DATABASE_URL as "
        "tg_staging_app_b; the _a logins, handed out at rotation 1, keep working until rotation 3: redeploy the app "
        f"before that one (docs/{PAGE}#{runbooks.anchor(GENERATED)})"
    ) in said
