"""Prints the shell script that gives one stack its three environments in this (the infra) repository.

    python -m tools.ci_environments STACK [--repository OWNER/REPO] [--visibility private|public|internal]
                                          [--github-plan PLAN] [--backend s3|cloud]

Each stack's CI jobs run in environments of their own, so whoever holds one stack's credentials holds
no other's; which environments exist and what gates them follows this repository's plan and visibility
(tools/ci_layout.py says which and why). The script first checks that GitHub shows the repository with
the visibility given here, and changes nothing when it does not.

The script is printed for review, never run: pipe it to `sh` from a terminal once it looks right. It
needs `gh` (logged in) and `jq`, stops at the first failure, and checks before any `gh` command that the
stack's passphrase file exists. Secret values are never on the command line: the passphrase comes from
~/.config/tenantguard/<stack>.passphrase (none for a KMS stack), and `gh` asks for every other value
on the terminal, after the script has said which value belongs there.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from infra.tables.github_plans import PLANS, VISIBILITIES, Plan
from infra.tables.tiers import profile_for
from tools import evaluator
from tools.ci_layout import PASSPHRASE, CiEnvironment, CiLayoutError, layout, reviewers_available
from tools.plan.stack_files import StackFileError, owner_plan, read_stack_file
from tools.plan.workflows import DEFAULT_INFRA_REPOSITORY

DEFAULT_REPOSITORY = DEFAULT_INFRA_REPOSITORY
BACKEND_ROLE = "PULUMI_BACKEND_ROLE"
FIRST_DEPLOY = 'README, "The first deploy", step 1'


def passphrase_file(stack: str) -> str:
    """Where README and the bootstrap keep a stack's passphrase (created 0600, never committed)."""
    return f"~/.config/tenantguard/{stack}.passphrase"


def kms_key(stack: str, directory: Path) -> str | None:
    """The AWS KMS key a stack file names as its secrets provider, or None for a passphrase stack.

    Pulumi takes a stack file's `secretsprovider`, unless it is empty, `passphrase` or `default`, as a
    cloud KMS provider that decrypts the file's `encryptedkey` and never reads a passphrase
    (pulumi/pulumi@1b5949891b3c: GetSecretsManager in pkg/cmd/pulumi/stack/secrets.go, then
    NewCloudSecretsManager in pkg/secrets/cloud/manager.go, which calls the keeper's Decrypt).
    """
    path = evaluator.stack_file(stack, directory)
    try:
        document = evaluator.load_stack_yaml(path.read_text()) or {}
    except (OSError, yaml.YAMLError):
        return None  # read_stack_file has already said what is wrong with the file
    provider = document.get("secretsprovider") if isinstance(document, dict) else None
    if not isinstance(provider, str) or provider in ("", "passphrase", "default"):
        return None
    parts = urlsplit(provider)
    if parts.scheme != "awskms":
        raise StackFileError(
            f"Pulumi.{stack}.yaml's secretsprovider is a {parts.scheme or 'malformed'} key: the workflows obtain "
            "cloud credentials for awskms:// keys only (.github/actions/pulumi, input aws-role)"
        )
    # Shown from its parsed parts (key id or alias), never the string as given.
    return f"awskms://{parts.netloc}{parts.path}"


def _say(message: str) -> str:
    return f"printf '%s\\n' {shlex.quote(message)} >&2"


def _refuse_unless(test: str, message: str) -> str:
    return f"{test} || {{ {_say('ci_environments: ' + message)}; exit 1; }}"


@dataclass(frozen=True)
class _Stack:
    """What the prompts name: the stack, its tier, its Vercel team, its KMS key, where it runs."""

    name: str
    tier: str
    vercel_team: str
    key: str | None
    repository: str
    backend: str
    production_stack: bool


def _what_goes_in(name: str, environment: CiEnvironment, stack: _Stack) -> str:
    """What the operator must paste for a secret or variable, so a write token never lands in a read environment."""
    if name == "INFRA_GITHUB_READ_TOKEN":
        return (
            "the READ-ONLY GitHub token (read access only; never the write token: this environment runs "
            "pull-request or scheduled code)"
        )
    if name == "INFRA_GITHUB_TOKEN":
        return (
            f"the WRITE GitHub token of the {stack.tier} tier (Administration, Environments, Secrets, Variables: "
            "write on the app repositories; README, Tokens)"
        )
    if name == "INFRA_VERCEL_TOKEN":
        return f"a Vercel token scoped to the Vercel team of this stack ({stack.vercel_team}) only"
    if name == "PULUMI_ACCESS_TOKEN":
        # "Stack Read: Basic read-only access to stacks. Allows for running previews."
        # (https://www.pulumi.com/docs/administration/concepts/rbac/permission-sets/)
        grant = "Stack Write" if environment.writes else "Stack Read (enough for previews)"
        # The guard's StackReference reads production's outputs: without Stack Read there, every run fails.
        reference = " and Stack Read on the production stack it checks against" if stack.production_stack else ""
        return f"a Pulumi Cloud team token whose team has {grant} on the stack {stack.name}{reference}, nothing else"
    reach = []
    if stack.backend == "s3":
        reach.append(
            f"read and write the objects of {stack.name} under .pulumi/ (state, locks, history, backups)"
            if environment.writes
            else f"only read (get, list) the state objects of {stack.name} and .pulumi/meta.yaml"
        )
        if stack.production_stack:
            reach.append("read the state object of the production stack it checks against")
    if stack.key:
        reach.append(f"call kms:Decrypt on {stack.key}")
    trust = f"its trust policy admits repo:{stack.repository}:environment:{environment.name} only"
    return f"the ARN of the IAM role that may {' and '.join(reach)}, nothing else; {trust}"


def _preamble(stack: str, tier: str, repository: str, key: str | None, visibility: str) -> list[str]:
    """Stop on the first failure, and refuse before any change when something the script relies on is not so."""
    lines = [
        # Piped to sh: stop at the first failing command, and on an unset variable.
        "set -eu",
        f"# {stack} ({tier} tier): its environments in {repository}.",
        "# Needs gh (logged in to GitHub) and jq; run it from a terminal: gh asks for each token there.",
    ]
    if key is None:
        lines.append(
            _refuse_unless(
                f"test -s {passphrase_file(stack)}",
                f"{passphrase_file(stack)} is missing or empty: create it first ({FIRST_DEPLOY}); nothing was changed",
            )
        )
    else:
        lines += [
            f"# Pulumi.{stack}.yaml names a KMS key as its secrets provider, {key}:",
            "# Pulumi decrypts the stack's data key with it and reads no passphrase, so no environment gets",
            f"# PULUMI_CONFIG_PASSPHRASE. Each environment's role ({BACKEND_ROLE}) needs kms:Decrypt on that key",
            "# and nothing else of it.",
        ]
    for tool, what in (("gh", "the GitHub CLI, https://cli.github.com"), ("jq", "https://jqlang.org")):
        lines.append(
            _refuse_unless(f"command -v {tool} >/dev/null", f"{tool} ({what}) is not installed; nothing was changed")
        )
    lines.append(
        _refuse_unless(
            "(: </dev/tty) 2>/dev/null", "no terminal to ask for the tokens on: run it from one; nothing was changed"
        )
    )
    # What each environment gets was decided for this visibility: GitHub's answer must agree before any change.
    lines.append(
        _refuse_unless(
            f'test "$(gh api repos/{repository} --jq .visibility)" = {visibility}',
            f"{repository} is not {visibility} on GitHub: run this again with --visibility as GitHub shows it, "
            "which decides what its environments can have; nothing was changed",
        )
    )
    return lines


def _jq_object(body: dict[str, object], reviewer_teams: int) -> str:
    """The request body as a jq expression: JSON, with the reviewer teams' ids from jq variables $t0, $t1, ..."""
    fields = [f"{json.dumps(name)}: {json.dumps(value)}" for name, value in sorted(body.items())]
    if reviewer_teams:
        teams = ", ".join(f'{{"type": "Team", "id": $t{index}}}' for index in range(reviewer_teams))
        fields.append(f'"reviewers": [{teams}]')
    return "{" + ", ".join(fields) + "}"


def commands(
    stack: str,
    repository: str,
    backend: str,
    directory: Path,
    *,
    visibility: str = "private",
    github_plan: Plan | None = None,
) -> list[str]:
    config = read_stack_file(stack, directory)
    profile = profile_for(str(config.get("tier", "")))
    if profile is None:
        raise StackFileError(f"Pulumi.{stack}.yaml names no tier this program knows")
    key = kms_key(stack, directory)
    owner = repository.split("/", maxsplit=1)[0]
    plan = github_plan or owner_plan(owner, directory)
    try:
        ci = layout(stack, profile, plan, visibility, backend=backend, kms=key is not None)
    except CiLayoutError as refused:
        raise StackFileError(str(refused)) from None
    teams = [str(team) for team in config.get("reviewerTeams") or []]
    vercel_team = str(config.get("vercelTeamId") or "vercelTeamId")
    about = _Stack(stack, profile.tier, vercel_team, key, repository, backend, bool(config.get("productionStack")))
    lines = _preamble(stack, profile.tier, repository, key, visibility)
    known = f"GitHub {plan}" if plan else "a plan no stack file names (see --github-plan)"
    lines.append(f"# {repository} is {visibility} on {known}: {ci.summary}.")
    if not reviewers_available(plan, visibility):
        lines.append("# GitHub has no environment reviewers, wait timers or admin-bypass setting here: none is sent.")
    if any(environment.reviewers for environment in ci.environments) and teams:
        lines.append("# The reviewers are the stack's own reviewerTeams; their ids:")
        for index, team in enumerate(teams):
            lines.append(f"team_{index}=$(gh api orgs/{owner}/teams/{shlex.quote(team)} --jq .id)")
    role = backend == "s3" or key is not None
    if backend == "s3":
        lines.append(
            "# Backend roles: `pulumi preview` never writes to an object-storage backend (pulumi/pulumi@1b5949891b3c"
        )
        lines.append(
            "# pkg/backend/diy/backend.go: Preview takes no lock, and apply persists snapshots, history and backups"
        )
        lines.append(
            "# only when not a dry run), so the -pr and -read roles only read; only the deploy role writes state."
        )
    for environment in ci.environments:
        reviewer_teams = len(teams) if environment.reviewers else 0
        arguments = "".join(f' --argjson t{i} "$team_{i}"' for i in range(reviewer_teams))
        body = _jq_object(environment.request_body(), reviewer_teams)
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
        asked = [*(name for name in environment.secrets if name != PASSPHRASE), *([BACKEND_ROLE] if role else [])]
        for name in environment.secrets:
            if name == PASSPHRASE:
                # gh reads a secret from standard input when that is not a terminal (cli/cli
                # pkg/cmd/secret/set/set.go getBody): the passphrase file here, the terminal below.
                lines.append(
                    f"gh secret set {name} --env {environment.name} --repo {repository} < {passphrase_file(stack)}"
                )
        for name in asked:
            what = _what_goes_in(name, environment, about)
            lines.append(_say(f"{environment.name} needs {name}: {what}. Paste it at the prompt of gh."))
            # gh asks for the value on the terminal: the script itself is on standard input.
            kind = "variable" if name == BACKEND_ROLE else "secret"
            lines.append(f"gh {kind} set {name} --env {environment.name} --repo {repository} < /dev/tty")
    return lines


# What GitHub accepts as an owner and a repository name; the script names them unquoted, so nothing
# else may reach it. Stack names as Pulumi accepts them (pkg/tokens: letters, digits, `-`, `_`, `.`).
_REPOSITORY = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}")
_STACK = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.ci_environments", description=__doc__.split("\n\n")[0])
    parser.add_argument("stack")
    parser.add_argument("--repository", default=DEFAULT_REPOSITORY, help="this repository, OWNER/REPO")
    parser.add_argument(
        "--backend",
        choices=("s3", "cloud"),
        default="s3",
        help="object storage, reached through an OIDC role (default), or Pulumi Cloud (PULUMI_ACCESS_TOKEN)",
    )
    parser.add_argument(
        "--visibility",
        choices=VISIBILITIES,
        default="private",
        help="this repository's visibility on GitHub (default private); the script checks it before any change",
    )
    parser.add_argument(
        "--github-plan",
        choices=PLANS,
        help="the plan of the repository's owner, when no stack file names that owner (githubOwner, githubPlan)",
    )
    parser.add_argument("--dir", type=Path, default=evaluator.ROOT)
    args = parser.parse_args(argv)
    for value, accepted, refusal in (
        (
            args.repository,
            _REPOSITORY,
            "--repository is not accepted: give OWNER/REPO as GitHub spells them "
            "(letters, digits and '-' in the owner; letters, digits, '.', '_' and '-' in the name)",
        ),
        (
            args.stack,
            _STACK,
            "the stack name is not accepted: letters, digits, '.', '_' and '-', "
            "starting with a letter or digit, at most 100 characters",
        ),
    ):
        if not accepted.fullmatch(value):
            print(f"ci_environments: {refusal}", file=sys.stderr)
            return 2
    try:
        lines = commands(
            args.stack,
            args.repository,
            args.backend,
            args.dir,
            visibility=args.visibility,
            github_plan=args.github_plan,
        )
        print("\n".join(lines))
    except StackFileError as broken:
        print(f"ci_environments: {broken}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
