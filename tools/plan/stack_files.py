"""Stack files as the plan reads them: the project's config block, which secrets are set, which are in plaintext."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import yaml

from infra.config.schema import secret_keys
from infra.tables.database_roles import CREDENTIALS_KEY, DATABASE_LOGIN_BY_ROUTE, GENERATED
from infra.tables.github_plans import PLAN_KEY, PLANS, Plan
from infra.tables.routes import EXTRA_SECRETS_KEY, extra_name_shown
from infra.tables.secret_keys import set_secret_command
from infra.tables.tiers import TIERS
from infra.tables.type_tokens import (
    PROJECT,
    full_key,
)
from tools import evaluator
from tools.plan.model import StackPlan


class StackFileError(ValueError):
    """A stack file that cannot be read; the message names the file and, for YAML, the line."""


STACK_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")
"""A stack's name as Pulumi accepts it (its docs: "alphanumeric characters, hyphens, underscores, or periods";
pulumi/pulumi's backends match `^[A-Za-z0-9_.-]{1,100}$`, `stackNameAndProjectRegexp`): no `/`, so `Pulumi.<name>.yaml`
names a file directly inside the stack files' directory."""
STACK_NAME_RULE = "letters, digits, '_', '.' and '-', at most 100 characters"


def stack_file_inside(stack: str, directory: Path) -> Path:
    """`Pulumi.<stack>.yaml` in `directory`, once the name is one Pulumi accepts and the file, or the link it is,
    resolves inside `directory`: a name from the command line never reads a file elsewhere."""
    if not STACK_NAME.fullmatch(stack):
        raise StackFileError(f"{stack!r} is not a stack name Pulumi accepts ({STACK_NAME_RULE})")
    path = evaluator.stack_file(stack, directory)
    if path.is_symlink() and path.resolve().parent != directory.resolve():
        raise StackFileError(f"{path.name} is a link to a file outside {directory}; copy the file instead")
    return path


_SECRET_LIKE = re.compile(r"token|password|passphrase|secret|api_?key|private_?key|credential", re.IGNORECASE)


def read_stack_file(stack: str, directory: Path) -> dict[str, Any]:
    """The project's config block of a stack file, as written (secure values still wrapped)."""
    return {
        key.split(":", 1)[1]: value
        for key, value in _read_config(stack, directory).items()
        if key.startswith(f"{PROJECT}:")
    }


def other_plaintext_secrets(stack: str, directory: Path) -> list[str]:
    """Keys of other namespaces (a provider's `vercel:apiToken`, ...) whose name says secret, held in plaintext."""
    return sorted(
        key
        for key, value in _read_config(stack, directory).items()
        if not key.startswith(f"{PROJECT}:") and _SECRET_LIKE.search(key.split(":")[-1]) and not is_secure(value)
    )


def _read_config(stack: str, directory: Path) -> dict[str, Any]:
    """The whole `config:` block of a stack file, every namespace."""
    path = stack_file_inside(stack, directory)
    try:
        document = evaluator.load_stack_yaml(path.read_text()) or {}
    except FileNotFoundError:
        known = ", ".join(evaluator.known_stacks(directory))
        raise StackFileError(f"no stack file {path.name} in {directory}; known stacks: {known}") from None
    except OSError as error:  # a directory so named, a file it may not read
        raise StackFileError(f"{path.name} cannot be read ({error.strerror or type(error).__name__})") from None
    except yaml.YAMLError as error:
        # The context mark is where the broken construct starts (an unclosed `[`), the problem mark
        # where the parser gave up; name both.
        problem = getattr(error, "problem", None) or "not valid YAML"
        marks = [getattr(error, name, None) for name in ("context_mark", "problem_mark")]
        lines = sorted({mark.line + 1 for mark in marks if mark is not None})
        where = f"{path.name}, line {' to '.join(map(str, lines))}" if lines else path.name
        context = getattr(error, "context", None)
        raise StackFileError(f"{where}: {problem}" + (f" ({context})" if context else "")) from None
    if not isinstance(document, dict) or not isinstance(document.get("config") or {}, dict):
        raise StackFileError(f"{path.name}: expected a mapping with a `config:` mapping")
    return dict(document.get("config") or {})


def _plaintext_leaves(value: Any, path: str) -> Iterator[str]:
    """Config paths below `path` that hold a value not wrapped as `secure:`."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return
        for key, item in value.items():
            yield from _plaintext_leaves(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _plaintext_leaves(item, f"{path}[{index}]")
    elif value is not None:
        yield path


_CIPHERTEXT = re.compile(r"[A-Za-z0-9+/=:_-]+")
"""What Pulumi's ciphertexts are made of (base64, `v1:` prefixes): a URL or a sentence is not one."""


def is_secure(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"secure"} and bool(_CIPHERTEXT.fullmatch(str(value["secure"])))


def plaintext_secret(name: str, key: str, stack: str) -> str:
    """What to do about a secret found in plaintext: anyone who saw the file has it, so a new value, encrypted."""
    return (
        f"{name} is in Pulumi.{stack}.yaml as plaintext: if that file was ever committed or shared, rotate it; "
        f"then set the (new) value encrypted with `{set_secret_command(key, stack)}`, which asks for it and "
        "replaces the plaintext"
    )


def secret_status(stack: str, config: Mapping[str, Any], plan: StackPlan) -> None:
    """Which secret keys the file holds encrypted or lacks; an error for any plaintext at any depth."""
    for key in secret_keys():
        if key not in config:
            if key not in generated_keys(config):
                plan.secrets_missing.append(key)
        elif is_secure(config[key]):
            plan.secrets_set.append(key)
        else:
            plan.errors.append(plaintext_secret(full_key(key), key, stack))
    extras = config.get(EXTRA_SECRETS_KEY, {})
    if extras and not isinstance(extras, dict):
        plan.errors.append(f"{full_key(EXTRA_SECRETS_KEY)} in Pulumi.{stack}.yaml must be a map of names")
        return
    names = sorted(extras or {}, key=str)
    plan.extra_names_as_written = [str(name) for name in names]
    plan.extra_secrets = [name for name in plan.extra_names_as_written if extra_name_shown(name)]
    for position, name in enumerate(names, start=1):
        leaves = list(_plaintext_leaves(extras[name], f"{EXTRA_SECRETS_KEY}.{name}"))
        if leaves and not extra_name_shown(str(name)):
            # Named by its position, as the program names it (infra/config/rules/secret_values.py).
            plan.errors.append(
                f"{full_key(EXTRA_SECRETS_KEY)} (name {position} of {len(names)}) is in Pulumi.{stack}.yaml as "
                "plaintext, under a name that is not accepted and is not shown (it may be a pasted value): if that "
                "file was ever committed or shared, rotate what it holds; then remove the entry from the file"
            )
            continue
        plan.errors.extend(plaintext_secret(full_key(path), path, stack) for path in leaves)


def generated_keys(config: Mapping[str, Any]) -> frozenset[str]:
    """The secret keys a stack file does not hold because the stack generates their values (databaseCredentials)."""
    return frozenset(DATABASE_LOGIN_BY_ROUTE) if config.get(CREDENTIALS_KEY) == GENERATED else frozenset()


def owner_plan(owner: str, directory: Path) -> Plan | None:
    """The GitHub plan the stack files give `owner` (githubPlan of the stacks whose githubOwner it is), if any.

    Stacks of one owner that disagree are a collision (`collisions`); the first stack file's answer is given here.
    """
    for stack in evaluator.known_stacks(directory):
        try:
            config = read_stack_file(stack, directory)
        except StackFileError:
            continue
        plan = config.get(PLAN_KEY)
        if str(config.get("githubOwner", "")).casefold() == owner.casefold() and plan in PLANS:
            return cast(Plan, plan)
    return None


def tier_order(stacks: Sequence[str], directory: Path) -> list[str]:
    """Stacks in the order changes travel (preview, staging, production tiers), by name within a tier."""

    def key(stack: str) -> tuple[int, str]:
        try:
            tier = str(read_stack_file(stack, directory).get("tier", ""))
        except StackFileError:
            tier = ""
        return (TIERS.index(tier) if tier in TIERS else len(TIERS), stack)

    return sorted(stacks, key=key)
