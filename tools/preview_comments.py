"""What infra-plan-comment.yml may say on a pull request: the offline plan, quoted as the pull request's own output,
and a stack's `pulumi preview` diff only where GitHub records that the run's job for that stack ran in its
`infra-<stack>-pr` environment.

    python -m tools.preview_comments --evidence DIR --plan DIR --previews DIR --run-id N --run-url URL \\
        --head-sha SHA --same-repository true|false --out DIR

Everything it reads is data. From this repository's default branch: `tools.plan --matrix` (evidence/matrix.json).
From GitHub's REST API, about the run that completed: evidence/jobs.json, `{"jobs": [...]}` of "List jobs for a
workflow run attempt"; evidence/check-runs.json, `{"check_runs": [...]}` of "Get a check run" for each job's
`check_run_url`; evidence/artifacts.json, `{"artifacts": [...]}` of "List workflow run artifacts". From the pull
request's run: its `infra-plan` artifact (plan/plan.md) and the `infra-preview-<stack>` artifact of each stack the
default branch previews live (previews/infra-preview-<stack>/diff.txt). Writes one Markdown file per comment and
out/comments.json, `[{"marker", "file", "create"}]`; `create` false means: only edit an earlier comment.

What a same-repository pull request controls: its own copy of infra-preview.yml (any job, any job name, any artifact
under any name, its jobs' GITHUB_TOKEN with `deployments: write` or `checks: write` if it asks). What it does not: the
environments' protection rules, and which environment a job was created for. The job object has no environment
field; the check run behind a job (its `check_run_url`) carries `deployment`, "a deployment created as the result of
an Actions check run from a workflow that references an environment" (REST "Check runs", schema `check-run`,
property `deployment`, github/rest-api-description). No endpoint sets it: "Update a check run" takes name,
details_url, external_id, started_at, status, conclusion, completed_at, output and actions. The deployments API is no
evidence: a workflow token with `deployments: write` creates deployments in any environment, and statuses whose
`log_url` names any job; nor is a job's `name`. A job that waited for reviewers and was rejected gets no runner, so
a runner name (set by GitHub when it assigns one; "Get a job for a workflow run", `runner_name`) is asked for too.

Two cases still get no diff. A stack the default branch previews only on main (`previewedOnDeploy`: its -pr
environment could have no reviewers here, and a job naming a missing environment makes GitHub create it,
unprotected). And a stack the default branch does not know.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PLAN_MARKER = "<!-- tenantguard-offline-plan -->"
MAX_COMMENT = 65_000  # GitHub refuses a comment body over 65,536 characters
MAX_QUOTED = 60_000
ARTIFACT_PREFIX = "infra-preview-"
STACK = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
CONCLUSIONS = frozenset({"success", "failure", "neutral", "cancelled", "skipped", "timed_out", "action_required"})
# A URL GitHub gave us, safe inside a Markdown link: no spaces, brackets, parentheses or angle brackets.
LINK = re.compile(r"https://[^\s()\[\]<>\"'`]+")
CHECK_RUN_ID = re.compile(r"/check-runs/([0-9]{1,20})$")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def preview_marker(stack: str) -> str:
    return f"<!-- tenantguard-preview:{stack} -->"


def pr_environment(stack: str) -> str:
    return f"infra-{stack}-pr"


@dataclass(frozen=True)
class EnvironmentJob:
    """A job of the run that GitHub created for an environment: its check run carries that environment's deployment."""

    job_id: int
    url: str
    environment: str
    """As the deployment names it, lower-cased: GitHub's environment names ignore case."""
    deployment_id: int
    ran: bool
    """A runner took it: its environment's protection rules (reviewers included) passed."""
    conclusion: str


@dataclass(frozen=True)
class Comment:
    marker: str
    file: str
    body: str
    create: bool
    """Post it when the pull request has no comment with this marker yet; otherwise only edit that comment."""


def environment_jobs(
    jobs: Iterable[Mapping[str, Any]], check_runs: Iterable[Mapping[str, Any]], *, run_id: int, head_sha: str
) -> list[EnvironmentJob]:
    """The run's jobs whose check run names a deployment GitHub made for the environment the job referenced."""
    by_id = {run["id"]: run for run in check_runs if isinstance(run.get("id"), int)}
    found = []
    for job in jobs:
        if job.get("run_id") != run_id or job.get("head_sha") != head_sha or not isinstance(job.get("id"), int):
            continue
        match = CHECK_RUN_ID.search(str(job.get("check_run_url", "")))
        check_run = by_id.get(int(match.group(1))) if match else None
        if check_run is None or check_run.get("head_sha") != head_sha:
            continue
        deployment = check_run.get("deployment")
        if not isinstance(deployment, Mapping) or not isinstance(deployment.get("id"), int):
            continue
        environment = deployment.get("environment")
        if not isinstance(environment, str):
            continue
        url = str(job.get("html_url") or "")
        conclusion = str(job.get("conclusion") or "")
        found.append(
            EnvironmentJob(
                job_id=job["id"],
                url=url if LINK.fullmatch(url) else "",
                environment=environment.lower(),
                deployment_id=deployment["id"],
                ran=job.get("status") == "completed" and bool(job.get("runner_name")),
                conclusion=conclusion if conclusion in CONCLUSIONS else "unknown",
            )
        )
    return found


def fenced(text: str) -> str:
    """`text` as one code block no line of it can close: a tilde fence longer than any run of tildes in it."""
    longest = max((len(run) for run in re.findall(r"~+", text)), default=0)
    fence = "~" * max(3, longest + 1)
    content = text.rstrip("\n")
    return f"{fence}\n{content}\n{fence}"


def quoted(text: str) -> str:
    """`text` as a block quote nothing in it can leave: every line quoted, and no HTML (it could close the quote)."""
    lines = text.replace("<", "&lt;").splitlines() or [""]
    return "\n".join(f"> {line}" if line else ">" for line in lines)


def clean(raw: bytes, limit: int) -> str:
    text = ANSI.sub("", raw.decode("utf-8", errors="replace")).replace("\x00", "")
    if len(text) > limit:
        text = text[:limit] + f"\n[cut at {limit} characters: the job summary has it all]"
    return text


def artifact_file(path: Path, root: Path) -> bytes | None:
    """A file of the pull request's artifact as written, never what a link in it points to (a runner's file)."""
    if path.is_symlink() or not path.is_file() or not path.resolve().is_relative_to(root.resolve()):
        return None
    return path.read_bytes()


def job_link(job: EnvironmentJob) -> str:
    return f"[{job.job_id}]({job.url})" if job.url else str(job.job_id)


class Evidence:
    """What the default branch and GitHub's API say about one completed run of infra-preview."""

    def __init__(
        self,
        matrix: Mapping[str, Any],
        jobs: Sequence[EnvironmentJob],
        artifact_names: Iterable[str],
        *,
        run_id: int,
        run_url: str,
        head_sha: str,
    ) -> None:
        self.live = [stack for stack in matrix.get("previews", []) if STACK.fullmatch(stack)]
        self.on_main = [stack for stack in matrix.get("previewedOnDeploy", []) if STACK.fullmatch(stack)]
        self.jobs = jobs
        self.claimed = {name[len(ARTIFACT_PREFIX) :] for name in artifact_names if name.startswith(ARTIFACT_PREFIX)}
        self.run_id = run_id
        self.run = f"[{run_id}]({run_url})" if LINK.fullmatch(run_url) else str(run_id)
        self.commit = f"`{head_sha[:12]}`" if re.fullmatch(r"[0-9a-f]{40}", head_sha) else "this commit"

    def jobs_in(self, stack: str) -> list[EnvironmentJob]:
        return [job for job in self.jobs if job.environment == pr_environment(stack)]

    def unknown_claims(self) -> list[str]:
        """Artifact names claiming a stack the default branch does not preview, reduced to a stack name's characters."""
        known = set(self.live) | set(self.on_main)
        names = {re.sub(r"[^a-z0-9-]", "", claim.lower())[:40] or "?" for claim in self.claimed - known}
        return sorted(names)


def stack_comment(evidence: Evidence, stack: str, previews: Path) -> Comment:
    """A live-previewed stack's comment: its diff only when a job of the run ran in its -pr environment."""
    environment = pr_environment(stack)
    heading = f"{preview_marker(stack)}\n#### `pulumi preview` of {stack} at {evidence.commit}\n\n"
    jobs = evidence.jobs_in(stack)
    ran = [job for job in jobs if job.ran]
    succeeded = [job for job in ran if job.conclusion == "success"]
    file = f"preview-{stack}.md"
    if succeeded:
        job = succeeded[0]
        diff = artifact_file(previews / f"{ARTIFACT_PREFIX}{stack}" / "diff.txt", previews)
        why = (
            f"Posted because GitHub records that job {job_link(job)} of run {evidence.run} ran in the environment "
            f"`{environment}` (deployment {job.deployment_id}, on the check run behind that job) and succeeded. "
            f"Below is that run's `{ARTIFACT_PREFIX}{stack}` artifact: the output of this pull request's own code "
            "(program, policy pack), as trustworthy as that code."
        )
        if diff is not None:
            body = heading + why + "\n\n" + fenced(clean(diff, MAX_QUOTED))
        else:
            body = heading + why + "\n\nThe run left no diff in that artifact: the job's summary has the preview."
        return Comment(preview_marker(stack), file, body, create=True)
    if ran:
        outcomes = ", ".join(f"job {job_link(job)}: `{job.conclusion}`" for job in ran)
        body = heading + (
            f"The preview of {stack} in `{environment}` did not succeed in run {evidence.run} ({outcomes}). "
            "Its log says why; nothing else is posted for it."
        )
        return Comment(preview_marker(stack), file, body, create=True)
    if jobs:
        body = heading + (
            f"The job of run {evidence.run} that named `{environment}` never ran (its reviewers did not approve it, or "
            f"it was cancelled): no preview of {stack} is posted for this commit."
        )
        return Comment(preview_marker(stack), file, body, create=True)
    if stack in evidence.claimed:
        body = heading + (
            f"Run {evidence.run} uploaded an artifact named `{ARTIFACT_PREFIX}{stack}`, but none of its jobs ran in "
            f"`{environment}`. Any job of the pull request's workflow can upload an artifact of any name, so it is "
            "not posted."
        )
        return Comment(preview_marker(stack), file, body, create=True)
    body = heading + f"No job of run {evidence.run} ran in `{environment}`: no preview of {stack} for this commit."
    return Comment(preview_marker(stack), file, body, create=False)


def main_only_comment(evidence: Evidence, stack: str) -> Comment:
    """A stack previewed live only on main: never a diff, whatever the run uploaded or named."""
    environment = pr_environment(stack)
    claimed = stack in evidence.claimed or bool(evidence.jobs_in(stack))
    body = (
        f"{preview_marker(stack)}\n#### `pulumi preview` of {stack} at {evidence.commit}\n\n"
        f"{stack} has no live preview for pull requests here: `{environment}` could have no reviewers on this "
        f"repository's plan, and a preview runs the pull request's code with the stack's key. Its live preview runs "
        f"only on main, in the deploy job, before `pulumi up`; this pull request has the offline plan."
    )
    if claimed:
        body += (
            f" Run {evidence.run} uploaded an artifact named `{ARTIFACT_PREFIX}{stack}` or ran a job naming "
            f"`{environment}`: not posted."
        )
    return Comment(preview_marker(stack), f"preview-{stack}.md", body, create=claimed)


def plan_comment(evidence: Evidence, plan: Path, *, same_repository: bool) -> Comment:
    lines = [PLAN_MARKER, f"### Offline plan of {evidence.commit}", ""]
    if same_repository:
        live = ", ".join(f"`{stack}`" for stack in evidence.live) or "none"
        lines.append(
            f"- Live previews ({live}): one comment per stack, with a diff only where GitHub records that the run's "
            "job for that stack ran in its `infra-<stack>-pr` environment."
        )
        if evidence.on_main:
            main_only = ", ".join(f"`{stack}`" for stack in evidence.on_main)
            lines.append(
                f"- Previewed live only on main, in the deploy job before `pulumi up`: {main_only} (their `-pr` "
                "environment could have no reviewers here)."
            )
        if unknown := evidence.unknown_claims():
            lines.append(
                "- Not posted, no such stack on the default branch: "
                + ", ".join(f"`{ARTIFACT_PREFIX}{name}`" for name in unknown)
                + "."
            )
    else:
        lines.append("A fork's pull request gets no live preview: its runs get no secrets.")
    plan_text = artifact_file(plan / "plan.md", plan)
    lines += [
        "",
        f"Quoted below: the offline plan this pull request's own code printed in run {evidence.run}, without "
        "secrets. It is the pull request's account of itself, not this repository's.",
        "",
    ]
    head = "\n".join(lines) + "\n"
    text = clean(plan_text, MAX_QUOTED) if plan_text is not None else "(the run left no plan)"
    body = head + quoted(text)
    if len(body) > MAX_COMMENT:
        body = body[:MAX_COMMENT].rsplit("\n", 1)[0] + "\n>\n> [cut: the run's job summary has the whole plan]"
    return Comment(PLAN_MARKER, "offline-plan.md", body, create=True)


def comments(evidence: Evidence, plan: Path, previews: Path, *, same_repository: bool) -> list[Comment]:
    made = [plan_comment(evidence, plan, same_repository=same_repository)]
    if same_repository:
        made += [stack_comment(evidence, stack, previews) for stack in evidence.live]
        made += [main_only_comment(evidence, stack) for stack in evidence.on_main]
    return made


def load(path: Path, key: str) -> list[Mapping[str, Any]]:
    document = json.loads(path.read_text())
    items = document.get(key, []) if isinstance(document, Mapping) else []
    return [item for item in items if isinstance(item, Mapping)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.preview_comments", description=__doc__.split("\n\n")[0])
    parser.add_argument("--evidence", type=Path, required=True, help="matrix.json, jobs.json, check-runs.json, ...")
    parser.add_argument("--plan", type=Path, required=True, help="the run's infra-plan artifact")
    parser.add_argument("--previews", type=Path, required=True, help="one folder per infra-preview-<stack> artifact")
    parser.add_argument("--run-id", type=int, required=True)
    parser.add_argument("--run-url", required=True)
    parser.add_argument("--head-sha", required=True)
    parser.add_argument("--same-repository", choices=["true", "false"], required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    matrix = json.loads((args.evidence / "matrix.json").read_text())
    jobs = environment_jobs(
        load(args.evidence / "jobs.json", "jobs"),
        load(args.evidence / "check-runs.json", "check_runs"),
        run_id=args.run_id,
        head_sha=args.head_sha,
    )
    artifacts = [str(item.get("name", "")) for item in load(args.evidence / "artifacts.json", "artifacts")]
    evidence = Evidence(matrix, jobs, artifacts, run_id=args.run_id, run_url=args.run_url, head_sha=args.head_sha)
    made = comments(evidence, args.plan, args.previews, same_repository=args.same_repository == "true")
    args.out.mkdir(parents=True, exist_ok=True)
    for comment in made:
        (args.out / comment.file).write_text(comment.body)
    index = [{"marker": c.marker, "file": c.file, "create": c.create} for c in made]
    (args.out / "comments.json").write_text(json.dumps(index, indent=2) + "\n")
    for name in evidence.unknown_claims():
        print(f"::warning title=Preview not posted::{ARTIFACT_PREFIX}{name}: no such stack on the default branch")
    return 0


if __name__ == "__main__":
    sys.exit(main())
