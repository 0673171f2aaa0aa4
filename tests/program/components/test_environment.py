"""DeploymentEnvironment on its own: a renamed component keeps its resources through one alias."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.resource import inherited_child_alias
from pulumi.runtime.sync_await import _sync_await

from infra.components.environment import DeploymentEnvironment, DeploymentEnvironmentArgs
from infra.config.approval_gate import Protection
from infra.tables import type_tokens as types
from tools import evaluator

ARGS = DeploymentEnvironmentArgs(
    repository="tenantguard",
    environment="production",
    reviewer_team_ids=[42],
    deployment_branches=["main"],
    protection=Protection(
        reviewers=True,
        prevent_self_review=True,
        wait_timer_minutes=5,
        can_admins_bypass=False,
        ruleset=False,
        gate="environment reviewers",
    ),
)


class UrnAliasMonitor(evaluator.RecordingMonitor):
    """A monitor without alias specs: the SDK then sends every alias as the full URN it preserves."""

    def GetDeploymentInfo(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        info = super().GetDeploymentInfo(request)  # type: ignore[no-untyped-call] # untyped in the SDK
        features = [f for f in info.supportedFeatures if f != resource_pb2.RESOURCE_MONITOR_FEATURE_ALIAS_SPECS]
        return resource_pb2.DeploymentInfo(supportedFeatures=features)


def registrations(name: str, opts: pulumi.ResourceOptions | None = None) -> dict[str, evaluator.Options]:
    """Options of what DeploymentEnvironment(name) registers, by URN (the stack itself left out)."""

    def program() -> None:
        DeploymentEnvironment(name, ARGS, opts)

    evaluation = evaluator.run_program(program, "production", monitor=UrnAliasMonitor)
    return {urn: options for urn, options in evaluation.options.items() if "pulumi:pulumi:Stack::" not in urn}


def root_urn(urn: str) -> str:
    """The URN the engine gives a stack-level resource (the mock monitor prefixes the Stack type)."""
    return urn.replace("::pulumi:pulumi:Stack$", "::")


def test_renaming_the_component_with_an_alias_preserves_every_urn() -> None:
    before = {root_urn(urn) for urn in registrations("tenantguard")}
    after = registrations("tenantguard-app", pulumi.ResourceOptions(aliases=[pulumi.Alias(name="tenantguard")]))
    component = next(urn for urn in after if urn.endswith("::tenantguard-app"))
    (parent_alias,) = [alias["urn"] for alias in after[component].aliases]
    assert parent_alias in before
    # Children are named "<component>-<role>": Pulumi's inherited-alias rule swaps the prefix, so
    # each renamed child maps back onto its old URN (the engine applies this rule to alias specs).
    preserved = {parent_alias}
    for urn in after:
        if urn == component:
            continue
        child_type, child_name = urn.split("::")[2].split("$")[-1], urn.rsplit("::", 1)[1]
        alias = inherited_child_alias(child_name, "tenantguard-app", parent_alias, child_type)
        preserved.add(_sync_await(alias.future()))
    assert preserved == before
    assert any(urn.endswith(f"{types.ENVIRONMENT}::tenantguard-environment") for urn in preserved)


def test_without_an_alias_a_rename_would_replace_everything() -> None:
    before = {root_urn(urn) for urn in registrations("tenantguard")}
    after = registrations("tenantguard-app")
    assert before.isdisjoint(root_urn(urn) for urn in after)
    assert all(not options.aliases for options in after.values())
