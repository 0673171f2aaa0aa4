"""The workflows' structure: who can read which stack's secrets, what runs before Pulumi, pins and limits.

The schema check and zizmor run in scripts/check; these tests state this repository's own rules.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from ci.program import DRIFT_ENVIRONMENT, DRIFT_TOKEN_INPUTS
from tests.static.workflow_files import (
    ACTIONS,
    NAMES,
    PINNED,
    ROOT,
    WORKFLOWS,
    jobs,
    load,
    secrets_read,
    steps_of,
    workflow,
)
from tools.ci_layout import READ_APP_KEY, WRITE_APP_KEY, token_inputs

PULUMI_ACTION = "pulumi/actions@"
APP_TOKEN_ACTION = "actions/create-github-app-token@1b10c78c7865c340bc4f6099eb2f838309f1e8c3"
STACK_NAMES = ("preview", "staging", "production")


def locked_pulumi_version() -> str:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    return next(str(p["version"]) for p in lock["package"] if p["name"] == "pulumi")


@pytest.mark.parametrize("name", NAMES)
def test_every_action_is_pinned_by_commit_and_permissions_are_read_only_by_default(name: str) -> None:
    document = workflow(name)
    for job in document["jobs"].values():
        for step in steps_of(job):
            if "uses" in step and not step["uses"].startswith("./"):
                assert PINNED.match(step["uses"]), step["uses"]
    assert document["permissions"] == {"contents": "read"}


def test_the_local_action_pins_its_actions_too() -> None:
    for step in load(ACTIONS / "pulumi" / "action.yml")["runs"]["steps"]:
        if "uses" in step:
            assert PINNED.match(step["uses"]), step["uses"]


@pytest.mark.parametrize("name", NAMES)
def test_every_job_has_a_timeout_and_every_job_in_an_environment_a_concurrency_group(name: str) -> None:
    document = workflow(name)
    for job_name, job in document["jobs"].items():
        assert "timeout-minutes" in job, job_name
        if "environment" in job:
            assert "concurrency" in job or "concurrency" in document, job_name


@pytest.mark.parametrize("name", NAMES)
def test_the_uv_cache_is_keyed_on_the_lock_file_where_it_is_used(name: str) -> None:
    for job in jobs(name).values():
        for step in steps_of(job):
            if step.get("uses", "").startswith("astral-sh/setup-uv@") and step["with"]["enable-cache"] == "true":
                assert step["with"]["cache-dependency-glob"].endswith("uv.lock")


@pytest.mark.parametrize("name", NAMES)
def test_a_job_that_holds_an_environments_secrets_restores_no_cache(name: str) -> None:
    # A cache is written by whichever run saved it first (pull-request jobs without a reviewer among
    # them) and is not part of the diff a reviewer approves.
    for job_name, job in jobs(name).items():
        if not job.get("environment"):
            continue
        for step in steps_of(job):
            uses = step.get("uses", "")
            assert not uses.startswith("actions/cache"), (name, job_name)
            if uses.startswith("astral-sh/setup-uv@"):
                assert step["with"]["enable-cache"] == "false", (name, job_name)


@pytest.mark.parametrize("name", NAMES)
def test_a_job_that_reads_a_secret_names_an_environment(name: str) -> None:
    for job_name, job in jobs(name).items():
        if secrets_read(job):
            assert job.get("environment"), (name, job_name)


@pytest.mark.parametrize("name", NAMES)
def test_no_workflow_lists_the_stacks_by_hand(name: str) -> None:
    for job in jobs(name).values():
        matrix = job.get("strategy", {}).get("matrix", {})
        for value in matrix.values():
            assert isinstance(value, str), value
            assert value.startswith("${{ fromJSON(needs.plan.outputs.")


def test_pull_requests_preview_each_stack_in_its_own_read_only_environment() -> None:
    preview = jobs("infra-preview.yml")["preview"]
    assert preview["environment"] == "infra-${{ matrix.stack }}-pr"
    assert preview["if"].startswith("github.event.pull_request.head.repo.full_name == github.repository")
    assert secrets_read(preview) == {
        "PULUMI_CONFIG_PASSPHRASE",
        "PULUMI_ACCESS_TOKEN",
        READ_APP_KEY,
        "INFRA_VERCEL_TOKEN",
    }
    (pulumi,) = [step for step in steps_of(preview) if step.get("uses", "").startswith(PULUMI_ACTION)]
    assert pulumi["with"]["command"] == "preview"
    assert "refresh" not in pulumi["with"]  # a pull request connects to no database
    assert pulumi["with"]["comment-on-summary"] == "true"
    assert "comment-on-pr" not in pulumi["with"]


def test_no_job_that_runs_a_pull_requests_code_holds_a_token_that_writes() -> None:
    # The pull request's program, policy pack and dynamic provider run in these jobs; pulumi/actions'
    # inputs, a token among them, reach the CLI's child processes as INPUT_* variables.
    document = workflow("infra-preview.yml")
    assert document["permissions"] == {"contents": "read"}
    for job_name, job in document["jobs"].items():
        granted = job.get("permissions", {})
        assert {scope for scope, level in granted.items() if level == "write"} <= {"id-token"}, job_name
        for step in steps_of(job):
            assert "github-token" not in step.get("with", {}), job_name


def test_each_stacks_preview_diff_reaches_the_comment_workflow_as_data() -> None:
    preview = jobs("infra-preview.yml")["preview"]
    (upload,) = [step for step in steps_of(preview) if step.get("uses", "").startswith("actions/upload-artifact@")]
    assert upload["with"]["name"] == "infra-preview-${{ matrix.stack }}"
    assert upload["if"] == "${{ !cancelled() }}"
    (comment,) = jobs("infra-plan-comment.yml").values()
    (plan,) = [step for step in steps_of(comment) if step.get("uses", "").startswith("actions/download-artifact@")]
    assert plan["with"]["name"] == "infra-plan"
    # Each stack's artifact by its exact name (the default branch's stack names), into a folder of that name: with one
    # match, download-artifact's `pattern` writes the files into `path` itself (src/download-artifact.ts).
    (diffs,) = [step for step in steps_of(comment) if "gh run download" in step.get("run", "")]
    assert '--name "${name}" --dir "previews/${name}"' in diffs["run"]
    assert "jq -r '.previews[]' evidence/matrix.json" in diffs["run"]
    # A fork's run uses the fork's workflow and previews nothing live: none of its artifacts is a preview.
    assert diffs["if"] == "github.event.workflow_run.head_repository.full_name == github.repository"
    decide = next(step for step in steps_of(comment) if "tools.preview_comments" in step.get("run", ""))
    assert decide["env"]["SAME_REPOSITORY"] == (
        "${{ github.event.workflow_run.head_repository.full_name == github.repository }}"
    )
    # The preview job's environment is named as a plain string: `deployment: false` would leave no record of it.
    assert jobs("infra-preview.yml")["preview"]["environment"] == "infra-${{ matrix.stack }}-pr"


# The review finding "a same-repository pull request can forge a stack's preview comment": the comment workflow
# posted any `infra-preview-<stack>` artifact of the run (tests/static/test_preview_comments.py has the decisions).
def test_a_stacks_preview_is_posted_only_from_what_github_records_of_the_run() -> None:
    (comment,) = jobs("infra-plan-comment.yml").values()
    assert comment["permissions"] == {
        "actions": "read",
        "checks": "read",
        "contents": "read",
        "pull-requests": "write",
    }
    scripts = "\n".join(step.get("run", "") for step in steps_of(comment))
    # The jobs of the attempt that completed, and the check run behind each: its `deployment` names the environment
    # GitHub made the job wait for, which no step of the pull request's workflow can write.
    assert "actions/runs/${RUN_ID}/attempts/${RUN_ATTEMPT}/jobs" in scripts
    assert "check-runs/${id}" in scripts
    assert "python -m tools.preview_comments" in scripts
    # Nothing the pull request's run wrote is posted as it is: only the comments tools.preview_comments made.
    (post,) = [step for step in steps_of(comment) if "--method POST" in step.get("run", "")]
    for artifact_file in ("diff.txt", "plan.md", "previews/"):
        assert artifact_file not in post["run"]


def test_which_stacks_have_a_pr_environment_is_read_from_the_default_branch() -> None:
    # A pull request's job can name `infra-production-pr` where it does not exist, and GitHub then creates it
    # unprotected: only the default branch's stack files say which -pr environments are this repository's.
    steps = steps_of(next(iter(jobs("infra-plan-comment.yml").values())))
    (checkout,) = [step for step in steps if step.get("uses", "").startswith("actions/checkout@")]
    assert set(checkout["with"]) == {"persist-credentials"}  # no ref: workflow_run checks out the default branch
    assert checkout["with"]["persist-credentials"] == "false"
    layout = next(index for index, step in enumerate(steps) if "tools.plan --matrix" in step.get("run", ""))
    assert steps[layout]["env"]["INFRA_VISIBILITY"] == "${{ github.event.repository.visibility }}"
    downloads = [index for index, step in enumerate(steps) if "download" in step.get("uses", "") + step.get("run", "")]
    assert downloads
    assert layout < min(downloads)
    # The pull request's files land outside the checkout whose code runs.
    for index in downloads:
        where = steps[index].get("with", {}).get("path", "") or steps[index].get("run", "")
        assert "runner.temp" in where or "RUNNER_TEMP" in where


def test_no_pull_request_job_can_reach_a_deploy_environment_or_a_write_token() -> None:
    for name in NAMES:
        triggers = workflow(name)["on"]
        if "pull_request" not in triggers and "pull_request_target" not in triggers:
            continue
        for job in jobs(name).values():
            assert WRITE_APP_KEY not in secrets_read(job)
            environment = job.get("environment", "")
            assert environment in ("", "preview") or environment.endswith("-pr"), environment


def test_the_offline_plan_runs_for_every_pull_request_without_secrets() -> None:
    plan = jobs("infra-preview.yml")["plan"]
    assert "if" not in plan  # forks included
    assert not secrets_read(plan)
    assert "environment" not in plan
    text = yaml.safe_dump(plan)
    assert "tools.plan --markdown --base" in text
    assert "GITHUB_STEP_SUMMARY" in text


def test_the_deploy_job_summary_is_the_plan_s_markdown_whose_renderer_escapes_names() -> None:
    # GitHub renders the job summary as Markdown: the text plan would pass stack file and branch names unescaped.
    for job in jobs("infra-deploy.yml").values():
        for step in steps_of(job):
            for line in step.get("run", "").splitlines():
                if "GITHUB_STEP_SUMMARY" in line and "tools.plan" in line:
                    assert "tools.plan --markdown" in line


def test_the_plan_comment_runs_no_code_of_the_pull_request() -> None:
    document = workflow("infra-plan-comment.yml")
    assert document["on"] == {"workflow_run": {"workflows": ["infra-preview"], "types": ["completed"]}}
    (job,) = document["jobs"].values()
    # The default branch only: a checkout without `ref` or `repository`, whose credentials are not kept.
    for step in steps_of(job):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"] == {"persist-credentials": "false"}
    assert "head.sha" in yaml.safe_dump(job)  # the pull request is checked against the run's commit
    assert "github-actions[bot]" in yaml.safe_dump(job)  # only our own earlier comment is edited
    # Every script takes the event's values through env:, none through ${{ }} (zizmor's template-injection).
    for step in steps_of(job):
        assert "${{" not in step.get("run", "")


def test_deploys_run_early_tiers_then_production_each_in_its_main_only_environment() -> None:
    deploy = jobs("infra-deploy.yml")
    push = workflow("infra-deploy.yml")["on"]["push"]
    assert push["branches"] == ["main"]
    assert {"infra/**", "Pulumi*.yaml", "alembic/**", ".github/actions/**"} <= set(push["paths"])
    assert deploy["deploy"]["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.plan.outputs.early) }}"
    production = deploy["deploy-production"]
    assert production["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.plan.outputs.late) }}"
    assert production["needs"] == ["plan", "deploy"]
    assert "!failure()" in production["if"]
    for job in (deploy["deploy"], production):
        assert job["environment"] == "infra-${{ matrix.stack }}"
        assert "INFRA_RUNNERS" in job["runs-on"]
        preview, up = [step for step in steps_of(job) if step.get("uses", "").startswith(PULUMI_ACTION)]
        assert up["with"]["command"] == "up"
        assert WRITE_APP_KEY in secrets_read(job)
        assert READ_APP_KEY not in secrets_read(job)
        # A stack whose pull requests get no live preview (tools/ci_layout.py) is previewed here, before the up.
        assert preview["with"]["command"] == "preview"
        assert preview["if"] == "contains(fromJSON(needs.plan.outputs.previewed-on-deploy), matrix.stack)"
        assert job["concurrency"]["group"] == "infra-deploy-${{ matrix.stack }}"


def test_no_drift_check_shares_a_concurrency_group_with_a_deploy() -> None:
    # A newly queued job cancels the pending one of its group, whatever cancel-in-progress says: a drift check
    # queued behind a deploy waiting for its reviewer would cancel that deploy.
    deploy_groups = {job["concurrency"]["group"] for job in jobs("infra-deploy.yml").values() if "concurrency" in job}
    for name in NAMES:
        if name == "infra-deploy.yml":
            continue
        document = workflow(name)
        groups = [document.get("concurrency", {}).get("group", "")]
        groups += [job.get("concurrency", {}).get("group", "") for job in document["jobs"].values()]
        assert not deploy_groups & set(groups), name
    drift = jobs("infra-drift.yml")["drift"]
    assert drift["concurrency"]["group"] == "infra-drift-${{ matrix.stack }}"


def test_a_manual_dispatch_never_deploys_a_stack_whose_deploy_environment_has_no_reviewers() -> None:
    step = next(step for step in steps_of(jobs("infra-deploy.yml")["plan"]) if step.get("id") == "stacks")
    script = step["run"]
    assert '[ "${EVENT}" = workflow_dispatch ] && [ -n "${refused}" ]' in script
    assert script.index("exit 1") < script.index('echo "early=')
    assert step["env"]["EVENT"] == "${{ github.event_name }}"


def test_the_workflows_pass_the_repositorys_visibility_to_the_plan() -> None:
    for name, job in (("infra-preview.yml", "plan"), ("infra-deploy.yml", "plan")):
        for step in steps_of(jobs(name)[job]):
            if "tools.plan" in step.get("run", ""):
                assert step["env"]["INFRA_VISIBILITY"] == "${{ github.event.repository.visibility }}", (name, step)
                assert '--infra-visibility "${INFRA_VISIBILITY}"' in step["run"] or "INFRA_VISIBILITY" in step["run"]
    preview = jobs("infra-preview.yml")["plan"]
    stacks = next(step for step in steps_of(preview) if step.get("id") == "stacks")
    assert "jq -c .previews" in stacks["run"]


def test_drift_checks_apply_nothing_and_use_read_only_tokens() -> None:
    drift = jobs("infra-drift.yml")["drift"]
    assert drift["environment"] == "infra-${{ matrix.stack }}-read"
    text = yaml.safe_dump(drift)
    assert "pulumi preview" in text
    assert "--refresh --expect-no-changes" in text
    assert "pulumi up" not in text
    assert WRITE_APP_KEY not in secrets_read(drift)
    assert "tools.drift_issue" in text


def app_token_steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for step in steps_of(job) if step.get("uses", "").startswith("actions/create-github-app-token@")]


@pytest.mark.parametrize(
    ("name", "job_name", "writes"),
    [
        ("infra-preview.yml", "preview", False),
        ("infra-deploy.yml", "deploy", True),
        ("infra-deploy.yml", "deploy-production", True),
        ("infra-drift.yml", "drift", False),
    ],
)
def test_each_job_mints_a_token_of_its_app_narrowed_to_the_programs_calls(
    name: str, job_name: str, writes: bool
) -> None:
    job = jobs(name)[job_name]
    (step,) = app_token_steps(job)
    assert step["uses"] == APP_TOKEN_ACTION
    kind = "WRITE" if writes else "READ"
    assert step["with"]["private-key"] == f"${{{{ secrets.INFRA_GITHUB_{kind}_APP_KEY }}}}"
    assert step["with"]["client-id"] == f"${{{{ vars.INFRA_GITHUB_{kind}_APP_CLIENT_ID }}}}"
    assert step["with"]["owner"] == "${{ vars.INFRA_GITHUB_OWNER }}"
    assert step["with"]["repositories"] == "${{ vars.INFRA_GITHUB_REPOSITORIES }}"
    permissions = {key: value for key, value in step["with"].items() if key.startswith("permission-")}
    assert permissions == token_inputs(writes=writes)
    if not writes:
        assert set(permissions.values()) == {"read"}
    # The provider gets that token, and no job reads a stored GitHub token any more.
    pulumi_env = [s.get("env", {}) for s in steps_of(job) if "GITHUB_TOKEN" in s.get("env", {})]
    assert pulumi_env
    assert all(env["GITHUB_TOKEN"] == "${{ steps.github-token.outputs.token }}" for env in pulumi_env)
    assert steps_of(job).index(step) < min(
        steps_of(job).index(s) for s in steps_of(job) if "GITHUB_TOKEN" in s.get("env", {})
    )


@pytest.mark.parametrize("name", NAMES)
def test_no_workflow_reads_a_stored_github_token(name: str) -> None:
    for job in jobs(name).values():
        assert not {"INFRA_GITHUB_TOKEN", "INFRA_GITHUB_READ_TOKEN"} & secrets_read(job)


@pytest.mark.parametrize(
    ("name", "job_name"),
    [("infra-preview.yml", "preview"), ("infra-deploy.yml", "deploy"), ("infra-drift.yml", "drift")],
)
def test_the_main_programs_jobs_install_without_the_ci_projects_group(name: str, job_name: str) -> None:
    assert jobs(name)[job_name]["env"]["UV_NO_GROUP"] == "ci"


def test_the_ci_project_drifts_read_only_in_its_own_environment_with_its_own_app() -> None:
    job = jobs("infra-drift.yml")["ci-project"]
    assert job["environment"] == DRIFT_ENVIRONMENT
    assert secrets_read(job) == {"PULUMI_CONFIG_PASSPHRASE", "PULUMI_ACCESS_TOKEN", "CI_PROJECT_DRIFT_APP_KEY"}
    (step,) = app_token_steps(job)
    assert step["uses"] == APP_TOKEN_ACTION
    assert step["with"]["repositories"] == "${{ github.event.repository.name }}"
    assert {key: value for key, value in step["with"].items() if key.startswith("permission-")} == DRIFT_TOKEN_INPUTS
    text = yaml.safe_dump(job)
    assert "--refresh --expect-no-changes" in text
    assert "pulumi up" not in text
    assert "UV_NO_GROUP" not in text  # it runs the CI project, which needs that group
    (setup,) = [s for s in steps_of(job) if s.get("uses") == "./.github/actions/pulumi"]
    assert setup["with"]["work-dir"] == "ci"


PULUMI_COMMAND = re.compile(r"^\s*pulumi (preview|up|refresh|destroy)", re.MULTILINE)


def runs_pulumi(step: dict[str, Any]) -> bool:
    return step.get("uses", "").startswith(PULUMI_ACTION) or bool(PULUMI_COMMAND.search(step.get("run", "")))


def pulumi_jobs() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (name, job_name, job)
        for name in NAMES
        for job_name, job in jobs(name).items()
        if any(runs_pulumi(step) for step in steps_of(job))
    ]


@pytest.mark.parametrize(("name", "job_name", "job"), pulumi_jobs(), ids=lambda v: v if isinstance(v, str) else "")
def test_the_cli_backend_and_policy_pack_are_set_up_before_pulumi_runs(
    name: str, job_name: str, job: dict[str, Any]
) -> None:
    steps = steps_of(job)
    setup = next(i for i, step in enumerate(steps) if step.get("uses") == "./.github/actions/pulumi")
    for index, step in enumerate(steps):
        if runs_pulumi(step):
            assert index > setup, (name, job_name)
            assert "policy" in yaml.safe_dump(step), (name, job_name)


def test_the_local_action_installs_the_policy_pack_and_fails_on_a_failed_login() -> None:
    action = load(ACTIONS / "pulumi" / "action.yml")
    runs = [step.get("run", "") for step in action["runs"]["steps"]]
    assert any("pulumi login --non-interactive" in run for run in runs)
    assert any("./scripts/install-policy-pack" in run for run in runs)


def test_the_pulumi_cli_is_pinned_to_the_sdk_in_uv_lock() -> None:
    version = locked_pulumi_version()
    pins = [load(ACTIONS / "pulumi" / "action.yml")["runs"]["steps"][2]]
    for name in NAMES:
        for job in jobs(name).values():
            pins += [step for step in steps_of(job) if step.get("uses", "").startswith(PULUMI_ACTION)]
    assert pins
    for step in pins:
        assert step["uses"].startswith(PULUMI_ACTION)
        assert step["with"]["pulumi-version"] == version


def run_scripts() -> list[tuple[str, str]]:
    scripts = []
    for path in [*WORKFLOWS.glob("*.yml"), *sorted(ACTIONS.glob("*/action.yml"))]:
        document = load(path)
        all_steps = [s for job in document.get("jobs", {}).values() for s in steps_of(job)]
        all_steps += document.get("runs", {}).get("steps", [])
        scripts += [(f"{path.name}: {step.get('name', '')}", step["run"]) for step in all_steps if "run" in step]
    return scripts


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck comes with the dev dependencies")
@pytest.mark.parametrize(("where", "script"), run_scripts(), ids=lambda v: v if "\n" not in v else "")
def test_every_run_script_passes_shellcheck(tmp_path: Path, where: str, script: str) -> None:
    # Expressions are substituted before bash runs; a word stands in for each.
    plain = re.sub(r"\$\{\{.*?\}\}", "EXPRESSION", script)
    path = tmp_path / "step.sh"
    path.write_text("#!/usr/bin/env bash\nset -eo pipefail\n" + plain)
    result = subprocess.run(["shellcheck", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{where}\n{result.stdout}"


def test_a_deploy_refuses_a_run_of_an_older_commit_when_main_changed_what_it_deploys() -> None:
    # Re-running an old deploy keeps its GITHUB_SHA: it would roll the stack back without a new review. A run whose
    # later commits touch nothing deployed (a docs merge during the deploy) deploys the same, and no other run would.
    for job_name in ("deploy", "deploy-production"):
        steps = steps_of(jobs("infra-deploy.yml")[job_name])
        index, check = next((i, step) for i, step in enumerate(steps) if "RUN_SHA" in step.get("env", {}))
        assert check["env"]["RUN_SHA"] == "${{ github.sha }}"
        assert "repos/${REPOSITORY}/commits/heads/main" in check["run"]
        assert '[ "${head}" != "${RUN_SHA}" ]' in check["run"]
        assert "compare/${RUN_SHA}...${head}" in check["run"]
        assert "python -m tools.deploy_paths" in check["run"]
        # A rename out of a deployed path counts by its old name; a failing jq fails the check, not passes it.
        assert ".previous_filename // empty" in check["run"]
        assert check["run"].startswith("set -o pipefail\n")
        assert check["run"].count("exit 1") == 2
        # Before anything holds the stack's credentials.
        assert not any(step.get("uses", "").startswith(PULUMI_ACTION) for step in steps[:index])


def test_one_waiting_deploy_holds_back_only_its_own_stack() -> None:
    document = workflow("infra-deploy.yml")
    assert "concurrency" not in document
    for job_name in ("deploy", "deploy-production"):
        assert jobs("infra-deploy.yml")[job_name]["concurrency"]["group"] == "infra-deploy-${{ matrix.stack }}"
