"""Offline plan of every stack: where each secret lands, each environment's protection, what is set.

    python -m tools.plan [--json | --markdown | --matrix] [--stack NAME ...] [--base GIT_REF] [--dir DIR]
                         [--require-secrets]

Runs each stack's real program under Pulumi's mock runtime (no CLI, credentials or network) with
placeholder secrets, so it checks the non-secret config, the routing and the mistakes that span
stacks (two stacks owning one GitHub environment or writing one Vercel key to overlapping targets).
It never prints a value. Exits 1 when a stack file is broken or invalid, when stacks collide, or
(with --require-secrets) when a stack's encrypted config lacks a secret; every problem is listed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from infra.tables.github_plans import VISIBILITIES
from infra.tables.secret_keys import BY_KEY, set_secret_command
from tools import evaluator
from tools.plan import counters
from tools.plan.base_commit import base_plan
from tools.plan.collisions import collisions
from tools.plan.evaluation import plan_all
from tools.plan.model import StackPlan, matrix, matrix_changes, repository_changes
from tools.plan.render.json_document import as_json
from tools.plan.render.markdown import as_markdown
from tools.plan.render.text import as_text
from tools.plan.stack_files import StackFileError, tier_order
from tools.plan.workflows import DEFAULT_INFRA_REPOSITORY, InfraRepository, matrix_for_workflows


def missing_secret_commands(plans: Sequence[StackPlan]) -> list[str]:
    """The command for each missing key; a key every stack shares is read from its file, never asked for."""
    commands = []
    for plan in plans:
        for key in plan.secrets_missing:
            secret_key = BY_KEY.get(key)
            source = secret_key.kind.read_from if secret_key else None
            command = set_secret_command(key, plan.stack)
            commands.append(f"{command} < {source}" if source else command)
    return commands


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.plan", description=__doc__.split("\n\n")[0])
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print JSON for machines")
    output.add_argument("--markdown", action="store_true", help="print Markdown for a PR comment or job summary")
    output.add_argument("--matrix", action="store_true", help="print the stack lists the workflows' matrices use")
    parser.add_argument("--stack", action="append", help="plan only this stack (repeatable); default: every stack file")
    parser.add_argument("--base", metavar="GIT_REF", help="also show what changed against this commit")
    parser.add_argument(
        "--require-secrets", action="store_true", help="exit 1 when a stack file lacks an encrypted secret"
    )
    parser.add_argument("--dir", type=Path, default=evaluator.ROOT, help="directory holding the stack files")
    parser.add_argument(
        "--infra-repository",
        default=DEFAULT_INFRA_REPOSITORY,
        metavar="OWNER/REPO",
        help=f"this repository, whose CI environments the plan describes (default {DEFAULT_INFRA_REPOSITORY})",
    )
    parser.add_argument(
        "--infra-visibility",
        default="private",
        help="this repository's visibility on GitHub (default private: the strictest case); anything else but "
        "public or internal counts as private",
    )
    args = parser.parse_args(argv)
    visibility = args.infra_visibility if args.infra_visibility in VISIBILITIES else "private"
    infra = InfraRepository.of(args.infra_repository, visibility, args.dir)
    known = evaluator.known_stacks(args.dir)
    stacks = tier_order(args.stack or known, args.dir)
    plans = plan_all(stacks, args.dir, known)
    problems = collisions(plan_all(tier_order(known, args.dir), args.dir, known)) if args.stack else collisions(plans)
    changes = base = None
    if args.base:
        try:
            base = base_plan(args.base, args.dir)
            # With --stack, the others are not compared; without it, a stack only the base has was removed.
            base = base.only([plan.stack for plan in plans]) if args.stack else base
            changes = matrix_changes(base.matrix, matrix(plans)) + repository_changes(plans, base)
            problems = [*problems, *counters.steps([(plan.stack, plan.counters) for plan in plans], base.counters)]
        except (StackFileError, subprocess.CalledProcessError) as error:
            problems = [*problems, f"cannot compare with {args.base}: {error}"]
    for stack_plan in plans:
        if stack_plan.ok:
            ci = infra.layout(stack_plan)
            stack_plan.ci = ci.summary if ci else f"none: {infra.name} can have no environments on its plan"
    if args.matrix:
        print(json.dumps(matrix_for_workflows(plans, infra)))
    elif args.json:
        print(json.dumps(as_json(plans, problems, changes), indent=2))
    elif args.markdown:
        print(as_markdown(plans, problems, base))
    else:
        print(as_text(plans, problems, changes, infra.describe()))
    failed = not all(plan.ok for plan in plans) or bool(problems)
    if args.require_secrets and (commands := missing_secret_commands(plans)):
        print(
            "Encrypted config missing; set it with these (each asks for its value or reads its file), "
            "then commit the stack files:",
            file=sys.stderr,
        )
        for command in commands:
            print(f"  {command}", file=sys.stderr)
        failed = True
    return 1 if failed else 0
