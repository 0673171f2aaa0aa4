"""Runs the policy pack's validators the way the policy SDK does, over registered resources."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policy.rules import POLICIES
from tools import evaluator


def plain(value: Any) -> Any:
    """Inputs as the policy SDK hands them to a validator: secrets unwrapped."""
    if is_rpc_secret(value):
        return plain(unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def _options() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], False, [], PolicyCustomTimeouts(0, 0, 0), [], None)


def stack_violations(resources: list[tuple[str, dict[str, Any]]]) -> dict[str, dict[str, list[str]]]:
    """Every policy over a stack of (type, props) resources: violations by resource name, then policy."""
    found: dict[str, dict[str, list[str]]] = {}

    def reporter(policy: str, name: str) -> Callable[..., None]:
        def report(message: str, urn: str | None = None) -> None:
            where = urn.rsplit("::", 1)[1] if urn else name
            found.setdefault(where, {}).setdefault(policy, []).append(message)

        return report

    stack = []
    for index, (resource_type, props) in enumerate(resources):
        name = f"r{index}"
        urn = f"urn:pulumi:s::p::{resource_type}::{name}"
        stack.append(PolicyResource(resource_type, props, urn, name, _options(), None, None, [], {}))
        for policy in POLICIES:
            if isinstance(policy, ResourceValidationPolicy):
                args = ResourceValidationArgs(resource_type, props, urn, name, _options(), None)
                policy.validate(args, reporter(policy.name, name))
    for policy in POLICIES:
        if isinstance(policy, StackValidationPolicy):
            policy.validate(StackValidationArgs(stack), reporter(policy.name, "stack"))
    return found


def violations(resource_type: str, props: dict[str, Any]) -> dict[str, list[str]]:
    """Every policy over one resource (a stack of its own): violations by policy name."""
    return stack_violations([(resource_type, props)]).get("r0", {})


def evaluation_violations(evaluation: evaluator.Evaluation) -> dict[str, dict[str, list[str]]]:
    """Every policy over every registered resource; empty when the whole evaluation passes."""
    return stack_violations(
        [
            (evaluator.resource_type(urn), plain(registration.state))
            for urn, registration in evaluation.resources.items()
        ]
    )
