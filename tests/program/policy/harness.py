"""Runs the policy pack's validators the way the policy SDK does, over registered resources.

The Pulumi CLI starts a policy pack with the stack's config in `PULUMI_CONFIG` (Pulumi.yaml's
defaults merged in), and pulumi-policy loads it into Pulumi's runtime config before each analysis;
the harness sets the same config, in a context of its own, around each run. As the engine does,
resource policies see a resource's inputs and stack policies its outputs (for a StackReference, the
other stack's exports).
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pulumi
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

from infra.config.schema import declared_config
from infra.tables.type_tokens import full_key
from policy.rules import POLICIES
from tools import evaluator

Violations = dict[str, dict[str, list[str]]]
Resource = tuple[str, dict[str, Any]] | tuple[str, dict[str, Any], dict[str, Any]]
"""(type, props), or (type, inputs, outputs) when they differ."""


def plain(value: Any) -> Any:
    """Inputs as the policy SDK hands them to a validator: secrets unwrapped."""
    if is_rpc_secret(value):
        return plain(unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def cli_config(values: Mapping[str, Any] | None = None) -> dict[str, str]:
    """A stack's config as the CLI hands it to a policy pack: full keys, Pulumi.yaml's defaults merged in.

    `values` are keys without the project prefix; a value that is not a string is sent as JSON, as the
    CLI sends arrays and objects.
    """
    merged = {key: spec["default"] for key, spec in declared_config().items() if "default" in spec}
    merged.update(values or {})
    return {full_key(key): value if isinstance(value, str) else json.dumps(value) for key, value in merged.items()}


def _options() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], False, [], PolicyCustomTimeouts(0, 0, 0), [], None)


def _run(resources: Sequence[Resource]) -> Violations:
    found: Violations = {}

    def reporter(policy: str, name: str) -> Callable[..., None]:
        def report(message: str, urn: str | None = None) -> None:
            where = urn.rsplit("::", 1)[1] if urn else name
            found.setdefault(where, {}).setdefault(policy, []).append(message)

        return report

    stack = []
    for index, (resource_type, inputs, *outputs) in enumerate(resources):
        name = f"r{index}"
        urn = f"urn:pulumi:s::p::{resource_type}::{name}"
        stack.append(PolicyResource(resource_type, (outputs or [inputs])[0], urn, name, _options(), None, None, [], {}))
        for policy in POLICIES:
            if isinstance(policy, ResourceValidationPolicy):
                args = ResourceValidationArgs(resource_type, inputs, urn, name, _options(), None)
                policy.validate(args, reporter(policy.name, name))
    for policy in POLICIES:
        if isinstance(policy, StackValidationPolicy):
            policy.validate(StackValidationArgs(stack), reporter(policy.name, "stack"))
    return found


def stack_violations(resources: Sequence[Resource], config: Mapping[str, str] | None = None) -> Violations:
    """Every policy over a stack of (type, props) resources: violations by resource name, then policy.

    `config` is the stack's config as the CLI passes it (`cli_config()`: Pulumi.yaml's defaults).
    """
    passed = cli_config() if config is None else dict(config)

    def run() -> Violations:
        pulumi.runtime.set_all_config(passed)
        return _run(resources)

    return contextvars.copy_context().run(run)


def violations(
    resource_type: str, props: dict[str, Any], config: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """Every policy over one resource (a stack of its own): violations by policy name."""
    return stack_violations([(resource_type, props)], config).get("r0", {})


def evaluation_violations(evaluation: evaluator.Evaluation, values: Mapping[str, Any] | None = None) -> Violations:
    """Every policy over every registered resource, with the stack's config; empty when the whole evaluation passes.

    `values` is the config the program was given (keys without prefix); None: Pulumi.yaml's defaults only.
    """
    return stack_violations(
        [
            (
                evaluator.resource_type(urn),
                plain(evaluation.inputs.get(urn, registration.state)),
                plain(registration.state),
            )
            for urn, registration in evaluation.resources.items()
        ],
        cli_config(values),
    )
