"""infra/config/rules/vercel.py: project, team, git branch and custom environments for the tier's targets."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from infra.config.load import parse
from tests.fakes import stack_values
from tests.program.config.refusals import FAKE_CI, Bad, assert_refused_clearly, ids
from tools import evaluator

CASES = [
    Bad("bad-vercel-project-id", "preview", {"vercelProjectId": "tenantguard-web"}, "vercelProjectId", "prj_"),
    Bad(
        "staging-without-vercel-branch", "staging", {"vercelGitBranch": None}, "vercelGitBranch", "required in staging"
    ),
    Bad(
        "preview-with-vercel-branch",
        "preview",
        {"vercelGitBranch": "staging"},
        "vercelGitBranch",
        "only accepted in staging",
    ),
    # Vercel targets: only staging narrows them (git branch or custom environments), and ids are checked whole.
    Bad(
        "production-with-custom-environment",
        "production",
        {"vercelCustomEnvironmentIds": '["env_Production1"]'},
        "vercelCustomEnvironmentIds",
        "only accepted in staging; production uses the production target",
    ),
    Bad(
        "preview-with-custom-environment",
        "preview",
        {"vercelCustomEnvironmentIds": '["env_Preview1"]'},
        "vercelCustomEnvironmentIds",
        "only accepted in staging; preview uses the preview target",
    ),
    Bad(
        "custom-environment-not-an-id",
        "staging",
        {"vercelGitBranch": None, "vercelCustomEnvironmentIds": '["staging"]'},
        "vercelCustomEnvironmentIds",
        "(item 1 of 1) is not accepted; expected Vercel custom environment ids (env_...)",
    ),
    Bad(
        "custom-environment-id-with-newline",
        "staging",
        {"vercelGitBranch": None, "vercelCustomEnvironmentIds": '["env_Staging42", "env_Staging43\\n"]'},
        "vercelCustomEnvironmentIds",
        "(item 2 of 2) is not accepted; expected Vercel custom environment ids (env_...)",
    ),
    Bad(
        "staging-git-branch-and-custom-environment",
        "staging",
        {"vercelCustomEnvironmentIds": '["env_Staging42"]'},
        "vercelCustomEnvironmentIds",
        "give one of them",
    ),
    Bad(
        "team-id-not-an-id",
        "preview",
        {"vercelTeamId": "tenantguard"},
        "vercelTeamId",
        "is not accepted; expected a Vercel team id (team_...)",
    ),
    Bad("secret-as-team-id", "preview", {"vercelTeamId": FAKE_CI}, "vercelTeamId", "expected a Vercel team id"),
    # A secret stored under the wrong key is never echoed.
    Bad("secret-as-vercel-project", "preview", {"vercelProjectId": FAKE_CI}, "vercelProjectId", "not accepted"),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_bad_vercel_config_is_refused_clearly(run_stack: Callable[..., evaluator.Evaluation], case: Bad) -> None:
    assert_refused_clearly(run_stack, case)


@pytest.mark.parametrize(
    ("team_id", "custom_environment_id"),
    [("team_tG9hJ2kL4mN6pQ8rS0tV", "env_7QvZk2mN4pXr8sT1uW3yA5bC"), ("team_a", "env_9")],
    ids=["as-vercel-writes-them", "shortest"],
)
def test_well_formed_vercel_team_and_custom_environment_ids_are_accepted(
    team_id: str, custom_environment_id: str
) -> None:
    values, secret = stack_values(
        "staging",
        {
            "vercelTeamId": team_id,
            "vercelGitBranch": None,
            "vercelCustomEnvironmentIds": json.dumps([custom_environment_id]),
        },
    )
    settings = parse("staging", values, secret)
    assert settings.vercel_team_id == team_id
    assert settings.vercel_custom_environment_ids == (custom_environment_id,)
    assert settings.variables["VERCEL_ORG_ID"] == team_id
