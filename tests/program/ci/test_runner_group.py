"""The runner group for the runners that reach the databases: this repository only, main's deploy and drift
workflows only, made whenever `runners` names any."""

from __future__ import annotations

import json

import pytest

from ci.program import RUNNER_WORKFLOWS
from tests.program.ci import harness
from tools import evaluator
from tools.github_listings import repository_id

GROUP = "github:index/actionsRunnerGroup:ActionsRunnerGroup"
RUNNERS = json.dumps({"production": ["self-hosted", "prod-net"]})
pytestmark = pytest.mark.slow


def test_runners_go_in_a_group_only_main_s_deploy_and_drift_workflows_of_this_repository_use() -> None:
    evaluation = harness.evaluate(harness.config_values(runners=RUNNERS))
    (group,) = evaluation.named(GROUP).values()
    assert group["name"] == "tenantguard-infra-databases"
    assert group["visibility"] == "selected"
    assert group["selectedRepositoryIds"] == [repository_id("tenantguard-infra")]
    assert group["restrictedToWorkflows"] is True
    assert group["selectedWorkflows"] == [
        "tenantguard/tenantguard-infra/.github/workflows/infra-deploy.yml@refs/heads/main",
        "tenantguard/tenantguard-infra/.github/workflows/infra-drift.yml@refs/heads/main",
    ]
    assert group["allowsPublicRepositories"] is False
    assert evaluation.outputs["runnerGroup"] == "tenantguard-infra-databases"


def test_no_runners_no_group() -> None:
    assert harness.evaluate().named(GROUP) == {}


def test_the_group_s_workflows_are_the_ones_that_run_on_the_runners() -> None:
    workflows = evaluator.ROOT / ".github" / "workflows"
    using = sorted(path.name for path in workflows.glob("*.yml") if "INFRA_RUNNERS" in path.read_text())
    assert using == sorted(RUNNER_WORKFLOWS)
