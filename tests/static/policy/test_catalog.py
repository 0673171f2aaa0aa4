"""The pack's catalog against the installed SDKs: every resource type classified, every input it names real.

Read from the SDKs' source (pulumi_github, pulumiverse_vercel), so a new version that adds a resource type,
a secret input or a deprecated secret argument fails here until the catalog says what it carries.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pulumi_github
import pytest

from policy.catalog import GITHUB, VERCEL, Carries, Kind

SITE_PACKAGES = Path(pulumi_github.__file__).resolve().parent.parent
PACKAGES = {"pulumi_github": GITHUB, "pulumiverse_vercel": VERCEL}

SECRET_IN_THE_SDK_PLAINTEXT_HERE = {
    # A deployment's own variables, set on that one deployment beside the project's: the pack holds them to
    # the plaintext rules (no credential, no managed name) so credentials go to sensitive project variables.
    ("vercel:index/deployment:Deployment", "environment"),
}


@dataclass(frozen=True)
class SdkType:
    inputs: frozenset[str]
    """Input names as the provider's schema spells them (camelCase)."""
    secret_inputs: frozenset[str]
    """Inputs the SDK registers as additional secret outputs."""
    deprecated: frozenset[str]


def _getter_name(function: ast.FunctionDef) -> str | None:
    for decorator in function.decorator_list:
        if isinstance(decorator, ast.Attribute) and ast.unparse(decorator) == "pulumi.getter":
            return function.name
        if isinstance(decorator, ast.Call) and ast.unparse(decorator.func) == "pulumi.getter":
            for keyword in decorator.keywords:
                if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                    return str(keyword.value.value)
            return function.name
    return None


def _getters(cls: ast.ClassDef) -> dict[str, bool]:
    """Each input's schema name, and whether the SDK marks it deprecated."""
    found: dict[str, bool] = {}
    for node in cls.body:
        if isinstance(node, ast.FunctionDef) and (name := _getter_name(node)) is not None:
            deprecated = any("deprecated" in ast.unparse(decorator) for decorator in node.decorator_list)
            found[name] = found.get(name, False) or deprecated
    return found


def _type_token(cls: ast.ClassDef) -> str | None:
    for node in ast.walk(cls):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "__init__"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            return str(node.args[0].value)
    return None


@cache
def sdk_types(package: str) -> dict[str, SdkType]:
    """Every resource type (and the provider) of an installed SDK, by type token."""
    found = {}
    for module in sorted((SITE_PACKAGES / package).glob("*.py")):
        text = module.read_text()
        tree = ast.parse(text)
        classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
        for cls in classes.values():
            bases = {ast.unparse(base) for base in cls.bases}
            if not bases & {"pulumi.CustomResource", "pulumi.ProviderResource"} or (token := _type_token(cls)) is None:
                continue
            if "pulumi.ProviderResource" in bases:
                token = f"pulumi:providers:{token}"
            # RepositoryPages takes RepositoryPagesInitArgs: its Args name would clash with a nested type's.
            args = classes.get(f"{cls.name}Args") or classes[f"{cls.name}InitArgs"]
            getters = _getters(args)
            secret = re.findall(r'"(\w+)"', " ".join(re.findall(r"additional_secret_outputs=\[([^\]]*)\]", text)))
            found[token] = SdkType(
                frozenset(getters),
                frozenset(secret) & frozenset(getters),
                frozenset(k for k, d in getters.items() if d),
            )
    return found


@cache
def nested_inputs(package: str) -> frozenset[str]:
    """Every input name of every nested type (`_inputs.py`): where list entries and objects' fields are declared."""
    tree = ast.parse((SITE_PACKAGES / package / "_inputs.py").read_text())
    return frozenset(name for node in tree.body if isinstance(node, ast.ClassDef) for name in _getters(node))


@pytest.mark.slow
def test_the_sdks_are_read() -> None:
    assert len(sdk_types("pulumi_github")) > 80
    assert len(sdk_types("pulumiverse_vercel")) > 60
    assert "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret" in sdk_types("pulumi_github")
    assert "pulumi:providers:vercel" in sdk_types("pulumiverse_vercel")


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_every_resource_type_of_the_installed_sdk_is_classified(package: str) -> None:
    unclassified = set(sdk_types(package)) - set(PACKAGES[package])
    assert not unclassified, f"classify in policy/catalog.py what these types can carry: {sorted(unclassified)}"


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_the_catalog_lists_only_types_the_sdk_has(package: str) -> None:
    assert set(PACKAGES[package]) <= set(sdk_types(package))


def _named_inputs(kind: Kind) -> tuple[set[str], set[str]]:
    """(top-level inputs, inputs of list entries or nested objects) the catalog names for a type."""
    top: set[str] = set(kind.skip)
    nested: set[str] = set()
    for slot in kind.named:
        fields = {slot.name, *slot.values} - {None}
        if slot.entries:
            top.add(slot.entries)
            nested |= {str(name) for name in fields}
        else:
            top |= {str(name) for name in fields}
    for path in kind.secret_paths:
        top.add(path[0])
        nested |= set(path[1:])
    return top, nested


@pytest.mark.slow
@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_every_input_the_catalog_names_is_one_of_the_sdk(package: str) -> None:
    for token, kind in PACKAGES[package].items():
        top, nested = _named_inputs(kind)
        assert top <= sdk_types(package)[token].inputs, token
        assert nested <= nested_inputs(package), token


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_every_input_the_sdk_keeps_secret_has_its_place_in_the_catalog(package: str) -> None:
    for token, sdk in sdk_types(package).items():
        kind = PACKAGES[package][token]
        top, _ = _named_inputs(kind)
        for name in sdk.secret_inputs:
            if (token, name) in SECRET_IN_THE_SDK_PLAINTEXT_HERE:
                continue
            assert name in top, f"{token}: the SDK keeps {name} secret; say in policy/catalog.py where it lands"
            assert Carries.SECRET in kind.carries, token


def test_secret_arguments_follow_the_sdks_deprecations() -> None:
    for token, kind in GITHUB.items():
        if kind.arguments is None:
            continue
        sdk = sdk_types("pulumi_github")[token]
        values = set(kind.arguments.current) | set(kind.arguments.deprecated)
        assert set(kind.arguments.deprecated) == sdk.deprecated & values, token
        assert values <= sdk.inputs, token


def test_a_secret_holding_type_says_so() -> None:
    for kind in (*GITHUB.values(), *VERCEL.values()):
        if kind.secret_paths or kind.arguments:
            assert Carries.SECRET in kind.carries


GATE_INPUTS = {
    "github:index/repositoryEnvironment:RepositoryEnvironment": (
        {"repository", "environment", "reviewers", "preventSelfReview", "canAdminsBypass", "waitTimer"}
        | {"deploymentBranchPolicy"},
        {"teams", "users", "customBranchPolicies"},
    ),
    "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy": (
        {"repository", "environment", "branchPattern", "tagPattern"},
        set(),
    ),
    "github:index/repositoryDeploymentBranchPolicy:RepositoryDeploymentBranchPolicy": (
        {"repository", "environmentName", "name"},
        set(),
    ),
    "github:index/repositoryRuleset:RepositoryRuleset": (
        {"repository", "name", "target", "enforcement", "bypassActors", "conditions", "rules"},
        {"refName", "includes", "excludes", "deletion", "nonFastForward", "pullRequest"}
        | {"requiredApprovingReviewCount", "dismissStaleReviewsOnPush", "requireLastPushApproval"}
        | {"requireCodeOwnerReview", "requiredReviewers", "reviewer", "type", "minimumApprovals", "filePatterns"},
    ),
    "github:index/repositoryFile:RepositoryFile": ({"repository", "file", "content", "branch"}, set()),
}
"""What production's gate reads (policy/production.py, rulesets.py), as the provider's schema names it."""


@pytest.mark.parametrize("token", sorted(GATE_INPUTS))
def test_the_production_gate_reads_inputs_the_sdk_has(token: str) -> None:
    top, nested = GATE_INPUTS[token]
    assert top <= sdk_types("pulumi_github")[token].inputs
    assert nested <= nested_inputs("pulumi_github")
