"""Non-production stacks refuse the production database; production and its secrets survive renames."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any

import pulumi
import pytest
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from infra import offline
from infra.guard import FINGERPRINT_OUTPUT, fingerprint
from tests.conftest import FINGERPRINT_KEY, PRODUCTION_STACK_NAME, fake_secrets, secret_needles

PRODUCTION_URL = fake_secrets("production")["ciDbUrl"]


def test_fingerprint_ignores_credentials_and_options() -> None:
    same = "postgresql://other:pw@DB-production.internal:5432/tenantguard"
    assert fingerprint(PRODUCTION_URL, FINGERPRINT_KEY) == fingerprint(same, FINGERPRINT_KEY)
    assert fingerprint(PRODUCTION_URL, FINGERPRINT_KEY) != fingerprint(
        PRODUCTION_URL.replace("5432", "5433"), FINGERPRINT_KEY
    )
    assert fingerprint(PRODUCTION_URL, FINGERPRINT_KEY) != fingerprint(PRODUCTION_URL, "another-key-0123456789")


def test_production_exports_its_fingerprint_and_no_password(evaluated: dict[str, offline.Evaluation]) -> None:
    exported = evaluated["production"].outputs[FINGERPRINT_OUTPUT]
    assert exported == fingerprint(PRODUCTION_URL, FINGERPRINT_KEY)
    assert "CiPwproduction" not in str(evaluated["production"].outputs)


@pytest.mark.parametrize("stack", ["preview", "staging"])
def test_reusing_the_production_database_is_refused(run_stack: Callable[..., offline.Evaluation], stack: str) -> None:
    reused = PRODUCTION_URL.replace("CiPwproductionXq71", f"CiPw{stack}Xq71").replace("?sslmode=require", "")
    with pytest.raises(offline.ProgramFailedError) as failure:
        run_stack(stack, {"ciDbUrl": reused})
    assert "tenantguard-infra:ciDbUrl points at the production database" in str(failure.value)
    for needle in secret_needles(stack):
        assert needle not in str(failure.value)
    written = [urn for urn in failure.value.resources if "CI_DB_URL" in urn or "dynamic:Resource" in urn]
    assert written == []


def test_an_unreadable_production_stack_warns_and_goes_on(run_stack: Callable[..., offline.Evaluation]) -> None:
    evaluation = run_stack("staging", stack_outputs={PRODUCTION_STACK_NAME: {}})
    assert any("was skipped" in line for line in evaluation.logs)
    assert evaluation.of_type("github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret")


def test_own_database_passes_the_guard(evaluated: dict[str, offline.Evaluation]) -> None:
    assert not any("was skipped" in line for line in evaluated["staging"].logs)


def test_a_component_moved_with_an_alias_keeps_its_urn() -> None:
    """Renaming a logical name replaces real resources unless an alias names the old URN."""
    old = "urn:pulumi:production::tenantguard-infra::tenantguard:environment:DeploymentEnvironment::tenantguard"

    def program() -> None:
        class Renamed(pulumi.ComponentResource):
            def __init__(self) -> None:
                super().__init__(
                    "tenantguard:environment:DeploymentEnvironment",
                    "tenantguard-app",
                    None,
                    pulumi.ResourceOptions(aliases=[pulumi.Alias(name="tenantguard")]),
                )
                self.register_outputs({})

        Renamed()

    registered = run_program(program)
    ((options),) = [o for urn, o in registered.items() if urn.endswith("::tenantguard-app")]
    assert options.aliases
    alias_urns = {alias.get("urn") or alias_urn(alias) for alias in options.aliases}
    assert old in alias_urns


def alias_urn(alias: dict[str, Any]) -> str:
    spec = alias.get("spec", {})
    return (
        f"urn:pulumi:production::tenantguard-infra::{spec.get('type', 'tenantguard:environment:DeploymentEnvironment')}"
        f"::{spec.get('name')}"
    )


def run_program(program: Callable[[], None]) -> dict[str, offline.Options]:
    def run() -> dict[str, offline.Options]:
        monitor = offline.RecordingMonitor(offline.OfflineMocks({}))
        pulumi_settings.ROOT.set(None)
        pulumi.runtime.set_mocks(monitor.mocks, project="tenantguard-infra", stack="production", monitor=monitor)
        _sync_await(run_pulumi_func(program))
        return monitor.options

    return contextvars.copy_context().run(run)


def test_no_production_stack_configured_warns_that_the_check_is_off(
    run_stack: Callable[..., offline.Evaluation],
) -> None:
    evaluation = run_stack("preview", {"productionStack": None})
    assert any("tenantguard-infra:productionStack is empty" in line for line in evaluation.logs)
    assert not evaluation.of_type("pulumi:pulumi:StackReference")
