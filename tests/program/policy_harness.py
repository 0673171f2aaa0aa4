"""Runs the policy pack's validators the way the policy SDK does, over registered resources."""

from __future__ import annotations

from typing import Any

from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret
from pulumi_policy import PolicyCustomTimeouts, PolicyResourceOptions, ResourceValidationArgs, ResourceValidationPolicy

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


def violations(resource_type: str, props: dict[str, Any], name: str = "r") -> dict[str, list[str]]:
    """Run every policy's validate with a collecting reporter."""
    found: dict[str, list[str]] = {}
    for policy in POLICIES:
        assert isinstance(policy, ResourceValidationPolicy)
        messages: list[str] = []
        urn = f"urn:pulumi:s::p::{resource_type}::{name}"
        options = PolicyResourceOptions(False, [], False, [], PolicyCustomTimeouts(0, 0, 0), [], None)
        args = ResourceValidationArgs(resource_type, props, urn, name, options, None)

        def report(message: str, _urn: str | None = None, sink: list[str] = messages) -> None:
            sink.append(message)

        policy.validate(args, report)
        if messages:
            found[policy.name] = messages
    return found


def evaluation_violations(evaluation: evaluator.Evaluation) -> dict[str, dict[str, list[str]]]:
    """Violations of every registered resource, by URN; empty when the whole evaluation passes."""
    found = {}
    for urn, registration in evaluation.resources.items():
        if reported := violations(evaluator.resource_type(urn), plain(registration.state)):
            found[urn] = reported
    return found
