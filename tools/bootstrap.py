"""Bootstrap a staging copy: write Pulumi.<new>.yaml from an existing stack's non-secret config.

    python -m tools.bootstrap staging-eu --from staging [--dir DIR]

Environment and branch names are derived from the new name. Secrets are not copied (generated ones
differ per stack by construction): the commands still to run are printed.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from infra.config import PROJECT, full_key, secret_keys
from infra.routes import EXTRA_SECRETS_KEY
from infra.secret_keys import SECRET_KEYS, set_secret_command
from infra.tiers import PROFILES, profile_for
from tools import evaluator

STACK_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
DERIVED = ("environmentName", "deploymentBranches", "vercelGitBranch")


class BootstrapError(ValueError):
    """The copy was refused; nothing was written."""


def bootstrap(new: str, source: str, directory: Path) -> tuple[Path, list[str]]:
    """Write the new stack file; returns its path and the commands still to run."""
    if not STACK_NAME.match(new):
        raise BootstrapError(f"stack name {new!r} is not accepted; use lowercase letters, digits and '-'")
    target = evaluator.stack_file(new, directory)
    if target.exists():
        raise BootstrapError(f"{target.name} already exists; refusing to overwrite it")
    source_file = evaluator.stack_file(source, directory)
    if not source_file.exists():
        known = ", ".join(evaluator.known_stacks(directory))
        raise BootstrapError(f"no stack file {source_file.name}; known stacks: {known}")
    document = yaml.safe_load(source_file.read_text()) or {}
    config: dict[str, Any] = document.get("config") or {}
    if config.get(full_key("tier")) == "production" or source == "production":
        raise BootstrapError("copying from production is refused: bootstrap staging copies from staging or preview")

    secret = set(secret_keys())
    copied: dict[str, Any] = {}
    extra_names: list[str] = []
    for key, value in config.items():
        short = key.split(":", 1)[1] if key.startswith(f"{PROJECT}:") else None
        if short == "extraSecrets" and isinstance(value, dict):
            extra_names = sorted(value)
            continue
        if short in secret or short in DERIVED or (isinstance(value, dict) and "secure" in value):
            continue
        copied[key] = value
    copied[full_key("environmentName")] = new
    if config.get(full_key("deploymentBranches")):
        copied[full_key("deploymentBranches")] = [new]
    if config.get(full_key("vercelGitBranch")):
        copied[full_key("vercelGitBranch")] = new

    header = (
        f"# Copy of {source} made by `python -m tools.bootstrap {new} --from {source}`.\n"
        "# Secrets are not in this file; set them with `pulumi config set --secret` (see README).\n"
    )
    target.write_text(header + yaml.safe_dump({"config": copied}, sort_keys=False))
    return target, next_steps(new, extra_names, str(config.get(full_key("tier"), "")))


def next_steps(new: str, extra_names: Sequence[str], tier: str) -> list[str]:
    profile = profile_for(tier) or PROFILES["staging"]
    commands = [f"pulumi stack init {new}"]
    for secret_key in SECRET_KEYS:
        value = (
            "'<the value every other stack uses>'"
            if secret_key.shared
            else secret_key.example(f"{new}.internal", profile)
        )
        commands.append(set_secret_command(secret_key.key, value, stack=new))
    commands += [set_secret_command(f"{EXTRA_SECRETS_KEY}.{name}", "'<value>'", stack=new) for name in extra_names]
    commands += [
        f"git push origin HEAD:{new}   # the branch this copy deploys from",
        f"uv run python -m tools.plan --stack {new}",
        f"pulumi preview --stack {new} --policy-pack policy",
        f"pulumi up --stack {new} --policy-pack policy",
    ]
    return commands


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bootstrap", description=__doc__.split("\n\n")[0])
    parser.add_argument("new", help="name of the new stack, e.g. staging-eu")
    parser.add_argument("--from", dest="source", required=True, help="existing stack to copy, e.g. staging")
    parser.add_argument("--dir", type=Path, default=evaluator.ROOT, help="where the Pulumi.<stack>.yaml files are")
    args = parser.parse_args(argv)
    try:
        path, commands = bootstrap(args.new, args.source, args.dir)
    except BootstrapError as refused:
        print(f"bootstrap: {refused}", file=sys.stderr)
        return 2
    print(f"wrote {path}; still to run:")
    for command in commands:
        print(f"  {command}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
