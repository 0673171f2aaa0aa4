"""Bootstrap a copy of a stack: write Pulumi.<new>.yaml from an existing stack's non-secret config.

    python -m tools.bootstrap staging-eu --from staging [--dir DIR]

The copy keeps the source's tier (said in the output); environment and branch names come from the
new name. Nothing encrypted is copied: the new stack gets a key of its own, and generated secrets
differ per stack by construction. Everything still to do is printed, for that tier.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from infra.config.schema import secret_keys
from infra.tables.routes import EXTRA_SECRETS_KEY, extra_name_shown
from infra.tables.secret_keys import SECRET_KEYS, commented, set_secret_command
from infra.tables.tiers import TierProfile, production_claims, profile_for
from infra.tables.type_tokens import PROJECT, full_key
from tools import evaluator
from tools.ci_layout import environment_names
from tools.docs import ci_environments
from tools.docs.blocks import YAML, stack_file_body
from tools.plan.collisions import collisions
from tools.plan.evaluation import plan_all
from tools.plan.stack_files import StackFileError, stack_file_inside, tier_order

MAX_NAME = 63
STACK_NAME = re.compile(rf"[a-z0-9][a-z0-9-]{{0,{MAX_NAME - 1}}}")
NAME_RULE = f"lowercase letters, digits and '-', starting with a letter or digit, at most {MAX_NAME} characters"
DERIVED = ("environmentName", "deploymentBranches", "vercelGitBranch")
"""Keys whose value comes from the new name."""
NOT_COPIED = (
    "sessionKeyRotation",
    "sessionKeyPreviousUntil",
    "sessionKeyRotatedOn",
    "acknowledgedSecrets",
    "acknowledgedProductionServers",
)
"""Keys that describe the source stack's own history: the copy starts afresh."""


class BootstrapError(ValueError):
    """The copy was refused; nothing was written."""


def bootstrap(
    new: str, source: str, directory: Path, vercel_project: str | None = None
) -> tuple[Path, TierProfile, list[str]]:
    """Write the new stack file; returns its path, its tier's profile and what is still to do.

    `vercel_project` gives the copy a Vercel project of its own (`prj_...`), which a preview-tier
    copy needs: its variables would otherwise land on the same preview target as its source's.
    """
    target = evaluator.stack_file(new, directory)
    config, profile = _source(new, source, directory)
    copied, extra_names = _copy(config, new, vercel_project, keep_branches=profile.default_branch_only)
    made_by = f"python -m tools.bootstrap {new} --from {source}"
    header = f"# {profile.tier.capitalize()}-tier copy of {source}, made by `{made_by}`.\n"
    generated = YAML.replace("", stack_file_body(new, profile.tier), insert_at_top=True)
    target.write_text(header + generated + yaml.safe_dump({"config": copied}, sort_keys=False))
    _refuse_collisions(new, source, profile, target, directory)
    repositories = [str(r) for r in config.get(full_key("repositories")) or []]
    owner = str(config.get(full_key("githubOwner"), ""))
    # A branch to create in each app repository; not the default branch a preview-tier copy deploys from.
    branch = not profile.default_branch_only and bool(
        config.get(full_key("deploymentBranches")) or config.get(full_key("vercelGitBranch"))
    )
    return (
        target,
        profile,
        next_steps(new, profile, extra_names, owner, repositories if branch else [], app_repositories=repositories),
    )


def _source(new: str, source: str, directory: Path) -> tuple[dict[str, Any], TierProfile]:
    """The source's config and tier, once the new name and the source are known to be acceptable."""
    if not STACK_NAME.fullmatch(new):
        raise BootstrapError(f"stack name {new!r} is not accepted: use {NAME_RULE}")
    target = evaluator.stack_file(new, directory)
    # A link there, even one pointing nowhere yet, would be written through.
    if target.exists() or target.is_symlink():
        raise BootstrapError(f"Pulumi.{new}.yaml already exists; refusing to overwrite it")
    try:
        source_file = stack_file_inside(source, directory)
    except StackFileError as refused:
        raise BootstrapError(f"--from: {refused}") from None
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
    if not profile.copyable:
        raise BootstrapError(
            f"{source} is a {profile.tier}-tier stack: copying it is refused; production stacks are written by "
            "hand and reviewed, and copies are made from staging or preview stacks"
        )
    # GitHub environment names ignore case, so a copy named `Staging` would share staging's environments.
    taken = {name.casefold(): stack for stack in evaluator.known_stacks(directory) for name in environment_names(stack)}
    clash = sorted({taken[name.casefold()] for name in environment_names(new) if name.casefold() in taken})
    if clash:
        raise BootstrapError(
            f"stack name {new!r} would share this repository's CI environments with {', '.join(clash)} "
            "(infra-<stack>, infra-<stack>-pr, infra-<stack>-read), and so their keys and tokens: choose another"
        )
    claims = production_claims(new)
    if claims:
        raise BootstrapError(
            f"stack name {new!r} claims production ({', '.join(claims)}) but the copy would be a "
            f"{profile.tier}-tier stack, unprotected: choose a name that says what it is"
        )
    return config, profile


def _copy(
    config: dict[str, Any], new: str, vercel_project: str | None, *, keep_branches: bool = False
) -> tuple[dict[str, Any], list[str]]:
    """The source's plain config with the new names; the extra secret names, whose values are not copied.

    `keep_branches`: the tier deploys from the app repositories' default branch, which a copy shares.
    """
    skipped = set(secret_keys()) | set(DERIVED) | set(NOT_COPIED)
    copied: dict[str, Any] = {}
    extra_names: list[str] = []
    for key, value in config.items():
        short = key.split(":", 1)[1] if key.startswith(f"{PROJECT}:") else None
        if short == EXTRA_SECRETS_KEY and isinstance(value, dict):
            # A name the program refuses may be a pasted value: never printed (the source's own plan reports it).
            extra_names = sorted(str(name) for name in value if extra_name_shown(str(name)))
        elif short not in skipped and not (isinstance(value, dict) and "secure" in value):
            copied[key] = value
    copied[full_key("environmentName")] = new
    if config.get(full_key("deploymentBranches")):
        copied[full_key("deploymentBranches")] = config[full_key("deploymentBranches")] if keep_branches else [new]
    if config.get(full_key("vercelGitBranch")):
        copied[full_key("vercelGitBranch")] = new
    if vercel_project is not None:
        copied[full_key("vercelProjectId")] = vercel_project
    return copied, extra_names


def _lead(new: str, source: str, profile: TierProfile, problems: Sequence[str]) -> str:
    """The refusal's first line: the fix that applies to this copy when there is one, else what happened."""
    if profile.vercel_branch_scope == "refused" and any(" both write Vercel variable " in p for p in problems):
        return (
            f"a {profile.tier}-tier copy needs a Vercel project of its own: "
            "run it again with --vercel-project prj_...\n"
            f"({profile.tier}-tier stacks take no Vercel git branch, so {new} would write {source}'s variables)"
        )
    return f"the copy {new} would not plan"


def _refuse_collisions(new: str, source: str, profile: TierProfile, target: Path, directory: Path) -> None:
    """Remove the written copy again when the plan finds it colliding with another stack or invalid."""
    known = evaluator.known_stacks(directory)
    plans = plan_all(tier_order(known, directory), directory, known)
    copy = next(p for p in plans if p.stack == new)
    problems = [problem for problem in collisions(plans) if new in problem] + copy.errors
    if problems:
        target.unlink()
        listed = "".join(f"\n  - {problem}" for problem in problems)
        raise BootstrapError(f"{_lead(new, source, profile, problems)}\nNothing was written; the plan found:{listed}")


CI_STACK = "ci"
RUNBOOK = "docs/how-to/new-staging-copy.md#steps"
"""The runbook these steps come from, with what each does and how to verify it."""


def in_ci(command: str) -> str:
    """A `pulumi` command of the CI project, with the CI stack's own passphrase (the shell's is the new stack's)."""
    return f"PULUMI_CONFIG_PASSPHRASE_FILE={passphrase_file(CI_STACK)} pulumi -C ci {command}"


def ci_config(new: str) -> str:
    """The CI project's config commands for the new stack: its passphrase from its key file, its Vercel token."""
    return (
        in_ci(f"config set --secret --stack {CI_STACK} --path 'passphrases.{new}' < {passphrase_file(new)}")
        + " && "
        + in_ci(f"config set --secret --stack {CI_STACK} --path 'vercelTokens.{new}'")
    )


def runners_command(new: str) -> str:
    """INFRA_RUNNERS, which the CI project manages: the new stack's labels in its config (the others stay)."""
    return (
        in_ci(f"config set --stack {CI_STACK} --path 'runners.{new}[0]' self-hosted")
        + " && "
        + in_ci(f"config set --stack {CI_STACK} --path 'runners.{new}[1]' {new}-net")
    )


def ci_update() -> str:
    """The CI project's update, run by an administrator with their GitHub token (and AWS credentials)."""
    return f'GITHUB_TOKEN="$(gh auth token)" {in_ci(f"up --stack {CI_STACK} --policy-pack policy")}'


def passphrase_file(stack: str) -> str:
    """Where README keeps a stack's passphrase (created 0600, never committed)."""
    return f"~/.config/tenantguard/{stack}.passphrase"


def next_steps(
    new: str,
    profile: TierProfile,
    extra_names: Sequence[str],
    owner: str,
    branch_repositories: Sequence[str],
    *,
    app_repositories: Sequence[str] = (),
) -> list[str]:
    """What remains before the copy deploys, in order, for its tier, and for a preview-tier copy what makes the app
    repositories use it; commands to run as printed."""
    key_file = passphrase_file(new)
    steps = [
        "1. A key of its own: a new passphrase in a file only you read (keep it as you keep the other stacks' keys)",
        # set -C: run twice, it refuses to overwrite the key the stack's ciphertext was made with.
        f"  (set -C && umask 077 && mkdir -p ~/.config/tenantguard && openssl rand -base64 32 > {key_file})",
        f"  export PULUMI_CONFIG_PASSPHRASE_FILE={key_file}; unset PULUMI_CONFIG_PASSPHRASE",
        "  pulumi login s3://tenantguard-pulumi-state   # the team's backend, as the other stacks (README)",
        f"  pulumi stack init --stack {new} --secrets-provider passphrase",
        f"  (or a KMS key of its own: pulumi stack init --stack {new} --secrets-provider 'awskms://alias/...?region=...')",
        "2. Its secrets, encrypted into the stack file; each command asks for its value (none lands in shell history):",
    ]
    secrets = [secret_key.set_line(f"{new}.internal", profile, new) for secret_key in SECRET_KEYS]
    secrets += [(set_secret_command(f"{EXTRA_SECRETS_KEY}.{name}", new), "it asks") for name in extra_names]
    steps += [f"  {line}" for line in commented(secrets)]
    steps += [
        "3. Its CI environments, roles (and KMS key) come from the CI project, which reads the new stack file: its",
        "  passphrase (from the key file) and Vercel token (it asks) into the CI project's config, then its update:",
        f"  {ci_config(new)}",
        "  If its databases are private, the runner labels that reach them (INFRA_RUNNERS; replace the examples):",
        f"  {runners_command(new)}",
        f"  {ci_update()}   # an administrator, with AWS credentials",
    ]
    if branch_repositories:
        steps.append(
            f"4. The branch {new} it deploys from, in each app repository (its branch rule and Vercel apply there):"
        )
        for repository in branch_repositories:
            slug = f"{owner}/{repository}"
            steps.append(
                f"  gh api repos/{slug}/git/refs -f ref=refs/heads/{new} "
                f'-f sha="$(gh api repos/{slug}/commits/main --jq .sha)"'
            )
    steps += [
        "Then check it and commit the stack files (encrypted values and encryptionsalt included):",
        f"  ./scripts/uv run python -m tools.plan --stack {new} --require-secrets",
        f"  git add Pulumi.{new}.yaml ci/Pulumi.ci.yaml docs/reference/ci-environments.md "
        f"&& git commit -m 'Stack {new}'",
        f"Deploy: merge to main; infra-deploy.yml finds the new stack file and deploys it with the {profile.tier} tier",
        f"Each step, how to verify it and how to back out: {RUNBOOK}",
    ]
    if profile.tier == "preview":
        steps += preview_caller(new, owner, app_repositories)
    return steps


def preview_caller(new: str, owner: str, app_repositories: Sequence[str]) -> list[str]:
    """The job each app repository's preview workflow adds for a preview-tier copy: the app repository's own job
    names the copy's environment (named after it) and runs the vercel-preview action with that environment's
    secrets, which reach only a job naming the environment itself (the action's header says why not a reusable
    workflow)."""
    where = ", ".join(f"{owner}/{repository}" for repository in app_repositories) or "each app repository"
    # A job id starts with a letter or _ (GitHub docs, "Workflow syntax", jobs.<job_id>); a stack name may not.
    job = new if new[0].isalpha() else f"preview-{new}"
    return [
        f"Then, in {where}: a job next to `preview` in the preview workflow "
        "(workorders/WO-ci-secrets.md#a-second-preview-environment), "
        "the commit in uses: the same tenantguard-infra commit as the preview job's:",
        f"  {job}:",
        f"    name: Preview database and deployment ({new})",
        "    if: >-",
        "      (github.event_name == 'pull_request_target'"
        " && github.event.pull_request.head.repo.full_name == github.repository",
        "       && github.actor != 'dependabot[bot]')",
        "      || github.event_name == 'push' || github.event_name == 'schedule'",
        "    runs-on: ubuntu-latest  # one that reaches the copy's database server",
        "    timeout-minutes: 30",
        f"    environment: {new}",
        "    concurrency:",
        f"      group: vercel-preview-{new}-${{{{ github.event_name }}}}"
        "-${{ github.event.pull_request.number || github.ref }}",
        "      cancel-in-progress: ${{ github.event_name == 'pull_request_target'"
        " && github.event.action != 'closed' }}",
        "    permissions:",
        "      contents: read",
        "    steps:",
        "      - uses: tenantguard/tenantguard-infra/.github/actions/vercel-preview@<commit>  # pin the commit",
        "        with:",
        f"          environment: {new}",
        "          ci-db-url: ${{ secrets.CI_DB_URL }}",
        "          vercel-token: ${{ secrets.VERCEL_TOKEN }}",
        "          vercel-project-id: ${{ vars.VERCEL_PROJECT_ID }}",
        "          vercel-org-id: ${{ vars.VERCEL_ORG_ID }}",
        "  Its ciDbUrl must name another server or base database than the preview stack's: the pull-request "
        "databases and roles are named from it, and both jobs run for every pull request.",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bootstrap", description=__doc__.split("\n\n")[0])
    parser.add_argument("new", help=f"name of the new stack, e.g. staging-eu ({NAME_RULE})")
    parser.add_argument("--from", dest="source", required=True, help="existing stack to copy, e.g. staging")
    parser.add_argument("--vercel-project", help="a Vercel project of its own (prj_...); a preview-tier copy needs one")
    parser.add_argument("--dir", type=Path, default=evaluator.ROOT, help="where the Pulumi.<stack>.yaml files are")
    args = parser.parse_args(argv)
    try:
        path, profile, steps = bootstrap(args.new, args.source, args.dir, args.vercel_project)
    except BootstrapError as refused:
        print(f"bootstrap: {refused}", file=sys.stderr)
        return 2
    print(f"wrote {path.name}: a {profile.tier}-tier stack, a copy of {args.source}.")
    # The reference page that lists every stack file's CI environments, where the directory is a checkout holding it.
    page = args.dir / ci_environments.PAGE.path
    if page.is_file():
        page.write_text(ci_environments.PAGE.text(args.dir))
        print(f"rewrote {ci_environments.PAGE.path}: commit it with the stack file.")
    print("Still to do:")
    for step in steps:
        print(f"  {step}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
