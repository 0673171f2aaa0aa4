"""DatabaseMigration in each stack: its pickled provider and its place in the graph, under Pulumi's mocks."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret

from infra.tables import type_tokens as types
from tenantguard_db import migrate
from tests.fakes import fake_secrets
from tests.helpers import STACKS, assert_no_secret
from tools import evaluator

DYNAMIC = types.DYNAMIC


def test_provider_pickle_holds_no_secret_and_stays_small(evaluated: dict[str, evaluator.Evaluation]) -> None:
    for stack, evaluation in evaluated.items():
        (migration,) = evaluation.of_type(DYNAMIC)
        assert is_rpc_secret(migration.state["__provider"])
        pickled = unwrap_rpc_secret(migration.state["__provider"])
        # dill pickles the provider by reference (infra.migration.AlembicProvider): tens of bytes.
        assert b"infra.migration" in base64.b64decode(pickled)
        assert len(pickled) < 200
        assert_no_secret(stack, [pickled])


@pytest.mark.parametrize("stack", STACKS)
def test_migration_carries_head_and_runs_after_its_secrets(
    evaluated: dict[str, evaluator.Evaluation], stack: str
) -> None:
    evaluation = evaluated[stack]
    ((urn, migration),) = [(urn, r) for urn, r in evaluation.resources.items() if DYNAMIC in urn]
    assert migration.state["revision"] == migrate.head_revision()
    assert is_rpc_secret(migration.state["database_url"])
    assert unwrap_rpc_secret(migration.state["database_url"]) == fake_secrets(stack)["ciDbUrl"]
    dependencies = evaluation.options[urn].dependencies
    for repository in ("tenantguard", "tenantguard-worker"):
        assert any(dep.endswith(f"::{repository}-secrets-CI_DB_URL") for dep in dependencies)
    assert any(dep.endswith("::vercel-DATABASE_URL") for dep in dependencies)
    assert evaluation.outputs["migrationRevision"] == migrate.head_revision()


def test_migrations_can_be_turned_off_per_stack(run_stack: Callable[..., evaluator.Evaluation]) -> None:
    evaluation = run_stack("staging", {"runMigrations": "false"})
    assert evaluation.of_type(DYNAMIC) == []
    assert evaluation.outputs["migrationsEnabled"] is False
