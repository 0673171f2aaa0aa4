"""docs/how-to/respond-to-drift.md: the commands it gives dispatch workflows that accept them, and the drift issue
sends its reader there."""

from __future__ import annotations

import shlex

import yaml

from tests import runbooks
from tools import drift_issue

PAGE = "how-to/respond-to-drift.md"
WORKFLOWS = runbooks.ROOT / ".github" / "workflows"


def dispatch_inputs(workflow: str) -> set[str]:
    document = yaml.safe_load((WORKFLOWS / workflow).read_text())
    triggers = document.get("on", document.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "workflow_dispatch" in triggers, workflow
    return set((triggers["workflow_dispatch"] or {}).get("inputs", {}))


def test_every_gh_workflow_run_line_names_a_dispatchable_workflow_and_its_inputs() -> None:
    lines = runbooks.commands(PAGE, "Steps") + runbooks.commands(PAGE, "Verify")
    assert lines == [
        "gh workflow run infra-deploy.yml --repo tenantguard/tenantguard-infra -f stack=staging",
        "gh workflow run infra-drift.yml --repo tenantguard/tenantguard-infra",
    ]
    for line in lines:
        words = shlex.split(line)
        inputs = {words[i + 1].split("=", 1)[0] for i, word in enumerate(words) if word == "-f"}
        assert inputs <= dispatch_inputs(words[3])
        assert words[words.index("--repo") + 1] == "tenantguard/tenantguard-infra"


def test_the_drift_issue_names_the_runbook_for_drift_and_for_a_failed_check() -> None:
    for result in ("drifted", "failed"):
        assert "docs/how-to/respond-to-drift.md#steps" in drift_issue.body("staging", result, "", "https://run")


def test_the_issue_title_the_page_describes_is_the_one_the_tool_keeps() -> None:
    assert drift_issue.title("staging") == "[drift] stack staging"
    assert "an issue titled after a stack" in (runbooks.DOCS / PAGE).read_text()
