"""The keys Pulumi.yaml declares, and a stack's raw config read as their declared types.

A key that is missing, undeclared, of the wrong type, or stored encrypted when it should not be (or the other
way round) is a problem here; the rules modules (infra/config/rules/) then judge the typed values.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, cast

import yaml

from infra.tables.routes import EXTRA_SECRETS_KEY, table_problems
from infra.tables.secret_keys import set_secret_command
from infra.tables.type_tokens import PROJECT, full_key

PROJECT_FILE = Path(__file__).resolve().parents[2] / "Pulumi.yaml"

_INTEGER = re.compile(r"-?[0-9]{1,9}")
# An undeclared key is named only when it is this close (difflib's ratio, after case and separators are
# ignored) to a declared one: `reviewerTeam`, `ciDBUrl`, `deployment_branches`; never a pasted token.
NEAR_MISS_RATIO = 0.8
MAX_EXTRA_CHARACTERS = 2
_KEY_SHAPE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,63}")


@functools.cache
def declared_config() -> Mapping[str, Mapping[str, Any]]:
    """The `config:` block of Pulumi.yaml: every key the program accepts, with type, default and secrecy."""
    project = yaml.safe_load(PROJECT_FILE.read_text())
    return cast(Mapping[str, Mapping[str, Any]], project["config"])


def secret_keys() -> tuple[str, ...]:
    return tuple(key for key, spec in declared_config().items() if spec.get("secret"))


def set_secret_hint(key: str, stack: str) -> str:
    """How to set a secret key, in the words every message uses."""
    return f"set it with `{set_secret_command(key, stack)}` (it asks for the value)"


def _normalised(key: str) -> str:
    return re.sub(r"[-_.]", "", key).casefold()


def _near_miss(key: str) -> str | None:
    """The declared key an unknown key is a misspelling of (case, a separator, a letter or two), if any."""
    if not _KEY_SHAPE.fullmatch(key):
        return None
    by_spelling = {_normalised(declared): declared for declared in declared_config()}
    if _normalised(key) in by_spelling:
        return by_spelling[_normalised(key)]
    close = difflib.get_close_matches(_normalised(key), list(by_spelling), n=1, cutoff=NEAR_MISS_RATIO)
    # At most two characters more than the declared name: a value pasted onto a key name is never shown.
    if not close or len(_normalised(key)) > len(close[0]) + MAX_EXTRA_CHARACTERS:
        return None
    return by_spelling[close[0]]


def _unknown_key_problems(stack: str, unknown: list[str], secret: Collection[str]) -> list[str]:
    """One line per undeclared key that is a near miss of a declared one, and one line for all the others.

    An unknown key's name is shown only when it is a near miss of a declared key: a name may be a value
    pasted in the wrong place (`pulumi config set <token>`), and these lines reach the plan's PR comment.
    Any other shape (even a plain camelCase word) could be a passphrase, so the others are only counted.
    """
    problems: list[str] = []
    hidden = 0
    for key in unknown:
        meant = _near_miss(key)
        if meant is None:
            hidden += 1
        elif meant in secret_keys() and key not in secret:
            problems.append(
                f"{full_key(key)} is not a known key (did you mean {meant}?) and holds plaintext where a secret "
                "belongs: if the stack file was ever committed or shared, rotate it; remove it "
                f"(`pulumi config rm --stack {stack} {key}`) and set the (new) value with "
                f"`{set_secret_command(meant, stack)}`, which asks for it"
            )
        else:
            problems.append(
                f"{full_key(key)} is not a known key; did you mean {meant}? (`pulumi config rm --stack {stack} {key}`)"
            )
    if hidden:
        problems.append(
            f"{PROJECT}: {'1 key' if hidden == 1 else f'{hidden} keys'} not declared in Pulumi.yaml "
            f"{'is' if hidden == 1 else 'are'} set; names not shown, since a name may be a value pasted in the "
            f"wrong place: list the keys with `pulumi config --stack {stack}` "
            f"and remove each with `pulumi config rm --stack {stack} <key>`; accepted keys: "
            f"{', '.join(sorted(declared_config()))}"
        )
    return problems


def _coerce(key: str, spec: Mapping[str, Any], raw: Any) -> tuple[Any, str | None]:  # noqa: PLR0911, PLR0912 - one flat branch per declared type reads best
    """The raw config value (a string, as Pulumi passes it, or already decoded) as its declared type, or None and
    the problem."""
    declared = spec.get("type", "object")
    name = full_key(key)
    if declared == "string":
        if not isinstance(raw, str):
            return None, f"{name} must be a string"
        return raw, None
    if declared == "integer":
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw, None
        if not isinstance(raw, str) or not _INTEGER.fullmatch(raw):
            return None, f"{name} must be a whole number"
        return int(raw), None
    if declared == "boolean":
        if isinstance(raw, bool):
            return raw, None
        if isinstance(raw, str) and raw in ("true", "false"):
            return raw == "true", None
        return None, f"{name} must be true or false"
    value = raw
    if isinstance(raw, str):
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = None
    if declared == "array":
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            return None, f"{name} must be a list of strings"
        return tuple(value), None
    if not isinstance(value, dict) or not all(isinstance(item, str) for item in value.values()):
        return None, f"{name} must be a map of names to string values"
    return value, None


def typed_values(stack: str, values: Mapping[str, Any], secret: Collection[str]) -> tuple[dict[str, Any], list[str]]:
    """Every declared key's value as its declared type (defaults filled in), and the problems found reading them.

    `values` are the stack's config keys without the project prefix; `secret` names the ones stored encrypted.
    The rules read the typed values only when there is no problem here: they assume each key exists with its type.
    """
    declared = declared_config()
    problems = list(table_problems(frozenset(declared)))

    problems += _unknown_key_problems(stack, sorted(set(values) - set(declared)), secret)

    typed: dict[str, Any] = {}
    for key, spec in declared.items():
        if key in values and key in secret and not spec.get("secret") and key != EXTRA_SECRETS_KEY:
            # Used as declared, the value would land in plaintext resource inputs and URNs.
            problems.append(
                f"{full_key(key)} is stored as a secret but is not one, so it would be unwrapped into plaintext "
                f"resource names and inputs; store it in plaintext: `pulumi config rm --stack {stack} {key}` then "
                f"`pulumi config set --stack {stack} {key} <value>`"
            )
            continue
        problem = None
        if key in values:
            typed[key], problem = _coerce(key, spec, values[key])
        elif "default" in spec:
            typed[key], problem = _coerce(key, spec, spec["default"])
        elif spec.get("secret"):
            problem = f"{full_key(key)} is required: {set_secret_hint(key, stack)}"
        else:
            problem = f"{full_key(key)} is required: set it in Pulumi.{stack}.yaml ({spec['description']})"
        if problem is not None:
            problems.append(problem)
        # An empty value holds no secret: it is the declared default the CLI merges in, unencrypted, for a key the
        # stack does not set (ciDbUrl in a stack that generates it; pulumi/pulumi pkg/workspace/config.go mergeConfig).
        if spec.get("secret") and key in values and key not in secret and values[key] != spec.get("default"):
            problems.append(f"{full_key(key)} must be a secret, not plaintext: {set_secret_hint(key, stack)}")
    return typed, problems
