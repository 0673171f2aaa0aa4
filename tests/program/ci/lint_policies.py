"""Lints every IAM, S3 and KMS policy document the CI project sends with parliament; exits 1 on a finding that
ci/checks/lint.py's allow-list does not explain. ./scripts/check runs it:
`uv run python -m tests.program.ci.lint_policies`."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from ci.checks.lint import ALLOWED, Allowed, documents_of, unexplained
from tests.program.ci.harness import configurations


def main() -> int:
    with tempfile.TemporaryDirectory() as directory:
        evaluations = configurations(Path(directory))
    documents = [document for evaluation in evaluations.values() for document in documents_of(evaluation.inputs)]
    used: set[Allowed] = set()
    findings = unexplained(documents, used)
    # A row that explains nothing any more would hide the next finding it happens to match.
    findings += [
        f"allow-list row no finding needs: {row.kind} {row.issue} {row.detail!r}" for row in ALLOWED if row not in used
    ]
    for finding in findings:
        print(finding)
    kinds = sorted({document.kind for document in documents})
    print(f"parliament: {len(documents)} documents ({', '.join(kinds)}), {len(findings)} unexplained findings")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
