"""tools/plan/base_commit.py: --base shows what a change does to the matrix, planned by the base's own code."""

from __future__ import annotations

from pathlib import Path

import pytest

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
