"""tools/plan/render/markdown.py: the matrix, a Mermaid picture and the changes, for a pull request."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.program.tools.plan.harness import edit, run

pytestmark = pytest.mark.slow  # each test runs the whole plan: every stack's program, 0.1-1 s


@pytest.mark.stack_files
def test_markdown_has_the_matrix_a_mermaid_picture_and_the_changes(
    repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(repository, "preview", extraSecrets={"OPENAI_API_KEY": {"secure": "v1:AAAA"}})
    status, text = run(capsys, "--dir", str(repository), "--base", "HEAD", "--markdown")
    assert status == 0
    assert "| `CI_DB_URL` | `gh:preview` | `gh:staging` | `gh:production` |" in text
    assert "```mermaid" in text
    assert "s_OPENAI_API_KEY ==>|added| p_preview__gh_preview" in text
    assert "- `+ OPENAI_API_KEY in preview: gh:preview + vercel:preview`" in text
