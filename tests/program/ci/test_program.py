"""ci/program.py under mocks: per stack the CI environments tools/ci_layout.py decides, with what each holds; this
repository's variables and main's ruleset; the state bucket adopted and kept; Pulumi Cloud's team tokens."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret

from ci.program import DRIFT_APP_KEY, DRIFT_ENVIRONMENT
from infra.tables.github_plans import capabilities
from tests.program.ci import harness
from tools import evaluator
from tools.ci_layout import READ_APP_KEY, WRITE_APP_KEY
from tools.github_listings import GitHubListings
from tools.github_requests import environment_violations

ENVIRONMENT = "github:index/repositoryEnvironment:RepositoryEnvironment"
SECRET = "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret"
VARIABLE = "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable"
REPO_VARIABLE = "github:index/actionsVariable:ActionsVariable"
RULESET = "github:index/repositoryRuleset:RepositoryRuleset"
BRANCH_POLICY = "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy"
BUCKET = "aws:s3/bucket:Bucket"


def by_environment(evaluation: evaluator.Evaluation, token: str) -> dict[str, dict[str, Any]]:
    """Each environment's secrets (or variables): name -> value, secrets unwrapped."""
    found: dict[str, dict[str, Any]] = {}
    field = "secretName" if token == SECRET else "variableName"
    for state in evaluation.named(token).values():
        value = state["value"]
        found.setdefault(state["environment"], {})[state[field]] = value
    return found


def environments(evaluation: evaluator.Evaluation) -> dict[str, dict[str, Any]]:
    return {state["environment"]: state for state in evaluation.named(ENVIRONMENT).values()}


def test_each_stack_gets_the_environments_the_layout_decides_and_the_project_its_drift_one(
    committed: evaluator.Evaluation,
) -> None:
    # Team, private: production's pull requests get the offline plan only, so no infra-production-pr; nor preview's,
    # whose config holds the per-pull-request database manager.
    assert sorted(environments(committed)) == sorted(
        [
            "infra-preview",
            "infra-preview-read",
            "infra-staging-pr",
            "infra-staging",
            "infra-staging-read",
            "infra-production",
            "infra-production-read",
            DRIFT_ENVIRONMENT,
        ]
    )


def test_only_deploy_environments_hold_the_write_apps_key(committed: evaluator.Evaluation) -> None:
    secrets = by_environment(committed, SECRET)
    for environment, held in secrets.items():
        if environment == DRIFT_ENVIRONMENT:
            assert set(held) == {"PULUMI_CONFIG_PASSPHRASE", DRIFT_APP_KEY}
        elif environment.endswith(("-pr", "-read")):
            assert READ_APP_KEY in held, environment
            assert WRITE_APP_KEY not in held, environment
        else:
            assert WRITE_APP_KEY in held, environment
            assert READ_APP_KEY not in held, environment
    assert "FAKEWRITE" in unwrap_rpc_secret(secrets["infra-staging"][WRITE_APP_KEY])
    assert "FAKEREAD" in unwrap_rpc_secret(secrets["infra-staging-pr"][READ_APP_KEY])


def test_every_secret_value_is_a_secret_and_each_passphrase_is_its_own_stacks(committed: evaluator.Evaluation) -> None:
    secrets = by_environment(committed, SECRET)
    for environment, held in secrets.items():
        for name, value in held.items():
            assert is_rpc_secret(value), (environment, name)
    for stack in ("preview", "staging", "production"):
        value = unwrap_rpc_secret(secrets[f"infra-{stack}"]["PULUMI_CONFIG_PASSPHRASE"])
        assert value == f"fake-passphrase-of-{stack}"
        assert (
            unwrap_rpc_secret(secrets[f"infra-{stack}-read"]["INFRA_VERCEL_TOKEN"]) == f"fake-vercel-token-of-{stack}"
        )
    assert unwrap_rpc_secret(secrets[DRIFT_ENVIRONMENT]["PULUMI_CONFIG_PASSPHRASE"]) == "fake-passphrase-of-ci"


def test_each_environment_names_its_role_its_app_and_the_stacks_repositories(committed: evaluator.Evaluation) -> None:
    variables = by_environment(committed, VARIABLE)
    roles = {state["name"]: state for state in committed.named("aws:iam/role:Role").values()}
    for environment, held in variables.items():
        assert held["PULUMI_BACKEND_ROLE"] == f"arn:aws:iam::123456789012:role/tenantguard-infra/{environment}"
        assert environment in roles
        if environment != DRIFT_ENVIRONMENT:
            assert held["INFRA_GITHUB_OWNER"] == "tenantguard"
            assert held["INFRA_GITHUB_REPOSITORIES"] == "tenantguard,tenantguard-worker"
    assert variables["infra-staging"]["INFRA_GITHUB_WRITE_APP_CLIENT_ID"] == "Iv23liTgInfraWrite001"
    assert variables["infra-staging-pr"]["INFRA_GITHUB_READ_APP_CLIENT_ID"] == "Iv23liTgInfraRead0001"


def test_deploys_and_drift_checks_run_from_main_only_and_previews_from_any_branch(
    committed: evaluator.Evaluation,
) -> None:
    found = environments(committed)
    policies = {(state["environment"], state["branchPattern"]) for state in committed.named(BRANCH_POLICY).values()}
    for name, state in found.items():
        if name.endswith("-pr"):
            assert state.get("deploymentBranchPolicy") is None, name
            assert not any(environment == name for environment, _ in policies)
        else:
            assert state["deploymentBranchPolicy"] == {"protectedBranches": False, "customBranchPolicies": True}
            assert (name, "main") in policies


@pytest.mark.parametrize(
    ("shape", "plan", "visibility"), [("committed", "team", "private"), ("public", "team", "public")]
)
def test_nothing_is_sent_that_github_refuses_or_ignores_for_the_plan(
    configurations: dict[str, evaluator.Evaluation], shape: str, plan: str, visibility: str
) -> None:
    caps = capabilities(plan, visibility)  # type: ignore[arg-type]
    for name, state in environments(configurations[shape]).items():
        body = {
            "reviewers": state.get("reviewers", [{}])[0].get("teams", []) if state.get("reviewers") else [],
            "prevent_self_review": state["preventSelfReview"],
            "can_admins_bypass": state["canAdminsBypass"],
            "wait_timer": state["waitTimer"],
        }
        # The provider sends both flags on every write, through go-github, which retries a 422 without them.
        assert environment_violations(body, caps, retried=True) == [], name


def test_where_github_has_reviewers_production_needs_them_to_preview_and_deploy_but_not_for_drift(
    configurations: dict[str, evaluator.Evaluation],
) -> None:
    found = environments(configurations["public"])
    for name in ("infra-production-pr", "infra-production"):
        assert len(found[name]["reviewers"][0]["teams"]) == 2, name
        assert found[name]["preventSelfReview"] is True
        assert found[name]["canAdminsBypass"] is False
    assert not found["infra-production-read"].get("reviewers")
    assert not found["infra-staging-pr"].get("reviewers")
    # On Team with a private repository there are none at all, and GitHub keeps admins' bypass.
    for name, state in environments(configurations["committed"]).items():
        assert not state.get("reviewers"), name
        assert state["preventSelfReview"] is False
        assert state["canAdminsBypass"] is True


def test_the_repository_variables_the_workflows_read(committed: evaluator.Evaluation) -> None:
    variables = {state["variableName"]: state["value"] for state in committed.named(REPO_VARIABLE).values()}
    assert variables == {
        "PULUMI_BACKEND_URL": "s3://tenantguard-pulumi-state",
        "AWS_REGION": "eu-west-1",
        "INFRA_RUNNERS": "{}",
    }
    with_runners = harness.evaluate(harness.config_values(runners={"production": ["self-hosted", "prod-net"]}))
    variables = {state["variableName"]: state["value"] for state in with_runners.named(REPO_VARIABLE).values()}
    assert json.loads(variables["INFRA_RUNNERS"]) == {"production": ["self-hosted", "prod-net"]}


def test_main_takes_only_code_owner_approved_changes_and_nobody_bypasses_it(committed: evaluator.Evaluation) -> None:
    (ruleset,) = committed.named(RULESET).values()
    assert ruleset["repository"] == "tenantguard-infra"
    assert ruleset["enforcement"] == "active"
    assert ruleset["target"] == "branch"
    assert set(ruleset["conditions"]["refName"]["includes"]) == {"~DEFAULT_BRANCH", "refs/heads/main"}
    assert not ruleset.get("bypassActors")
    rules = ruleset["rules"]
    assert rules["deletion"] is True
    assert rules["nonFastForward"] is True
    assert rules["pullRequest"] == {
        "requiredApprovingReviewCount": 1,
        "requireCodeOwnerReview": True,
        "dismissStaleReviewsOnPush": True,
        "requireLastPushApproval": True,
    }


def test_the_bucket_holding_this_projects_state_is_adopted_protected_and_never_deleted(
    committed: evaluator.Evaluation,
) -> None:
    (urn,) = committed.urns(BUCKET)
    options = committed.options[urn]
    # The first run imports the bucket the first-deploy command made; later runs find the same id in the state and
    # treat it as an ordinary resource (ci/components/state_bucket.py cites the engine).
    assert options.import_id == "tenantguard-pulumi-state"
    assert options.protect
    assert options.retain_on_delete
    # Only the name: what a bare bucket has, so the import's diff is empty.
    assert set(committed.inputs[urn]) - {"__defaults"} <= {"bucket", "forceDestroy"}
    others = [u for u in committed.urns("aws:s3/bucketVersioning:BucketVersioning")]
    others += committed.urns("aws:s3/bucketPolicy:BucketPolicy")
    others += committed.urns("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    for other in others:
        # Every setting waits for the adoption, so nothing is sent to a bucket the stack does not hold yet.
        assert urn in committed.options[other].dependencies, other


def test_the_bucket_is_versioned_encrypted_private_tls_only_and_expires_old_versions(
    committed: evaluator.Evaluation,
) -> None:
    (versioning,) = committed.named("aws:s3/bucketVersioning:BucketVersioning").values()
    assert versioning["versioningConfiguration"]["status"] == "Enabled"
    (encryption,) = committed.named(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ).values()
    assert encryption["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"
    (block,) = committed.named("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").values()
    assert all(
        block[key] is True
        for key in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    (policy,) = committed.named("aws:s3/bucketPolicy:BucketPolicy").values()
    (statement,) = json.loads(policy["policy"])["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    (lifecycle,) = committed.named("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").values()
    assert lifecycle["rules"][0]["noncurrentVersionExpiration"]["noncurrentDays"] == 90


def test_a_kms_stack_gets_its_key_here_no_passphrase_and_its_roles_decrypt_with_it(
    configurations: dict[str, evaluator.Evaluation],
) -> None:
    kms = configurations["kms"]
    (alias,) = kms.named("aws:kms/alias:Alias").values()
    assert alias["name"] == "alias/tenantguard-production"
    (key,) = kms.named("aws:kms/key:Key").values()
    assert key["enableKeyRotation"] is True
    secrets = by_environment(kms, SECRET)
    for environment in ("infra-production", "infra-production-read"):
        assert "PULUMI_CONFIG_PASSPHRASE" not in secrets[environment]
    assert "PULUMI_CONFIG_PASSPHRASE" in secrets["infra-staging"]
    policies = {
        name.removesuffix("-policy"): json.loads(state["policy"])
        for name, state in kms.named("aws:iam/rolePolicy:RolePolicy").items()
    }
    key_arn = "arn:aws:kms:eu-west-1:123456789012:key/production-key-id"
    decrypting = {
        name
        for name, policy in policies.items()
        if any(statement["Action"] == "kms:Decrypt" for statement in policy["Statement"])
    }
    assert decrypting == {"infra-production", "infra-production-read"}
    for name in decrypting:
        (statement,) = [s for s in policies[name]["Statement"] if s["Action"] == "kms:Decrypt"]
        assert statement["Resource"] == [key_arn]


def test_pulumi_cloud_gives_each_environment_a_team_token_of_its_own_reach(
    configurations: dict[str, evaluator.Evaluation],
) -> None:
    cloud = configurations["cloud"]
    secrets = by_environment(cloud, SECRET)
    for environment, held in secrets.items():
        assert is_rpc_secret(held["PULUMI_ACCESS_TOKEN"]), environment
    assert not cloud.named(BUCKET)
    grants = {
        (state["team"], state["stack"], state["permission"])
        for state in cloud.named("pulumiservice:index:TeamStackPermission").values()
    }
    assert ("infra-staging", "staging", 102) in grants  # edit: the deploy writes
    assert ("infra-staging-read", "staging", 101) in grants
    assert ("infra-staging-read", "production", 101) in grants  # the guard's StackReference
    assert not {grant for grant in grants if grant[0].startswith("infra-staging") and grant[1] == "preview"}
    assert (DRIFT_ENVIRONMENT, "ci", 101) in grants
    # Only the KMS stack's environments need AWS: a role with kms:Decrypt on its key, nothing of a bucket.
    roles = {state["name"] for state in cloud.named("aws:iam/role:Role").values()}
    assert roles == {"infra-production", "infra-production-read", DRIFT_ENVIRONMENT}


def test_a_pull_request_environment_left_from_before_stops_everything() -> None:
    # Made when the repository was public (or on Enterprise): it still holds production's key, and reviewers no
    # longer gate it on Team with a private repository; a pull request naming it would get the key.
    stale = GitHubListings(environments={"tenantguard-infra": {"infra-production-pr": []}})
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        harness.evaluate(github=stale)
    message = str(failure.value)
    assert "infra-production-pr still exist(s)" in message
    assert "gh api --method DELETE repos/tenantguard/tenantguard-infra/environments/infra-production-pr" in message
    written = {evaluator.resource_type(urn) for urn in failure.value.resources}
    assert "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret" not in written


def test_no_stale_environment_is_looked_up_where_the_layout_has_every_one() -> None:
    evaluation = harness.evaluate()
    endpoints = [invoke.args["endpoint"] for invoke in evaluation.invokes if invoke.token.endswith("getRestApi")]
    assert endpoints == [
        "repos/tenantguard/tenantguard-infra/environments/infra-preview-pr",
        "repos/tenantguard/tenantguard-infra/environments/infra-production-pr",
    ]
