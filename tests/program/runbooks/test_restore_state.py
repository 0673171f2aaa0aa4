"""docs/how-to/restore-state.md: its object key is the one the CI project's IAM policies name, and its jq lines turn a
checkpoint as the DIY backend stores it into the deployment `pulumi stack import` reads, run here on the staging
program's own resources."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from ci.backend_layout import state_listing, state_objects, written_directories
from ci.iam import StateAccess, role_policy
from infra.tables.type_tokens import PROJECT
from tests import runbooks
from tests.program.ci import harness
from tests.program.runbooks.lines import BUCKET, REPOSITORY, bash, passphrase_lines
from tools import evaluator

PAGE = "how-to/restore-state.md"
STACK = "staging"
SALT = "v1:FAKEsaltForTests=:v1:FAKEcheck:FAKEcheck"


def steps() -> list[str]:
    return runbooks.commands(PAGE, "Steps")


def option(lines: list[str], command: str, flag: str) -> str:
    """The value of `flag` in the one line that starts with `command`."""
    (line,) = [line for line in lines if line.startswith(command)]
    words = shlex.split(line)
    return words[words.index(flag) + 1]


def test_every_step_is_one_this_test_knows() -> None:
    known: list[str | re.Pattern[str]] = [
        f"gh workflow disable infra-deploy --repo {REPOSITORY}",
        f"gh run list --workflow infra-deploy.yml --repo {REPOSITORY} --status in_progress",
        *passphrase_lines(STACK),
        f"pulumi stack export --stack {STACK} --file {STACK}.before-restore.json",
        re.compile(rf"aws s3api list-object-versions --bucket {BUCKET} --prefix \S+ --query '[^']+' --output text"),
        f"pulumi stack history --stack {STACK}",
        re.compile(
            rf'aws s3api get-object --bucket {BUCKET} --key \S+ --version-id "\$VERSION_ID" {STACK}\.checkpoint\.json'
        ),
        re.compile(r"(jq|diff|grep) .*"),  # run below, each for real
        f"pulumi stack import --stack {STACK} --file {STACK}.restore.json",
        f"pulumi preview --stack {STACK} --policy-pack policy --refresh",
        f"gh workflow enable infra-deploy --repo {REPOSITORY}",
    ]
    lines = steps() + runbooks.commands(PAGE, "Verify") + runbooks.commands(PAGE, "Back out")
    assert runbooks.unknown(steps(), known) == []
    assert runbooks.without_stack(lines) == []


def test_the_object_is_the_one_the_ci_project_lets_the_stack_s_roles_read() -> None:
    key = option(steps(), "aws s3api get-object", "--key")
    assert key == state_objects(PROJECT, STACK)[0]
    assert option(steps(), "aws s3api list-object-versions", "--prefix") == state_listing(PROJECT, STACK)
    assert option(steps(), "aws s3api get-object", "--bucket") == harness.stack_file_values()["stateBucket"] == BUCKET
    for writes in (False, True):
        policy = role_policy(StateAccess(bucket=BUCKET, project=PROJECT, stack=STACK, writes=writes))
        (read,) = [s for s in policy["Statement"] if s["Sid"] == "ReadState"]
        assert f"arn:aws:s3:::{BUCKET}/{key}" in read["Resource"]
        # Older versions are read by an administrator, never by a CI role.
        assert not any("Version" in str(s["Action"]) for s in policy["Statement"])
    # The history and backups the page's Why names are where the backend writes them.
    history, backups, _ = written_directories(PROJECT, STACK)
    text = (runbooks.DOCS / PAGE).read_text()
    assert f"{history}{STACK}-<ns>.checkpoint.json" in text
    assert f"{backups}{STACK}.<ns>.json" in text


def checkpoint(evaluation: evaluator.Evaluation, features: list[str] | None = None) -> dict[str, Any]:
    """The stack's state as the DIY backend stores it (apitype.VersionedCheckpoint holding a CheckpointV3)."""
    resources = [{"urn": urn, "type": evaluator.resource_type(urn), "custom": True} for urn in evaluation.resources]
    latest = {
        "manifest": {"time": "2026-12-01T10:00:00Z", "magic": "", "version": "v3.272.0"},
        "secrets_providers": {"type": "passphrase", "state": {"salt": SALT}},
        "resources": resources,
    }
    stored = {"stack": f"organization/{PROJECT}/{STACK}", "latest": latest}
    if features:
        return {"version": 4, "features": features, "checkpoint": stored}
    return {"version": 3, "checkpoint": stored}


@pytest.mark.slow
@pytest.mark.parametrize("features", [None, ["refreshBeforeUpdate"]])
def test_the_fetched_version_becomes_the_deployment_stack_import_reads(
    tmp_path: Path, evaluated: dict[str, evaluator.Evaluation], features: list[str] | None
) -> None:
    stored = checkpoint(evaluated[STACK], features)
    (tmp_path / f"{STACK}.checkpoint.json").write_text(json.dumps(stored))
    (convert,) = [line for line in steps() if line.startswith("jq '{version")]
    assert bash(convert, tmp_path).returncode == 0
    restored = json.loads((tmp_path / f"{STACK}.restore.json").read_text())
    # apitype.UntypedDeployment: {version, features (only from version 4), deployment}.
    expected = {"version": stored["version"], "deployment": stored["checkpoint"]["latest"]}
    if features:
        expected["features"] = features
    assert restored == expected


@pytest.mark.slow
def test_the_checks_before_importing_show_what_the_page_says(
    tmp_path: Path, evaluated: dict[str, evaluator.Evaluation]
) -> None:
    stored = checkpoint(evaluated[STACK])
    (tmp_path / f"{STACK}.checkpoint.json").write_text(json.dumps(stored))
    deployment = stored["checkpoint"]["latest"]
    (tmp_path / f"{STACK}.restore.json").write_text(json.dumps({"version": 3, "deployment": deployment}))
    # Today's state has one resource more than the version: made after it.
    later = "urn:pulumi:staging::tenantguard-infra::pulumi:pulumi:Stack$pulumi:providers:random::made-later"
    today = {**deployment, "resources": [*deployment["resources"], {"urn": later}]}
    (tmp_path / f"{STACK}.before-restore.json").write_text(json.dumps({"version": 3, "deployment": today}))
    (tmp_path / f"Pulumi.{STACK}.yaml").write_text(f"encryptionsalt: {SALT}\n{evaluator.stack_file(STACK).read_text()}")
    start = steps().index(next(line for line in steps() if line.startswith("jq -r '.checkpoint.stack'")))
    stack, stacks, salt, salt_in_file, pending, missing = (bash(line, tmp_path) for line in steps()[start : start + 6])
    assert stack.stdout.strip() == f"organization/{PROJECT}/{STACK}"
    assert stacks.stdout.split() == [STACK]
    assert salt.stdout.strip() == SALT
    assert salt_in_file.stdout.strip() == f"encryptionsalt: {SALT}"
    assert pending.stdout.strip() == "0"
    assert missing.returncode == 1
    assert missing.stdout.splitlines()[-1] == f"< {later}"
