"""Bootstrap a copy of a stack: write Pulumi.<new>.yaml from an existing stack's non-secret config.

    python -m tools.bootstrap staging-eu --from staging [--dir DIR]

The copy keeps the source's tier (said in the output); environment and branch names come from the
new name. Nothing encrypted is copied: the new stack gets a key of its own, and generated secrets
differ per stack by construction. Everything still to do is printed, for that tier.
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from infra.config import PROJECT, full_key, secret_keys
from infra.routes import EXTRA_SECRETS_KEY
from infra.secret_keys import SECRET_KEYS, set_secret_command
from infra.tiers import TierProfile, profile_for
from tools import evaluator
from tools.docs import YAML, stack_file_body

MAX_NAME = 63
STACK_NAME = re.compile(rf"[a-z0-9][a-z0-9-]{{0,{MAX_NAME - 1}}}")
NAME_RULE = f"lowercase letters, digits and '-', starting with a letter or digit, at most {MAX_NAME} characters"
CLAIMS_PRODUCTION = frozenset({"prod", "production", "prd", "live"})
DERIVED = ("environmentName", "deploymentBranches", "vercelGitBranch")
"""Keys whose value comes from the new name."""
NOT_COPIED = ("sessionKeyRotation", "sessionKeyRotatedOn", "acknowledgedSecrets")
"""Keys that describe the source stack's own history: the copy starts afresh."""


class BootstrapError(ValueError):
    """The copy was refused; nothing was written."""


def bootstrap(new: str, source: str, directory: Path) -> tuple[Path, TierProfile, list[str]]:
    """Write the new stack file; returns its path, its tier's profile and what is still to do."""
    if not STACK_NAME.fullmatch(new):
        raise BootstrapError(f"stack name {new!r} is not accepted: use {NAME_RULE}")
    target = evaluator.stack_file(new, directory)
    if target.exists():
        raise BootstrapError(f"{target.name} already exists; refusing to overwrite it")
    source_file = evaluator.stack_file(source, directory)
    if not source_file.exists():
        known = ", ".join(evaluator.known_stacks(directory))
        raise BootstrapError(f"no stack file {source_file.name}; known stacks: {known}")
    try:
        document = evaluator.load_stack_yaml(source_file.read_text()) or {}
    except yaml.YAMLError:
        raise BootstrapError(f"{source_file.name} is not valid YAML; `python -m tools.plan` says where") from None
    config: dict[str, Any] = document.get("config") or {}
    profile = profile_for(str(config.get(full_key("tier"), "")))
    if profile is None:
        raise BootstrapError(f"{source_file.name} names no tier; copy a stack whose tier is set")
    if profile.exports_fingerprint:
        raise BootstrapError(
            f"{source} is a {profile.tier}-tier stack: copying it is refused; production stacks are written by "
            "hand and reviewed, and copies are made from staging or preview stacks"
        )
    claims = CLAIMS_PRODUCTION & set(new.split("-"))
    if claims:
        raise BootstrapError(
            f"stack name {new!r} claims production ({', '.join(sorted(claims))}) but the copy would be a "
            f"{profile.tier}-tier stack, unprotected: choose a name that says what it is"
        )

    secret = set(secret_keys())
    copied: dict[str, Any] = {}
    extra_names: list[str] = []
    for key, value in config.items():
        short = key.split(":", 1)[1] if key.startswith(f"{PROJECT}:") else None
        if short == EXTRA_SECRETS_KEY and isinstance(value, dict):
            extra_names = sorted(value)
            continue
        if (
            short in secret
            or short in DERIVED
            or short in NOT_COPIED
            or (isinstance(value, dict) and "secure" in value)
        ):
            continue
        copied[key] = value
    copied[full_key("environmentName")] = new
    if config.get(full_key("deploymentBranches")):
        copied[full_key("deploymentBranches")] = [new]
    if config.get(full_key("vercelGitBranch")):
        copied[full_key("vercelGitBranch")] = new

    made_by = f"python -m tools.bootstrap {new} --from {source}"
    header = f"# {profile.tier.capitalize()}-tier copy of {source}, made by `{made_by}`.\n"
    generated = YAML.replace("", stack_file_body(new, profile.tier), insert_at_top=True)
    target.write_text(header + generated + yaml.safe_dump({"config": copied}, sort_keys=False))
    repositories = [str(r) for r in config.get(full_key("repositories")) or []]
    owner = str(config.get(full_key("githubOwner"), ""))
    branch = bool(config.get(full_key("deploymentBranches")) or config.get(full_key("vercelGitBranch")))
    return target, profile, next_steps(new, profile, extra_names, owner, repositories if branch else [])


def next_steps(
    new: str, profile: TierProfile, extra_names: Sequence[str], owner: str, branch_repositories: Sequence[str]
) -> list[str]:
    """What remains before the copy deploys, in order, for its tier; commands to run as printed."""
    steps = [
        "Its environments in this repository (one key and token set per stack); review, then pipe to sh:",
        f"  uv run python -m tools.ci_environments {new}",
        "The stack, with a key of its own: a new passphrase, stored in those three environments as"
        " PULUMI_CONFIG_PASSPHRASE",
        '  export PULUMI_CONFIG_PASSPHRASE="$(openssl rand -base64 32)"',
        f"  pulumi stack init {new} --secrets-provider passphrase",
        f"  (or a KMS key of its own: pulumi stack init {new} --secrets-provider 'awskms://alias/...?region=...')",
        "Its secrets, encrypted into the stack file:",
    ]
    for secret_key in SECRET_KEYS:
        value = (
            "'<the value every other stack uses>'"
            if secret_key.shared
            else secret_key.example(f"{new}.internal", profile)
        )
        steps.append(f"  {set_secret_command(secret_key.key, value, stack=new)}")
    steps += [
        f"  {set_secret_command(f'{EXTRA_SECRETS_KEY}.{name}', shlex.quote('...'), stack=new)}" for name in extra_names
    ]
    if branch_repositories:
        steps.append(
            f"The branch {new} it deploys from, in each app repository (the branch rule and Vercel apply there):"
        )
        for repository in branch_repositories:
            slug = f"{owner}/{repository}"
            steps.append(
                f"  gh api repos/{slug}/git/refs -f ref=refs/heads/{new} "
                f'-f sha="$(gh api repos/{slug}/commits/main --jq .sha)"'
            )
    steps += [
        "Check it, then commit the stack file (encrypted values and encryptionsalt included):",
        f"  uv run python -m tools.plan --stack {new} --require-secrets",
        f"  git add Pulumi.{new}.yaml && git commit -m 'Stack {new}'",
        f"Deploy: merge to main; infra-deploy.yml finds the new stack file and deploys it with the {profile.tier} tier",
    ]
    return steps


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bootstrap", description=__doc__.split("\n\n")[0])
    parser.add_argument("new", help=f"name of the new stack, e.g. staging-eu ({NAME_RULE})")
    parser.add_argument("--from", dest="source", required=True, help="existing stack to copy, e.g. staging")
    parser.add_argument("--dir", type=Path, default=evaluator.ROOT, help="where the Pulumi.<stack>.yaml files are")
    args = parser.parse_args(argv)
    try:
        path, profile, steps = bootstrap(args.new, args.source, args.dir)
    except BootstrapError as refused:
        print(f"bootstrap: {refused}", file=sys.stderr)
        return 2
    print(f"wrote {path.name}: a {profile.tier}-tier stack, a copy of {args.source}. Still to do:")
    for step in steps:
        print(f"  {step}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
