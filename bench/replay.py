"""The benchmarks' floor, derived from the program itself: its custom resources replayed directly.

`record` takes what one evaluation of the real program registered (type, name, inputs with secrets
still marked, provider) and the provider functions it called; `replay` declares exactly that with
the same provider SDK classes, without config parsing, validation, components or routing. Being
derived, the floor cannot drift from the program: tests/program/bench/test_replay.py checks they match.
"""

from __future__ import annotations

import base64
import importlib
import re
from collections.abc import Callable
from typing import Any

import dill
import pulumi
import pulumi.dynamic
from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret

from tools import evaluator

SECRET = "__secret__"
PACKAGES = {"github": "pulumi_github", "vercel": "pulumiverse_vercel", "random": "pulumi_random"}
"""Pulumi package name -> the Python SDK module that declares its resources."""
STACK_REFERENCE = "pulumi:pulumi:StackReference"
DYNAMIC = "pulumi-python:dynamic:Resource"


class _DynamicResource(pulumi.dynamic.Resource):
    """A dynamic resource of the default module, as infra.components.migration.AlembicMigration is."""


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _plain(value: Any) -> Any:
    """State as JSON: Pulumi secrets become {"__secret__": value} so the replay keeps them secret."""
    if is_rpc_secret(value):
        return {SECRET: _plain(unwrap_rpc_secret(value))}
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _input(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {SECRET}:
            return pulumi.Output.secret(_input(value[SECRET]))
        return {key: _input(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_input(item) for item in value]
    return value


def record(evaluation: evaluator.Evaluation) -> dict[str, Any]:
    """The custom resources, invokes and outputs of one evaluation, as JSON-able data (secrets marked)."""
    resources = []
    for urn, inputs in evaluation.inputs.items():
        options = evaluation.options.get(urn)
        if options is not None and not options.custom:
            continue  # a component: the floor has none
        provider = options.provider.split("::")[-2] if options and options.provider else ""
        resources.append(
            {
                "type": evaluator.resource_type(urn),
                "name": evaluator.resource_name(urn),
                "inputs": _plain(inputs),
                "provider": provider,
            }
        )
    invokes = [
        {"token": invoke.token, "args": invoke.args, "provider": invoke.provider.split("::")[-2]}
        for invoke in evaluation.invokes
    ]
    outputs = {
        name: _plain(value) for name, value in evaluation.outputs.items() if not isinstance(value, pulumi.Output)
    }
    return {"resources": resources, "invokes": invokes, "outputs": outputs}


def _resource_class(type_token: str) -> Callable[..., pulumi.CustomResource]:
    package, _, rest = type_token.partition(":")
    if package == "pulumi" and rest.startswith("providers:"):
        return importlib.import_module(PACKAGES[rest.split(":")[1]]).Provider  # type: ignore[no-any-return]
    return getattr(importlib.import_module(PACKAGES[package]), type_token.rsplit(":", 1)[1])  # type: ignore[no-any-return]


def replay(recording: dict[str, Any]) -> None:
    """Declare the recorded resources and call the recorded functions directly (a Pulumi program)."""
    entries = recording["resources"]
    providers: dict[str, pulumi.ProviderResource] = {}
    for entry in entries:
        if entry["type"].startswith("pulumi:providers:"):
            provider = _resource_class(entry["type"])(entry["name"], **_kwargs(entry["inputs"]))
            providers[entry["name"]] = provider  # type: ignore[assignment]
    for invoke in recording["invokes"]:
        package, _, function = invoke["token"].rpartition(":")
        call = getattr(importlib.import_module(PACKAGES[package.split(":")[0]]), f"{_snake(function)}_output")
        call(**_kwargs(invoke["args"]), opts=pulumi.InvokeOutputOptions(provider=providers[invoke["provider"]]))
    for entry in entries:
        opts = pulumi.ResourceOptions(provider=providers[entry["provider"]]) if entry["provider"] else None
        if entry["type"].startswith("pulumi:providers:"):
            continue
        if entry["type"] == STACK_REFERENCE:
            pulumi.StackReference(entry["name"], stack_name=entry["inputs"]["name"])
        elif entry["type"] == DYNAMIC:
            inputs = dict(entry["inputs"])
            pickled = inputs.pop("__provider")[SECRET]
            # Our own pickle of infra.migration.AlembicProvider, made by the recorded evaluation.
            provider = dill.loads(base64.b64decode(pickled))  # noqa: S301
            _DynamicResource(provider, entry["name"], _input(inputs), opts)
        else:
            _resource_class(entry["type"])(entry["name"], opts=opts, **_kwargs(entry["inputs"]))
    for name, value in recording["outputs"].items():
        pulumi.export(name, _input(value))


def _kwargs(inputs: dict[str, Any]) -> dict[str, Any]:
    """Recorded inputs as the SDK class's keyword arguments (nested keys may stay camelCase)."""
    return {_snake(key): _input(value) for key, value in inputs.items()}
