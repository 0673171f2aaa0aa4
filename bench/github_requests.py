"""GitHub API requests per run of each stack, counted from what the real program declares (no timing, no network).

    ./scripts/uv run python bench/github_requests.py [--extra N]

Each stack file's program is evaluated under Pulumi's mocks and its registrations are priced with the request
counts read from the provider's source (tools/github_requests.py). The table goes to stdout and is appended to
bench/RESULTS.md, beside the limits of the token the jobs use. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from infra.tables.github_plans import capabilities  # noqa: E402 - after the path
from tests.fakes import PRODUCTION_STACK_NAME, stack_values  # noqa: E402
from tools import evaluator, github_requests  # noqa: E402
from tools.github_listings import GitHubListings  # noqa: E402

LIMITS = (
    "GitHub's limits for the jobs' token (\"Rate limits for the REST API\"): a fine-grained personal access token "
    "5,000 requests an hour; a GitHub App installation 5,000 (up to 12,500 with many repositories and users; "
    "15,000 on Enterprise Cloud); secondary: 900 points a minute per endpoint (GET 1, writes 5), 80 "
    "content-creating requests a minute and 500 an hour, 100 concurrent."
)


def evaluate(stack: str, extra: int, *, existing: bool) -> evaluator.Evaluation:
    values, secret = stack_values(stack)
    if extra:
        extras = json.loads(values["extraSecrets"])
        extras |= {f"EXTRA_KEY_{index}": f"x{index}" for index in range(extra)}
        values["extraSecrets"] = json.dumps(extras)
    config = evaluator.stack_config(stack)
    repositories = json.loads(config["repositories"])
    environment = config.get("environmentName") or stack
    listings = GitHubListings(
        environments={repository: {environment: []} for repository in repositories} if existing else {},
        visibility=dict.fromkeys(repositories, config.get("repositoryVisibility", "private")),
    )
    references = {}
    if stack != "production":
        references[PRODUCTION_STACK_NAME] = dict(evaluator.evaluate("production", *stack_values("production")).outputs)
    return evaluator.evaluate(stack, values, secret, stack_outputs=references, github_secrets=listings)


def rows(extra: int) -> list[str]:
    lines = [
        "| stack | repositories | extra secrets | preview (reads) | refreshing preview / unchanged up (reads) "
        "| first up (reads + writes, points) |",
        "|---|---|---|---|---|---|",
    ]
    for stack in evaluator.known_stacks():
        config = evaluator.stack_config(stack)
        caps = capabilities(config["githubPlan"], config.get("repositoryVisibility", "private"))  # type: ignore[arg-type]
        if caps is None:
            continue
        later = evaluate(stack, extra, existing=True)
        first = github_requests.first_up(evaluate(stack, extra, existing=False), caps)
        refresh = github_requests.refreshing_preview(later)
        lines.append(
            f"| {stack} | {len(json.loads(config['repositories']))} | {1 + extra} "
            f"| {github_requests.preview(later).reads} | {refresh.reads} "
            f"| {first.reads} + {first.writes} ({first.points}) |"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--extra", type=int, default=0, help="extra secrets added to each stack's one")
    args = parser.parse_args()
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"## {now}: GitHub API requests per run (bench/github_requests.py)", "", *rows(args.extra)]
    if args.extra == 0:
        lines += ["", *rows(10)[2:]]
    lines += ["", LIMITS]
    text = "\n".join(lines)
    print(text)
    with (ROOT / "bench" / "RESULTS.md").open("a") as handle:
        handle.write(f"\n{text}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
