"""What the runbook tests share: a page's lines sorted into the ones each test knows, the config they leave a stack
with (as the program's overrides and as a stack file), the offline plan run as the page writes it, and what changed
between two evaluations of the program."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from infra.config.schema import secret_keys
from tests import runbooks
from tests.program.tools.plan.harness import edit
from tools import evaluator

PASSPHRASE = re.compile(
    r"export PULUMI_CONFIG_PASSPHRASE_FILE=~/\.config/tenantguard/(?P<stack>[a-z0-9-]+)\.passphrase; "
    r"unset PULUMI_CONFIG_PASSPHRASE"
)
LOGIN = "pulumi login s3://tenantguard-pulumi-state"
GIT = (
    re.compile(r"git fetch origin && git switch -c [a-z0-9-]+ origin/main"),
    re.compile(r'git add (Pulumi\.[a-z0-9-]+\.yaml ?|ci/Pulumi\.ci\.yaml ?)+ && git commit -m "[^"]+"'),
    re.compile(r"git push -u origin HEAD && gh pr create --fill"),
)
"""A change goes through a pull request: main's ruleset and the reviewers see it, the deploy applies it."""


def unknown(lines: Iterable[str], *known: str | re.Pattern[str]) -> list[str]:
    """The lines that are neither a `pulumi config` line nor one of `known` (exact text or a whole-line pattern)."""
    return runbooks.unknown((line for line in lines if runbooks.config_change(line) is None), [*GIT, *known])


def changes(page: str, within: str | None, stack: str, heading: str = "Steps") -> list[runbooks.ConfigChange]:
    return runbooks.config_changes(runbooks.commands(page, heading, within), stack)


def split_at(lines: list[str], marker: re.Pattern[str]) -> list[list[str]]:
    """`lines` cut before each line matching `marker` (a procedure's separate changes, each from `git switch -c`)."""
    parts: list[list[str]] = []
    for line in lines:
        if marker.fullmatch(line) or not parts:
            parts.append([])
        parts[-1].append(line)
    return parts


FAKE_CIPHERTEXT = "v1:AAAArunbook"
"""What `pulumi config set --secret` writes, as far as the offline plan reads it (tools/plan/stack_files.py)."""


def with_every_secret(stack_dir: Path, stack: str) -> None:
    """The stack file as an operator's is once its secrets are set (README, "Secrets at rest")."""
    write(stack_dir, stack, {key: {"secure": FAKE_CIPHERTEXT} for key in secret_keys()})


def write(stack_dir: Path, stack: str, config: Mapping[str, Any]) -> None:
    """Set (or, with None, remove) project config keys in a stack file, given as a mapping."""
    edit(stack_dir, stack, **config)


def apply_to_stack_file(stack_dir: Path, stack: str, changes: Iterable[runbooks.ConfigChange]) -> None:
    """What the `pulumi config` lines leave in a copy of the stack file: ciphertext for `--secret`, the value as
    written otherwise, one entry of an object for `--path`."""
    path = evaluator.stack_file(stack, stack_dir)
    document = yaml.safe_load(path.read_text())
    config = document["config"]
    for change in changes:
        value: Any = {"secure": FAKE_CIPHERTEXT} if change.secret else change.value
        nested = runbooks.nested_key(change.key) if change.path else None
        if nested is not None:
            top, inner = nested
            entries = config.setdefault(f"tenantguard-infra:{top}", {})
            if change.verb == "rm":
                entries.pop(inner, None)
                if not entries:
                    config.pop(f"tenantguard-infra:{top}")
            else:
                entries[inner] = value
        elif change.verb == "rm":
            config.pop(f"tenantguard-infra:{change.key}", None)
        else:
            config[f"tenantguard-infra:{change.key}"] = value
    path.write_text(yaml.safe_dump(document))


def run_plan(line: str, stack_dir: Path) -> tuple[int, str]:
    """A page's `./scripts/plan ...` line, run as a subprocess on the stack files in `stack_dir` (where the page's
    `pulumi config` lines would have written)."""
    words = shlex.split(line)
    assert words[0] == "./scripts/plan", line
    environment = {name: value for name, value in os.environ.items() if not name.startswith("PYTEST_")}
    result = subprocess.run(
        [*words, "--dir", str(stack_dir)],
        cwd=evaluator.ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    return result.returncode, result.stdout + result.stderr


@dataclass(frozen=True)
class Difference:
    """What `pulumi up` would do, by URN: created, deleted, and updated or replaced (inputs differ)."""

    added: list[str]
    removed: list[str]
    changed: list[str]

    def names(self) -> dict[str, list[str]]:
        """The same, by logical name (the last part of each URN), for readable assertions."""
        return {kind: sorted(evaluator.resource_name(urn) for urn in urns) for kind, urns in vars(self).items()}


def difference(before: evaluator.Evaluation, after: evaluator.Evaluation) -> Difference:
    common = set(before.inputs) & set(after.inputs)
    return Difference(
        added=sorted(set(after.inputs) - set(before.inputs)),
        removed=sorted(set(before.inputs) - set(after.inputs)),
        changed=sorted(urn for urn in common if before.inputs[urn] != after.inputs[urn]),
    )


def extras(values: Mapping[str, str]) -> dict[str, str]:
    return dict(json.loads(values.get("extraSecrets") or "{}"))
