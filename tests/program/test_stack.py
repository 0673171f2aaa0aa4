"""The real program of each stack, evaluated under Pulumi's mocks with its own Pulumi.<stack>.yaml."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable

import pulumi
import pytest
from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret

from infra.components.environment import EVERY_PATH
from infra.components.generated_secrets import PREVIOUS
from infra.config.rules.secret_values import MAX_ENVIRONMENT_SECRETS
from infra.tables import type_tokens as types
from infra.tables.routes import ROUTES
from tests.fakes import fake_secrets, secret_part, stack_values
from tests.helpers import STACKS
from tools import evaluator

ENV = types.ENVIRONMENT
POLICY = types.BRANCH_POLICY
SECRET = types.ENVIRONMENT_SECRET
VARIABLE = types.VERCEL_VARIABLE
PASSWORD = types.RANDOM_PASSWORD
REPOSITORIES = ("tenantguard", "tenantguard-worker")
GITHUB_SECRET_NAMES = {"CI_DB_URL", "VERCEL_TOKEN", "REDIS_URL", "OPENAI_API_KEY"}
VERCEL_KEYS = {"REDIS_URL", "DATABASE_URL", "SESSION_SECRET_KEY", "OPENAI_API_KEY"}


def resource_types(evaluation: evaluator.Evaluation) -> Counter[str]:
    return Counter(evaluator.resource_type(urn) for urn in evaluation.resources)


@pytest.mark.parametrize("stack", STACKS)
def test_each_stack_declares_exactly_its_resources(evaluated: dict[str, evaluator.Evaluation], stack: str) -> None:
    branch_policies = {"preview": 2, "staging": 2, "production": 2}[stack]
    expected = {
        "pulumi:providers:github": 1,
        "pulumi:providers:vercel": 1,
        "tenantguard:generated:GeneratedSecrets": 1,
        "tenantguard:shadow_secrets:ShadowSecretCheck": 1,
        PASSWORD: 1,
        "tenantguard:environment:DeploymentEnvironment": 2,
        ENV: 2,
        types.ENVIRONMENT_VARIABLE: 4,
        "tenantguard:github_secrets:EnvironmentSecrets": 2,
        SECRET: 8,
        "tenantguard:vercel:VercelVariables": 1,
        VARIABLE: 4,
        "tenantguard:migration:DatabaseMigration": 1,
        "pulumi-python:dynamic:Resource": 1,
    }
    if branch_policies:
        expected[POLICY] = branch_policies
    if stack == "production":
        expected[types.RULESET] = (
            2  # GitHub Team, private repositories: no environment reviewers (config/test_approval_gate.py)
        )
    if stack != "production":
        expected["pulumi:pulumi:StackReference"] = 1
    assert dict(resource_types(evaluated[stack])) == expected


@pytest.mark.parametrize("stack", STACKS)
def test_environment_name_defaults_to_stack_name(evaluated: dict[str, evaluator.Evaluation], stack: str) -> None:
    environments = evaluated[stack].named(ENV)
    assert {env["repository"] for env in environments.values()} == set(REPOSITORIES)
    assert {env["environment"] for env in environments.values()} == {stack}
    assert evaluated[stack].outputs["environmentName"] == stack


def test_environment_name_comes_from_config_when_set(run_stack: Callable[..., evaluator.Evaluation]) -> None:
    evaluation = run_stack("staging", {"environmentName": "staging-eu"})
    assert {env["environment"] for env in evaluation.named(ENV).values()} == {"staging-eu"}
    assert {secret["environment"] for secret in evaluation.named(SECRET).values()} == {"staging-eu"}


def test_preview_is_used_only_from_the_apps_default_branch_without_approval(
    evaluated: dict[str, evaluator.Evaluation],
) -> None:
    # It holds the per-pull-request database manager: only the default-branch workflow's jobs, which run no
    # pull-request code (pull_request_target is judged against the default branch), may use it.
    for env in evaluated["preview"].named(ENV).values():
        assert env["canAdminsBypass"] is True
        assert env["deploymentBranchPolicy"] == {"customBranchPolicies": True, "protectedBranches": False}
        assert not env.get("reviewers")
    policies = evaluated["preview"].named(POLICY)
    assert {(p["repository"], p["branchPattern"]) for p in policies.values()} == {
        (repository, "main") for repository in REPOSITORIES
    }


def test_staging_deploys_only_from_the_staging_branch(evaluated: dict[str, evaluator.Evaluation]) -> None:
    for env in evaluated["staging"].named(ENV).values():
        assert env["deploymentBranchPolicy"] == {"customBranchPolicies": True, "protectedBranches": False}
    policies = evaluated["staging"].named(POLICY)
    assert {(p["repository"], p["branchPattern"], p["environment"]) for p in policies.values()} == {
        (repository, "staging", "staging") for repository in REPOSITORIES
    }


def test_production_on_team_with_private_repositories_deploys_only_approved_main(
    evaluated: dict[str, evaluator.Evaluation],
) -> None:
    teams = [evaluator.team_id("platform-ops"), evaluator.team_id("security")]
    for env in evaluated["production"].named(ENV).values():
        assert env["deploymentBranchPolicy"] == {"customBranchPolicies": True, "protectedBranches": False}
        # GitHub Team has no reviewers, wait timer or bypass setting for private repositories: nothing it would drop.
        assert not env.get("reviewers")
        assert (env["preventSelfReview"], env["waitTimer"], env["canAdminsBypass"]) == (False, 0, True)
    policies = evaluated["production"].named(POLICY)
    assert {p["branchPattern"] for p in policies.values()} == {"main"}
    rulesets = evaluated["production"].named(types.RULESET)
    assert {ruleset["repository"] for ruleset in rulesets.values()} == set(REPOSITORIES)
    for ruleset in rulesets.values():
        assert (ruleset["target"], ruleset["enforcement"]) == ("branch", "active")
        assert not ruleset.get("bypassActors")
        assert ruleset["conditions"] == {
            "refName": {"includes": ["~DEFAULT_BRANCH", "refs/heads/main"], "excludes": []}
        }
        rules = ruleset["rules"]
        assert (rules["creation"], rules["deletion"], rules["nonFastForward"]) == (True, True, True)
        pull_request = rules["pullRequest"]
        assert pull_request["requiredApprovingReviewCount"] == 1
        assert (pull_request["dismissStaleReviewsOnPush"], pull_request["requireLastPushApproval"]) == (True, True)
        assert pull_request["requiredReviewers"] == [
            {"filePatterns": list(EVERY_PATH), "minimumApprovals": 1, "reviewer": {"id": team, "type": "Team"}}
            for team in teams
        ]


def test_production_on_enterprise_needs_its_reviewers_and_deploys_only_from_main(
    run_stack: Callable[..., evaluator.Evaluation],
) -> None:
    evaluation = run_stack("production", {"githubPlan": "enterprise", "waitTimerMinutes": "5"})
    for env in evaluation.named(ENV).values():
        assert env["deploymentBranchPolicy"] == {"customBranchPolicies": True, "protectedBranches": False}
        assert env["reviewers"] == [{"teams": [evaluator.team_id("platform-ops"), evaluator.team_id("security")]}]
        assert env["preventSelfReview"] is True
        assert env["waitTimer"] == 5
        assert env["canAdminsBypass"] is False
    assert evaluation.named(types.RULESET) == {}
    assert {p["branchPattern"] for p in evaluation.named(POLICY).values()} == {"main"}


def test_branch_policies_depend_on_their_environment(evaluated: dict[str, evaluator.Evaluation]) -> None:
    evaluation = evaluated["production"]
    for urn in evaluation.resources:
        if f"${POLICY}::" in urn:
            repository = urn.rsplit("::", 1)[1].removesuffix("-branch-main")
            assert any(dep.endswith(f"::{repository}-environment") for dep in evaluation.options[urn].dependencies)


def test_only_production_is_protected(evaluated: dict[str, evaluator.Evaluation]) -> None:
    for stack, evaluation in evaluated.items():
        for urn, options in evaluation.options.items():
            if any(f"{token}::" in urn for token in (ENV, SECRET, VARIABLE, POLICY)):
                assert options.protect is (stack == "production"), urn
            if PASSWORD in urn:
                # A protected password could not be rotated (rotation replaces it).
                assert options.protect is False


@pytest.mark.parametrize("stack", STACKS)
def test_secrets_are_environment_secrets_of_exactly_their_environment(
    evaluated: dict[str, evaluator.Evaluation], stack: str
) -> None:
    evaluation = evaluated[stack]
    secrets = evaluation.named(SECRET)
    assert {(s["repository"], s["secretName"]) for s in secrets.values()} == {
        (repository, name) for repository in REPOSITORIES for name in GITHUB_SECRET_NAMES
    }
    assert {s["environment"] for s in secrets.values()} == {stack}
    forbidden = ("actionsSecret:", "actionsOrganizationSecret", "actionsVariable", "dependabot")
    assert not [urn for urn in evaluation.resources if any(token in urn for token in forbidden)]


@pytest.mark.parametrize("stack", STACKS)
def test_each_environment_gets_the_vercel_ids_as_plain_variables_and_nothing_else(
    evaluated: dict[str, evaluator.Evaluation], stack: str
) -> None:
    variables = evaluated[stack].named(types.ENVIRONMENT_VARIABLE)
    written = stack_values(stack)[0]
    assert {(v["repository"], v["environment"], v["variableName"], v["value"]) for v in variables.values()} == {
        (repository, stack, name, value)
        for repository in REPOSITORIES
        for name, value in (
            ("VERCEL_PROJECT_ID", written["vercelProjectId"]),
            ("VERCEL_ORG_ID", written["vercelTeamId"]),
        )
    }
    assert not any(is_rpc_secret(v["value"]) for v in variables.values())


def test_without_a_vercel_team_the_org_variable_is_not_invented(run_stack: Callable[..., evaluator.Evaluation]) -> None:
    variables = run_stack("preview", {"vercelTeamId": None}).named(types.ENVIRONMENT_VARIABLE)
    assert {v["variableName"] for v in variables.values()} == {"VERCEL_PROJECT_ID"}


@pytest.mark.parametrize("stack", STACKS)
def test_secrets_use_value_marked_secret_and_depend_on_their_environment(
    evaluated: dict[str, evaluator.Evaluation], stack: str
) -> None:
    evaluation = evaluated[stack]
    for urn, registration in evaluation.resources.items():
        if f"${SECRET}::" not in urn:
            continue
        state = registration.state
        assert is_rpc_secret(state["value"])
        assert not {"plaintextValue", "encryptedValue", "valueEncrypted"} & set(state)
        options = evaluation.options[urn]
        assert any(dep.endswith(f"::{state['repository']}-environment") for dep in options.dependencies)
        assert options.delete_before_replace


def test_secret_values_come_from_their_config_keys(evaluated: dict[str, evaluator.Evaluation]) -> None:
    secrets = evaluated["staging"].named(SECRET)
    value = unwrap_rpc_secret(secrets["tenantguard-secrets-CI_DB_URL"]["value"])
    assert value == fake_secrets("staging")["ciDbUrl"]
    openai = unwrap_rpc_secret(secrets["tenantguard-worker-secrets-OPENAI_API_KEY"]["value"])
    assert openai == secret_part("OPENAI_API_KEY", "staging")


@pytest.mark.parametrize(
    ("stack", "targets", "git_branch"),
    [("preview", ["preview"], None), ("staging", ["preview"], "staging"), ("production", ["production"], None)],
)
def test_vercel_variables_land_only_in_their_stacks_targets(
    evaluated: dict[str, evaluator.Evaluation], stack: str, targets: list[str], git_branch: str | None
) -> None:
    evaluation = evaluated[stack]
    variables = evaluation.named(VARIABLE)
    written = stack_values(stack)[0]
    assert {v["key"] for v in variables.values()} == VERCEL_KEYS
    for urn, registration in evaluation.resources.items():
        if f"${VARIABLE}::" not in urn:
            continue
        variable = registration.state
        assert variable["targets"] == targets
        assert variable.get("gitBranch") == git_branch
        assert variable["sensitive"] is True
        assert is_rpc_secret(variable["value"])
        assert variable["projectId"] == written["vercelProjectId"]
        assert variable["teamId"] == written["vercelTeamId"]
        assert evaluation.options[urn].delete_before_replace


def test_production_values_never_reach_a_non_production_target(evaluated: dict[str, evaluator.Evaluation]) -> None:
    for stack, evaluation in evaluated.items():
        for variable in evaluation.named(VARIABLE).values():
            assert ("production" in variable["targets"]) is (stack == "production")
            if stack == "production":
                assert variable["targets"] == ["production"]


def test_staging_can_use_a_vercel_custom_environment(run_stack: Callable[..., evaluator.Evaluation]) -> None:
    evaluation = run_stack("staging", {"vercelGitBranch": None, "vercelCustomEnvironmentIds": '["env_Staging42"]'})
    for variable in evaluation.named(VARIABLE).values():
        assert variable["customEnvironmentIds"] == ["env_Staging42"]
        assert not variable.get("targets")


def rotated(rotation: int = 2, until: str | None = "2026-12-14") -> dict[str, str | None]:
    return {"sessionKeyRotation": str(rotation), "sessionKeyPreviousUntil": until}


def test_session_key_is_generated_once_before_any_rotation(evaluated: dict[str, evaluator.Evaluation]) -> None:
    passwords = evaluated["preview"].named(PASSWORD)
    assert list(passwords) == ["generated-session-key"]
    assert passwords["generated-session-key"]["length"] == 64
    assert passwords["generated-session-key"]["keepers"] == {"rotation": "1"}
    assert "SESSION_SECRET_KEY_PREVIOUS" not in {v["key"] for v in evaluated["preview"].named(VARIABLE).values()}


def test_a_rotation_regenerates_one_slot_and_keeps_the_previous_key(
    run_stack: Callable[..., evaluator.Evaluation],
) -> None:
    evaluation = run_stack("preview", rotated())
    passwords = evaluation.named(PASSWORD)
    # The key of rotation 1 keeps its keeper (so its value) and its URN; rotation 2 is a new slot.
    assert passwords["generated-session-key"]["keepers"] == {"rotation": "1"}
    assert passwords["generated-session-key-even"]["keepers"] == {"rotation": "2"}
    variables = evaluation.named(VARIABLE)
    current = unwrap_rpc_secret(variables["vercel-SESSION_SECRET_KEY"]["value"])
    previous = unwrap_rpc_secret(variables["vercel-SESSION_SECRET_KEY_PREVIOUS"]["value"])
    assert previous == passwords["generated-session-key"]["result"]
    assert current == passwords["generated-session-key-even"]["result"]
    assert is_rpc_secret(variables["vercel-SESSION_SECRET_KEY_PREVIOUS"]["value"])
    assert evaluation.outputs["sessionKeyRotation"] == "rotation 2; previous key delivered until 2026-12-14 (UTC)"


def test_the_next_rotation_reuses_the_older_slot(run_stack: Callable[..., evaluator.Evaluation]) -> None:
    passwords = run_stack("preview", rotated(rotation=3)).named(PASSWORD)
    assert passwords["generated-session-key"]["keepers"] == {"rotation": "3"}
    assert passwords["generated-session-key-even"]["keepers"] == {"rotation": "2"}


def test_the_previous_key_goes_when_its_window_key_is_removed(run_stack: Callable[..., evaluator.Evaluation]) -> None:
    evaluation = run_stack("preview", rotated(until=None))
    assert "SESSION_SECRET_KEY_PREVIOUS" not in {v["key"] for v in evaluation.named(VARIABLE).values()}
    assert evaluation.outputs["sessionKeyRotation"] == "rotation 2; previous key not delivered"


def test_routing_follows_the_scoping_table(evaluated: dict[str, evaluator.Evaluation]) -> None:
    secrets = {s["secretName"] for s in evaluated["preview"].named(SECRET).values()}
    keys = {v["key"] for v in evaluated["preview"].named(VARIABLE).values()}
    for route in ROUTES:
        if route.source == PREVIOUS:
            continue  # delivered only after a rotation (tested above)
        assert (route.name in secrets) is route.github
        assert (route.name in keys) is route.vercel


@pytest.mark.parametrize("stack", STACKS)
def test_outputs_name_things_and_mask_the_database_password(
    evaluated: dict[str, evaluator.Evaluation], stack: str
) -> None:
    outputs = evaluated[stack].outputs
    assert {repo: set(names) for repo, names in outputs["githubSecretNames"].items()} == {
        repository: GITHUB_SECRET_NAMES for repository in REPOSITORIES
    }
    assert set(outputs["vercelVariableKeys"]) == VERCEL_KEYS
    assert outputs["ciDbUrlMasked"].startswith(f"postgresql://ci:***@db.{stack}.internal:5432/tenantguard")
    assert not any(isinstance(value, pulumi.Output) for value in outputs.values())


GITHUB_MANAGED = [route.name for route in ROUTES if route.github]
"""Secrets every environment gets before any extra one: what config counts against GitHub's limit."""


def extras_filling_the_environment_to(total: int) -> dict[str, str | None]:
    extras = {f"LLM_KEY_{n:03d}": f"value-{n}" for n in range(total - len(GITHUB_MANAGED))}
    return {"extraSecrets": json.dumps(extras)}


def test_an_environment_takes_exactly_githubs_limit_of_secrets(
    run_stack: Callable[..., evaluator.Evaluation],
) -> None:
    assert MAX_ENVIRONMENT_SECRETS == 100  # GitHub: "a maximum of 100 secrets" per environment
    evaluation = run_stack("preview", extras_filling_the_environment_to(MAX_ENVIRONMENT_SECRETS))
    per_repository = Counter(secret["repository"] for secret in evaluation.named(SECRET).values())
    assert per_repository == dict.fromkeys(REPOSITORIES, MAX_ENVIRONMENT_SECRETS)


def test_one_secret_over_githubs_limit_is_refused(run_stack: Callable[..., evaluator.Evaluation]) -> None:
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack("preview", extras_filling_the_environment_to(MAX_ENVIRONMENT_SECRETS + 1))
    assert (
        "tenantguard-infra:extraSecrets brings the environment to 101 secrets; "
        "GitHub allows at most 100 per environment"
    ) in str(failure.value)
    assert failure.value.resources == {}
