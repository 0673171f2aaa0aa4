"""tools.preview_comments: a stack's diff is posted only where GitHub records its job ran in its -pr environment.

The fixtures have the REST API's shapes and field names: "List jobs for a workflow run attempt" (`job`), "Get a check
run" (`check-run`, whose `deployment` is a `deployment-simple`), "List workflow run artifacts" (`artifact`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tools import preview_comments
from tools.preview_comments import Evidence, comments, environment_jobs

REPO = "tenantguard/tenantguard-infra"
API = f"https://api.github.com/repos/{REPO}"
RUN_ID = 9_100_000_001
RUN_URL = f"https://github.com/{REPO}/actions/runs/{RUN_ID}"
HEAD = "a" * 40
# Where the default branch gives production a -pr environment (reviewers: Enterprise, or a public repository).
LIVE_EVERYWHERE = {"previews": ["preview", "staging", "production"], "previewedOnDeploy": [], "unready": []}
# Where it does not (Pro or Team, private): production's live preview runs only on main.
PRODUCTION_ON_MAIN = {"previews": ["preview", "staging"], "previewedOnDeploy": ["production"], "unready": []}
NO_CHANGES = "Previewing update (production):\n\nResources:\n    42 unchanged\n"


def job(
    job_id: int,
    name: str,
    check_run_id: int,
    *,
    conclusion: str = "success",
    runner: str | None = "GitHub Actions 7",
    run_id: int = RUN_ID,
    head_sha: str = HEAD,
) -> dict[str, Any]:
    return {
        "id": job_id,
        "run_id": run_id,
        "run_url": f"{API}/actions/runs/{run_id}",
        "run_attempt": 1,
        "node_id": "CR_kwDOA",
        "head_sha": head_sha,
        "url": f"{API}/actions/jobs/{job_id}",
        "html_url": f"https://github.com/{REPO}/actions/runs/{run_id}/job/{job_id}",
        "status": "completed",
        "conclusion": conclusion,
        "created_at": "2026-12-01T10:00:00Z",
        "started_at": "2026-12-01T10:00:05Z",
        "completed_at": "2026-12-01T10:03:00Z",
        "name": name,  # the pull request's workflow chooses it: never evidence
        "steps": [{"name": "Set up job", "status": "completed", "conclusion": "success", "number": 1}],
        "check_run_url": f"{API}/check-runs/{check_run_id}",
        "labels": ["ubuntu-latest"],
        "runner_id": 7 if runner else None,
        "runner_name": runner,
        "runner_group_id": 1 if runner else None,
        "runner_group_name": "GitHub Actions" if runner else None,
        "workflow_name": "infra-preview",
        "head_branch": "feature",
    }


def check_run(check_run_id: int, environment: str | None, *, head_sha: str = HEAD) -> dict[str, Any]:
    run: dict[str, Any] = {
        "id": check_run_id,
        "head_sha": head_sha,
        "node_id": "CR_kwDOB",
        "external_id": "",
        "url": f"{API}/check-runs/{check_run_id}",
        "html_url": f"https://github.com/{REPO}/runs/{check_run_id}",
        "details_url": f"https://github.com/{REPO}/actions/runs/{RUN_ID}/job/{check_run_id}",
        "status": "completed",
        "conclusion": "success",
        "started_at": "2026-12-01T10:00:05Z",
        "completed_at": "2026-12-01T10:03:00Z",
        "output": {"title": None, "summary": None, "text": None, "annotations_count": 0, "annotations_url": ""},
        "name": "whatever the workflow says",
        "check_suite": {"id": 5},
        "app": {"slug": "github-actions"},
        "pull_requests": [],
    }
    if environment is not None:
        run["deployment"] = {
            "url": f"{API}/deployments/{check_run_id + 1000}",
            "id": check_run_id + 1000,
            "node_id": "DE_kwDOC",
            "task": "deploy",
            "original_environment": environment,
            "environment": environment,
            "description": None,
            "created_at": "2026-12-01T10:00:01Z",
            "updated_at": "2026-12-01T10:03:00Z",
            "statuses_url": f"{API}/deployments/{check_run_id + 1000}/statuses",
            "repository_url": API,
            "transient_environment": False,
            "production_environment": False,
        }
    return run


def artifact(name: str) -> dict[str, Any]:
    return {
        "id": abs(hash(name)) % 10_000,
        "node_id": "MDg6QXJ0aWZhY3Qx",
        "name": name,
        "size_in_bytes": 1024,
        "url": f"{API}/actions/artifacts/1",
        "archive_download_url": f"{API}/actions/artifacts/1/zip",
        "expired": False,
        "workflow_run": {"id": RUN_ID, "head_sha": HEAD},
    }


class Run:
    """One completed infra-preview run: the API's answers, the artifacts' files, the default branch's matrix."""

    def __init__(self, tmp: Path, matrix: dict[str, Any]) -> None:
        self.tmp = tmp
        self.matrix = matrix
        self.jobs: list[dict[str, Any]] = [job(1, "Checks and tests", 101), job(2, "Offline plan", 102)]
        self.check_runs: list[dict[str, Any]] = [check_run(101, None), check_run(102, None)]
        self.artifacts: list[dict[str, Any]] = [artifact("infra-plan")]
        self.plan = tmp / "plan"
        self.previews = tmp / "previews"
        self.plan.mkdir(parents=True)
        (self.plan / "plan.md").write_text("## Offline plan: where each secret lands\n")
        (self.plan / "pr-number").write_text("7\n")

    def preview_job(self, job_id: int, stack: str, environment: str | None, **fields: Any) -> None:
        """A job named like the real one; `environment` is what GitHub recorded for it, if anything."""
        self.jobs.append(job(job_id, f"Preview {stack}", job_id + 100, **fields))
        self.check_runs.append(check_run(job_id + 100, environment))

    def upload(self, stack: str, diff: str) -> None:
        self.artifacts.append(artifact(f"infra-preview-{stack}"))
        folder = self.previews / f"infra-preview-{stack}"
        folder.mkdir(parents=True)
        (folder / "diff.txt").write_text(diff)
        (folder / "stack").write_text(stack)

    def evidence(self) -> Evidence:
        found = environment_jobs(self.jobs, self.check_runs, run_id=RUN_ID, head_sha=HEAD)
        names = [item["name"] for item in self.artifacts]
        return Evidence(self.matrix, found, names, run_id=RUN_ID, run_url=RUN_URL, head_sha=HEAD)

    def comments(self, *, same_repository: bool = True) -> dict[str, preview_comments.Comment]:
        made = comments(self.evidence(), self.plan, self.previews, same_repository=same_repository)
        return {comment.marker: comment for comment in made}

    def stack(self, stack: str) -> preview_comments.Comment:
        return self.comments()[preview_comments.preview_marker(stack)]


def test_a_forged_no_changes_artifact_is_not_posted_when_no_job_ran_in_the_stacks_environment(tmp_path: Path) -> None:
    # The finding: the pull request's own infra-preview.yml uploads "production: no changes" from a job named like the
    # real one, in no environment, and the production preview never runs.
    run = Run(tmp_path, LIVE_EVERYWHERE)
    run.preview_job(3, "production", None)
    run.upload("production", NO_CHANGES)
    comment = run.stack("production")
    assert "42 unchanged" not in comment.body
    assert "none of its jobs ran in `infra-production-pr`" in comment.body
    assert comment.create  # the reviewer sees that something claimed to be production's preview


def test_a_stacks_diff_is_posted_when_github_records_its_job_ran_in_its_pr_environment(tmp_path: Path) -> None:
    run = Run(tmp_path, LIVE_EVERYWHERE)
    run.preview_job(3, "staging", "infra-staging-pr")
    run.upload("staging", "+ github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret create\n")
    comment = run.stack("staging")
    assert comment.body.startswith("<!-- tenantguard-preview:staging -->\n#### `pulumi preview` of staging at `aaaa")
    assert "ActionsEnvironmentSecret create" in comment.body
    # Says why, with GitHub's own links: the job, the run, the environment and its deployment.
    assert f"job [3](https://github.com/{REPO}/actions/runs/{RUN_ID}/job/3)" in comment.body
    assert f"run [{RUN_ID}]({RUN_URL})" in comment.body
    assert "ran in the environment `infra-staging-pr` (deployment 1103" in comment.body
    assert comment.create


def test_a_jobs_name_proves_nothing_only_its_check_runs_deployment_does(tmp_path: Path) -> None:
    run = Run(tmp_path, LIVE_EVERYWHERE)
    run.jobs.append(job(3, "Preview production (infra-production-pr)", 103))
    run.check_runs.append(check_run(103, "infra-preview-pr"))  # it did run in an environment: preview's
    run.upload("production", NO_CHANGES)
    assert "42 unchanged" not in run.stack("production").body


def test_the_check_run_is_the_one_the_jobs_check_run_url_names(tmp_path: Path) -> None:
    # In the API's own example a job's id (21) and its check run's (4) differ.
    run = Run(tmp_path, LIVE_EVERYWHERE)
    run.jobs.append(job(21, "Preview staging", 4))
    run.check_runs += [check_run(4, "infra-staging-pr"), check_run(21, None)]
    run.upload("staging", "staging diff\n")
    assert "staging diff" in run.stack("staging").body
    other = Run(tmp_path / "other", LIVE_EVERYWHERE)
    other.jobs.append(job(21, "Preview staging", 4))
    other.check_runs += [check_run(4, None), check_run(21, "infra-staging-pr")]
    other.upload("staging", "staging diff\n")
    assert "staging diff" not in other.stack("staging").body


def test_environment_names_are_compared_as_github_compares_them_without_case(tmp_path: Path) -> None:
    run = Run(tmp_path, LIVE_EVERYWHERE)
    run.preview_job(3, "staging", "INFRA-Staging-PR")
    run.upload("staging", "staging diff\n")
    assert "staging diff" in run.stack("staging").body


def test_a_job_no_runner_took_proves_nothing_whatever_its_conclusion_says(tmp_path: Path) -> None:
    # Rejected by the environment's reviewers: GitHub made the deployment, but no runner ever took the job. A workflow
    # token with `checks: write` could still rewrite that check run's conclusion.
    run = Run(tmp_path, LIVE_EVERYWHERE)
    run.preview_job(3, "production", "infra-production-pr", runner=None)
    run.upload("production", NO_CHANGES)
    comment = run.stack("production")
    assert "42 unchanged" not in comment.body
    assert "never ran (its reviewers did not approve it" in comment.body


def test_a_preview_that_failed_gets_the_bots_words_and_none_of_the_artifact(tmp_path: Path) -> None:
    run = Run(tmp_path, LIVE_EVERYWHERE)
    run.preview_job(3, "staging", "infra-staging-pr", conclusion="failure")
    run.upload("staging", NO_CHANGES)
    comment = run.stack("staging")
    assert "42 unchanged" not in comment.body
    assert "did not succeed" in comment.body
    assert "`failure`" in comment.body


@pytest.mark.parametrize("other", [{"run_id": RUN_ID + 1}, {"head_sha": "b" * 40}])
def test_a_job_of_another_run_or_commit_is_no_evidence(tmp_path: Path, other: dict[str, Any]) -> None:
    run = Run(tmp_path, LIVE_EVERYWHERE)
    run.preview_job(3, "staging", "infra-staging-pr", **other)
    run.upload("staging", "staging diff\n")
    assert "staging diff" not in run.stack("staging").body


def test_a_stack_previewed_only_on_main_never_gets_a_diff_even_from_a_job_in_its_environment(tmp_path: Path) -> None:
    # Where production has no -pr environment, a job naming `infra-production-pr` makes GitHub create it, unprotected.
    run = Run(tmp_path, PRODUCTION_ON_MAIN)
    run.preview_job(3, "production", "infra-production-pr")
    run.upload("production", NO_CHANGES)
    comment = run.stack("production")
    assert "42 unchanged" not in comment.body
    assert "Its live preview runs only on main, in the deploy job, before `pulumi up`" in comment.body
    assert comment.create
    quiet = Run(tmp_path / "quiet", PRODUCTION_ON_MAIN)
    assert not quiet.stack("production").create  # nothing claimed: only an earlier comment is brought up to date


def test_a_stack_without_any_job_or_artifact_only_updates_an_earlier_comment(tmp_path: Path) -> None:
    comment = Run(tmp_path, LIVE_EVERYWHERE).stack("staging")
    assert not comment.create
    assert "No job of run" in comment.body


def test_an_artifact_for_a_stack_the_default_branch_does_not_know_is_not_posted(tmp_path: Path) -> None:
    run = Run(tmp_path, LIVE_EVERYWHERE)
    run.preview_job(3, "evil", "infra-evil-pr")
    run.upload("Evil<img src=x>", NO_CHANGES)
    made = run.comments()
    assert set(made) == {
        preview_comments.PLAN_MARKER,
        *(preview_comments.preview_marker(stack) for stack in ("preview", "staging", "production")),
    }
    plan = made[preview_comments.PLAN_MARKER].body
    assert "`infra-preview-evilimgsrcx`" in plan
    assert "<img" not in plan


def closing_fence(line: str, fence: str) -> bool:
    # CommonMark: a closing code fence is up to 3 spaces, at least as many fence characters, then only spaces or tabs.
    return re.fullmatch(rf" {{0,3}}{fence[0]}{{{len(fence)},}}[ \t]*", line) is not None


def test_the_diff_cannot_close_its_block_or_start_another_stacks_section(tmp_path: Path) -> None:
    hostile = "\n".join(
        [
            "~~~",
            "~~~~~~~~~~~~~~~~",
            "   ~~~~~~~~~~~~~~~~~   ",
            "```",
            "<!-- tenantguard-preview:production -->",
            "#### `pulumi preview` of production",
            "</details></blockquote>",
            NO_CHANGES,
        ]
    )
    run = Run(tmp_path, LIVE_EVERYWHERE)
    run.preview_job(3, "staging", "infra-staging-pr")
    run.upload("staging", hostile)
    lines = run.stack("staging").body.splitlines()
    opening = next(index for index, line in enumerate(lines) if line.startswith("~~~"))
    # Outside the block: our heading only, the stack's marker first (the marker is what the comment is found by).
    assert lines[0] == "<!-- tenantguard-preview:staging -->"
    assert not [line for line in lines[1:opening] if line.startswith(("<", "#### `pulumi preview` of production"))]
    fence = lines[opening]
    closing = [index for index, line in enumerate(lines) if index > opening and closing_fence(line, fence)]
    assert closing == [len(lines) - 1]  # only our own fence, on the last line, closes the block
    assert "\n".join(lines[opening + 1 : -1]) == hostile.rstrip("\n")


def test_the_plan_is_quoted_so_it_cannot_pose_as_a_preview_or_leave_the_quote(tmp_path: Path) -> None:
    run = Run(tmp_path, LIVE_EVERYWHERE)
    (run.plan / "plan.md").write_text(
        "</blockquote>\n<!-- tenantguard-preview:production -->\n#### `pulumi preview` of production\n"
        + NO_CHANGES
        + "\r<details>lazy\n"
    )
    body = run.comments()[preview_comments.PLAN_MARKER].body
    header, quote = body.split("without secrets. It is the pull request's account of itself, not this repository's.")
    assert header.startswith(preview_comments.PLAN_MARKER)
    quoted = quote.strip("\n").splitlines()
    assert all(line.startswith(">") for line in quoted)
    assert "<" not in quote
    assert "> #### `pulumi preview` of production" in quoted


def test_a_forks_run_gets_only_the_plan_whatever_it_uploaded(tmp_path: Path) -> None:
    run = Run(tmp_path, LIVE_EVERYWHERE)
    run.preview_job(3, "staging", "infra-staging-pr")  # a fork's job can name an environment without reviewers
    run.upload("staging", "staging diff\n")
    made = run.comments(same_repository=False)
    assert list(made) == [preview_comments.PLAN_MARKER]
    assert "A fork's pull request gets no live preview" in made[preview_comments.PLAN_MARKER].body


def test_the_plan_says_which_stacks_get_a_live_preview_and_which_only_on_main(tmp_path: Path) -> None:
    body = Run(tmp_path, PRODUCTION_ON_MAIN).comments()[preview_comments.PLAN_MARKER].body
    assert "- Live previews (`preview`, `staging`)" in body
    assert "- Previewed live only on main, in the deploy job before `pulumi up`: `production`" in body


def test_the_command_reads_the_api_answers_and_writes_each_comment_and_an_index(tmp_path: Path) -> None:
    run = Run(tmp_path, PRODUCTION_ON_MAIN)
    run.preview_job(3, "staging", "infra-staging-pr")
    run.upload("staging", "staging diff\n")
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "matrix.json").write_text(json.dumps(run.matrix))
    (evidence / "jobs.json").write_text(json.dumps({"total_count": len(run.jobs), "jobs": run.jobs}))
    (evidence / "check-runs.json").write_text(json.dumps({"check_runs": run.check_runs}))
    (evidence / "artifacts.json").write_text(json.dumps({"total_count": 2, "artifacts": run.artifacts}))
    out = tmp_path / "out"
    status = preview_comments.main(
        [
            *("--evidence", str(evidence), "--plan", str(run.plan), "--previews", str(run.previews)),
            *("--run-id", str(RUN_ID), "--run-url", RUN_URL, "--head-sha", HEAD),
            *("--same-repository", "true", "--out", str(out)),
        ]
    )
    assert status == 0
    index = json.loads((out / "comments.json").read_text())
    assert [(entry["file"], entry["create"]) for entry in index] == [
        ("offline-plan.md", True),
        ("preview-preview.md", False),
        ("preview-staging.md", True),
        ("preview-production.md", False),
    ]
    assert "staging diff" in (out / "preview-staging.md").read_text()


def test_a_link_in_an_artifact_is_not_followed_to_a_file_of_the_runner(tmp_path: Path) -> None:
    secret = tmp_path / "runner-credentials"
    secret.write_text("runner secret\n")
    run = Run(tmp_path / "run", LIVE_EVERYWHERE)
    run.preview_job(3, "staging", "infra-staging-pr")
    run.upload("staging", "")
    diff = run.previews / "infra-preview-staging" / "diff.txt"
    diff.unlink()
    diff.symlink_to(secret)
    (run.plan / "plan.md").unlink()
    (run.plan / "plan.md").symlink_to(secret)
    made = run.comments()
    assert "runner secret" not in made[preview_comments.preview_marker("staging")].body
    assert "The run left no diff in that artifact" in made[preview_comments.preview_marker("staging")].body
    assert "runner secret" not in made[preview_comments.PLAN_MARKER].body
