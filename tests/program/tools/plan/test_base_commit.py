"""tools/plan/base_commit.py: --base shows what a change does to the matrix, planned by the base's own code."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.fakes import generated_server
from tests.program.tools.plan.harness import edit, run

pytestmark = pytest.mark.slow  # each test runs the whole plan: every stack's program, 0.1-1 s


@pytest.mark.stack_files
def test_base_shows_what_a_change_does_to_the_matrix(repository: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(repository, "preview", extraSecrets={"OPENAI_API_KEY": {"secure": "v1:AAAA"}})
    edit(repository, "staging", vercelGitBranch="release")
    status, text = run(capsys, "--dir", str(repository), "--base", "HEAD")
    assert status == 0
    assert "+ OPENAI_API_KEY in preview: gh:preview + vercel:preview" in text
    assert "~ DATABASE_URL in staging: vercel:preview@staging -> vercel:preview@release" in text


@pytest.mark.stack_files
@pytest.mark.parametrize(
    "case",
    [
        ("databaseRotation", "3", "4", False),
        ("databaseRotation", "3", "3", False),
        ("databaseRotation", "3", "5", True),  # both logins' passwords at once
        ("databaseRotation", "3", "2", True),  # a revert: the active login's password, a retired one handed out
        ("sessionKeyRotation", "2", "4", True),  # the key signed-in sessions were signed with, dropped
    ],
)
def test_a_rotation_counter_moves_by_one_per_change(
    repository: Path, capsys: pytest.CaptureFixture[str], case: tuple[str, str, str, bool]
) -> None:
    key, before, after, refused = case
    generated = {"databaseCredentials": "generated", "databaseServer": generated_server("staging")}
    edit(repository, "staging", ciDbUrl=None, databaseUrl=None, **generated, **{key: before})
    subprocess.run(["git", "-C", str(repository), "commit", "-qam", "before"], check=True)
    edit(repository, "staging", **{key: after})
    status, text = run(capsys, "--dir", str(repository), "--base", "HEAD")
    message = f"Pulumi.staging.yaml: {key} goes from {before} to {after}; raise it by one per reviewed change"
    assert (message in text) is refused
    assert (status == 1) is refused, text[-3000:]
