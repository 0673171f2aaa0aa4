"""Prints the `gh` commands that give one stack its three environments in this (the infra) repository.

    python -m tools.ci_environments STACK [--repository OWNER/REPO] [--backend s3|cloud]

Each stack's CI jobs run in environments of their own, so whoever holds one stack's credentials holds
no other's (README, "One trust boundary per stack"):

    infra-STACK-pr    pull-request previews: any branch, read-only tokens; reviewers in production tiers
    infra-STACK       deploys: main only, write tokens; reviewers in production tiers
    infra-STACK-read  the daily drift check: main only, read-only tokens, no reviewer

The commands are printed for review, never run: pipe them to `sh` once they look right, from a terminal.
Secret values are never on the command line: the passphrase comes from the stack's passphrase file
(~/.config/tenantguard/<stack>.passphrase), and `gh` asks for every other value on the terminal.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from infra.tiers import profile_for
from tools import evaluator
from tools.plan import StackFileError, ci_environment_names, read_stack_file

DEFAULT_REPOSITORY = "tenantguard/tenantguard-infra"
PASSPHRASE = "PULUMI_CONFIG_PASSPHRASE"  # noqa: S105 - the secret's name


@dataclass(frozen=True)
class Environment:
    name: str
    purpose: str
    branches: tuple[str, ...]
    """Branches that may run jobs in it; empty means any (pull requests run on refs/pull/N/merge)."""
    reviewers: bool
    secrets: tuple[str, ...]


def environments(stack: str, production_tier: bool, backend: str) -> list[Environment]:
    backend_token = ("PULUMI_ACCESS_TOKEN",) if backend == "cloud" else ()
    key = (PASSPHRASE, *backend_token)
    read = (*key, "INFRA_GITHUB_READ_TOKEN", "INFRA_VERCEL_TOKEN")
    previews, deploys, drift = ci_environment_names(stack)
    return [
        Environment(previews, "pull-request previews", (), production_tier, read),
        Environment(deploys, "deploys", ("main",), production_tier, (*key, "INFRA_GITHUB_TOKEN", "INFRA_VERCEL_TOKEN")),
        Environment(drift, "drift checks", ("main",), False, read),
    ]


def passphrase_file(stack: str) -> str:
    """Where README and the bootstrap keep a stack's passphrase (created 0600, never committed)."""
    return f"~/.config/tenantguard/{stack}.passphrase"


def commands(stack: str, repository: str, backend: str, directory: Path) -> list[str]:
    config = read_stack_file(stack, directory)
    profile = profile_for(str(config.get("tier", "")))
    if profile is None:
        raise StackFileError(f"Pulumi.{stack}.yaml names no tier this program knows")
    owner = repository.split("/", maxsplit=1)[0]
    production_tier = profile.reviewers_required
    teams = [str(team) for team in config.get("reviewerTeams") or []]
    lines = [f"# {stack} ({profile.tier} tier): its environments in {repository}"]
    if production_tier and teams:
        lines.append("# The reviewers are the stack's own reviewerTeams; their ids:")
        for index, team in enumerate(teams):
            lines.append(f"team_{index}=$(gh api orgs/{owner}/teams/{shlex.quote(team)} --jq .id)")
    for environment in environments(stack, production_tier, backend):
        policy = "{protected_branches: false, custom_branch_policies: true}" if environment.branches else "null"
        reviewers = ""
        arguments = ""
        if environment.reviewers and teams:
            arguments = "".join(f' --argjson t{i} "$team_{i}"' for i in range(len(teams)))
            reviewers = ", reviewers: [" + ", ".join(f'{{type: "Team", id: $t{i}}}' for i in range(len(teams))) + "]"
        # Nobody, admins included, skips an environment's reviewers or branch rule (GitHub's default lets them).
        # These are this repository's CI environments, not the app deployment environments the stacks
        # declare (their wait timer is waitTimerMinutes): a reviewer's approval is the wait here.
        body = (
            f"{{prevent_self_review: true, wait_timer: 0, can_admins_bypass: false, "
            f"deployment_branch_policy: {policy}{reviewers}}}"
        )
        lines += ["", f"# {environment.name}: {environment.purpose}"]
        # PUT /repos/{owner}/{repo}/environments/{name} (GitHub REST, "Create or update an environment").
        lines.append(
            f"jq -n{arguments} {shlex.quote(body)} | "
            f"gh api --method PUT repos/{repository}/environments/{environment.name} --input -"
        )
        for branch in environment.branches:
            # POST .../environments/{name}/deployment-branch-policies ("Create a deployment branch policy").
            lines.append(
                f"gh api --method POST repos/{repository}/environments/{environment.name}/deployment-branch-policies"
                f" -f name={branch} -f type=branch"
            )
        for name in environment.secrets:
            # gh reads a secret from standard input when that is not a terminal (cli/cli
            # pkg/cmd/secret/set/set.go getBody): give it the passphrase file, or the terminal to ask on.
            source = passphrase_file(stack) if name == PASSPHRASE else "/dev/tty"
            lines.append(f"gh secret set {name} --env {environment.name} --repo {repository} < {source}")
        if backend == "s3":
            # gh asks for the value: the IAM role whose trust policy admits this environment's OIDC
            # subject, repo:OWNER/REPO:environment:NAME (GitHub docs, "OpenID Connect reference").
            lines.append(f"gh variable set PULUMI_BACKEND_ROLE --env {environment.name} --repo {repository} < /dev/tty")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.ci_environments", description=__doc__.split("\n\n")[0])
    parser.add_argument("stack")
    parser.add_argument("--repository", default=DEFAULT_REPOSITORY, help="this repository, OWNER/REPO")
    parser.add_argument(
        "--backend", choices=("s3", "cloud"), default="s3", help="object storage (OIDC) or Pulumi Cloud"
    )
    parser.add_argument("--dir", type=Path, default=evaluator.ROOT)
    args = parser.parse_args(argv)
    try:
        print("\n".join(commands(args.stack, args.repository, args.backend, args.dir)))
    except StackFileError as broken:
        print(f"ci_environments: {broken}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
