"""tools.drift_issue: one issue per drifted stack, opened, updated and closed by what each run found."""

from __future__ import annotations

from tools import drift_issue

DRIFTED = "~ github:index/repositoryEnvironment:RepositoryEnvironment tenantguard-environment update\n" + (
    "error: no changes were expected but changes were proposed\n"
)
RUN = "https://github.com/tenantguard/tenantguard-infra/actions/runs/1"


def test_the_result_follows_the_exit_status_and_the_message() -> None:
    assert drift_issue.outcome(0, "") == "clean"
    assert drift_issue.outcome(255, DRIFTED) == "drifted"
    assert (
        drift_issue.outcome(255, "error: no changes were expected for preview but changes were proposed") == "drifted"
    )
    assert drift_issue.outcome(255, "error: failed to decrypt: incorrect passphrase") == "failed"


def test_drift_opens_a_labelled_issue_with_the_preview_and_the_run() -> None:
    text = drift_issue.body("staging", "drifted", DRIFTED, RUN)
    steps = drift_issue.actions("staging", "drifted", None, text, RUN)
    assert [step.argv[:3] for step in steps] == [("gh", "label", "create"), ("gh", "issue", "create")]
    assert "[drift] stack staging" in steps[1].argv
    assert steps[1].stdin == text
    assert RUN in text
    assert "tenantguard-environment update" in text


def test_later_drift_updates_the_open_issue_instead_of_opening_another() -> None:
    steps = drift_issue.actions("staging", "drifted", 17, "body", RUN)
    assert [step.argv[:4] for step in steps] == [("gh", "issue", "edit", "17"), ("gh", "issue", "comment", "17")]


def test_a_clean_run_closes_the_open_issue_and_otherwise_does_nothing() -> None:
    assert drift_issue.actions("staging", "clean", None, "", RUN) == []
    (close,) = drift_issue.actions("staging", "clean", 17, "", RUN)
    assert close.argv[:4] == ("gh", "issue", "close", "17")


def test_a_long_output_keeps_its_end_without_colour_codes() -> None:
    output = "\n".join(f"\x1b[32mline {n}\x1b[0m" for n in range(500))
    text = drift_issue.body("production", "failed", output, RUN)
    assert "line 499" in text
    assert "line 0\n" not in text
    assert "\x1b" not in text
    assert f"last {drift_issue.MAX_OUTPUT_LINES} of 500 lines" in text
