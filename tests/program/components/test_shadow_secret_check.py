"""The shadow-secret check under mocks: what each lookup answers decides whether anything is written."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from infra.config.errors import ConfigError
from infra.config.load import parse
from infra.tables import type_tokens as types
from tests.fakes import stack_values
from tests.helpers import assert_no_secret
from tools import evaluator
from tools.github_listings import (
    DEPENDABOT_ORGANIZATION_SECRET_REPOSITORIES,
    GET_ACTIONS_SECRETS,
    GET_ENVIRONMENT_SECRETS,
    GET_ORGANIZATION_SECRETS,
    LOOKUPS,
    ORGANIZATION,
    ORGANIZATION_SECRET_REPOSITORIES,
    GitHubListings,
    OrgSecret,
    repository_id,
)

Run = Callable[..., evaluator.Evaluation]
WRITTEN = (types.ENVIRONMENT_SECRET, types.VERCEL_VARIABLE, types.DYNAMIC)
"""Everything that carries a managed value: GitHub secrets, Vercel variables, the migration."""


def written(resources: dict[str, object]) -> list[str]:
    return [urn for urn in resources if evaluator.resource_type(urn) in WRITTEN]


def failure_of(run_stack: Run, stack: str, listings: GitHubListings, **overrides: str) -> str:
    """The program's error for `listings`; asserts that no managed value was written first."""
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack(stack, overrides, github_secrets=listings)
    assert written(failure.value.resources) == []
    assert_no_secret(stack, [str(failure.value), *failure.value.logs])
    return str(failure.value)


def acknowledge(entries: dict[str, str]) -> dict[str, str]:
    return {"acknowledgedSecrets": json.dumps(entries)}


# --- clean repositories -----------------------------------------------------------------------------------------


def test_a_clean_organization_lets_every_managed_value_through(
    run_stack: Run, evaluated: dict[str, evaluator.Evaluation]
) -> None:
    unrelated = GitHubListings(
        repository={"tenantguard": ["NPM_TOKEN"]},
        organization=[OrgSecret("SLACK_WEBHOOK"), OrgSecret("SENTRY_DSN", "private")],
        dependabot_repository={"tenantguard-worker": ["REGISTRY_TOKEN"]},
        environments={"tenantguard": {"staging": ["CI_DB_URL", "VERCEL_TOKEN", "REDIS_URL", "OPENAI_API_KEY"]}},
    )
    evaluation = run_stack("staging", github_secrets=unrelated)
    # Every secret the stack writes with no listings at all is written.
    assert (
        evaluation.named(types.ENVIRONMENT_SECRET).keys() == evaluated["staging"].named(types.ENVIRONMENT_SECRET).keys()
    )
    assert evaluation.of_type(types.VERCEL_VARIABLE)
    assert not any("acknowledged" in line for line in evaluation.logs)


def test_every_lookup_goes_through_the_stacks_github_provider(run_stack: Run) -> None:
    clean = GitHubListings(environments={"tenantguard": {"staging": []}})
    evaluation = run_stack("staging", github_secrets=clean)
    lookups = [invoke for invoke in evaluation.invokes if invoke.token in LOOKUPS]
    assert {invoke.token for invoke in lookups} == LOOKUPS
    (provider,) = evaluation.urns("pulumi:providers:github")
    assert {invoke.provider.rsplit("::", 1)[0] for invoke in lookups} == {provider}
    asked = [invoke.args for invoke in lookups if invoke.token == GET_ENVIRONMENT_SECRETS]
    assert asked == [{"environment": "staging", "name": "tenantguard"}]


def test_an_environment_that_does_not_exist_yet_is_not_asked_for_its_secrets(run_stack: Run) -> None:
    evaluation = run_stack("preview", github_secrets=GitHubListings())
    assert not [invoke for invoke in evaluation.invokes if invoke.token == GET_ENVIRONMENT_SECRETS]
    assert evaluation.of_type(types.ENVIRONMENT_SECRET)


def test_environment_names_are_matched_ignoring_case(run_stack: Run) -> None:
    listings = GitHubListings(environments={"tenantguard": {"Staging": ["HAND_MADE"]}})
    message = failure_of(run_stack, "staging", listings)
    assert "`gh secret delete HAND_MADE --env Staging --repo tenantguard/tenantguard`" in message


# --- each kind of finding ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Copy:
    id: str
    listings: GitHubListings
    line: str


CI = "tenantguard/tenantguard"
WORKER = "tenantguard/tenantguard-worker"
WORKER_ID = repository_id("tenantguard-worker")
COPIES = [
    Copy(
        "legacy-repository-secret",
        GitHubListings(repository={"tenantguard": ["DB_URL"]}),
        f"{CI}: repository secret DB_URL: a legacy credential name; remove it: `gh secret delete DB_URL --repo {CI}`",
    ),
    Copy(
        "managed-name-as-repository-secret",
        GitHubListings(repository={"tenantguard-worker": ["CI_DB_URL"]}),
        f"{WORKER}: repository secret CI_DB_URL: a copy of a managed secret: only jobs that name 'staging' read that "
        f"environment's copy; remove it: `gh secret delete CI_DB_URL --repo {WORKER}`",
    ),
    Copy(
        "extra-name-as-repository-secret",
        GitHubListings(repository={"tenantguard": ["OPENAI_API_KEY"]}),
        f"{CI}: repository secret OPENAI_API_KEY: a copy of a managed secret",
    ),
    Copy(
        "legacy-organization-secret-visible-to-all",
        GitHubListings(organization=[OrgSecret("DATABASE_URL", "all")]),
        f"{CI}: organization secret DATABASE_URL: a legacy credential name, visible to this repository (visibility "
        "all); deleting it removes it from every repository of tenantguard; remove it: "
        "`gh secret delete DATABASE_URL --app actions --org tenantguard`",
    ),
    Copy(
        "managed-organization-secret-visible-to-private-repositories",
        GitHubListings(organization=[OrgSecret("VERCEL_TOKEN", "private")]),
        f"{WORKER}: organization secret VERCEL_TOKEN: a copy of a managed secret",
    ),
    Copy(
        "legacy-organization-secret-selected-for-the-repository",
        GitHubListings(organization=[OrgSecret("PROD_DB_URL", "selected", ("tenantguard-worker",))]),
        f"{WORKER}: organization secret PROD_DB_URL: a legacy credential name, visible to this repository (visibility "
        f"selected); remove it: `gh api --method DELETE /orgs/tenantguard/actions/secrets/PROD_DB_URL/repositories/"
        f"{WORKER_ID}`",
    ),
    Copy(
        "stray-environment-secret",
        GitHubListings(environments={"tenantguard": {"staging": ["CI_DB_URL", "STAGING_ADMIN_PASSWORD"]}}),
        f"{CI}: environment secret STAGING_ADMIN_PASSWORD: not managed by this stack (set by hand, or an extraSecrets "
        "key being removed: docs/how-to/llm-keys.md#remove-an-llm-key); remove it: "
        f"`gh secret delete STAGING_ADMIN_PASSWORD --env staging --repo {CI}`",
    ),
    Copy(
        "legacy-environment-secret",
        GitHubListings(environments={"tenantguard-worker": {"staging": ["POSTGRES_URL"]}}),
        f"{WORKER}: environment secret POSTGRES_URL: a legacy credential name; remove it: "
        f"`gh secret delete POSTGRES_URL --env staging --repo {WORKER}`",
    ),
    Copy(
        "legacy-dependabot-repository-secret",
        GitHubListings(dependabot_repository={"tenantguard": ["DB_URL"]}),
        f"{CI}: dependabot-repository secret DB_URL: a legacy credential name; runs that Dependabot triggers read it; "
        "remove it: "
        f"`gh secret delete DB_URL --app dependabot --repo {CI}`",
    ),
    Copy(
        "managed-dependabot-organization-secret",
        GitHubListings(dependabot_organization=[OrgSecret("REDIS_URL", "all")]),
        f"{CI}: dependabot-organization secret REDIS_URL: a copy of a managed secret",
    ),
]


@pytest.mark.parametrize("copy", COPIES, ids=[copy.id for copy in COPIES])
def test_each_other_copy_fails_the_stack_and_says_what_to_delete(run_stack: Run, copy: Copy) -> None:
    message = failure_of(run_stack, "staging", copy.listings)
    assert copy.line in message
    assert "no managed secret was written" in message


def test_the_acknowledgement_command_names_the_stack(run_stack: Run) -> None:
    message = failure_of(run_stack, "staging", GitHubListings(repository={"tenantguard": ["DB_URL"]}))
    assert (
        "pulumi config set --stack staging --path 'acknowledgedSecrets[\"tenantguard/repository/DB_URL\"]'" in message
    )


def test_a_private_organization_secret_does_not_reach_a_public_repository(run_stack: Run) -> None:
    listings = GitHubListings(
        organization=[OrgSecret("DB_URL", "private")],
        visibility={"tenantguard": "public", "tenantguard-worker": "public"},
    )
    evaluation = run_stack("preview", {"repositoryVisibility": "public"}, github_secrets=listings)
    assert evaluation.of_type(types.ENVIRONMENT_SECRET)


def test_an_internal_repository_counts_as_private(run_stack: Run) -> None:
    listings = GitHubListings(
        organization=[OrgSecret("DB_URL", "private")],
        visibility={"tenantguard": "internal", "tenantguard-worker": "internal"},
    )
    message = failure_of(run_stack, "preview", listings, githubPlan="enterprise", repositoryVisibility="internal")
    assert f"{WORKER}: organization secret DB_URL" in message
    assert f"{CI}: organization secret DB_URL" in message


def test_a_selected_organization_secret_counts_only_for_the_repositories_on_its_list(run_stack: Run) -> None:
    listings = GitHubListings(organization=[OrgSecret("DB_URL", "selected", ("tenantguard",))])
    message = failure_of(run_stack, "production", listings)
    assert f"{CI}: organization secret DB_URL" in message
    assert f"{WORKER}: organization secret DB_URL" not in message


def test_the_list_of_a_selected_secret_is_read_never_managed(run_stack: Run) -> None:
    listings = GitHubListings(
        organization=[OrgSecret("DB_URL", "selected", ("somewhere-else",))],
        dependabot_organization=[OrgSecret("CI_DB_URL", "selected")],
    )
    evaluation = run_stack("production", github_secrets=listings)
    reads = evaluation.urns(ORGANIZATION_SECRET_REPOSITORIES) + evaluation.urns(
        DEPENDABOT_ORGANIZATION_SECRET_REPOSITORIES
    )
    assert len(reads) == 2
    # Registered resources carry options; reads (like a StackReference) do not: nothing is created or deleted.
    assert not set(reads) & set(evaluation.options)
    assert evaluation.of_type(types.ENVIRONMENT_SECRET)


def test_a_selected_secret_whose_name_does_not_matter_is_not_read(run_stack: Run) -> None:
    evaluation = run_stack("staging", github_secrets=GitHubListings(organization=[OrgSecret("NPM_TOKEN", "selected")]))
    assert evaluation.urns(ORGANIZATION_SECRET_REPOSITORIES) == []


def test_a_configured_legacy_name_replaces_the_default_list(run_stack: Run) -> None:
    listings = GitHubListings(repository={"tenantguard": ["DB_URL", "OLD_PG"]})
    message = failure_of(run_stack, "staging", listings, legacySecretNames=json.dumps(["OLD_PG"]))
    assert f"{CI}: repository secret OLD_PG: a legacy credential name" in message
    assert "secret DB_URL" not in message


def test_an_empty_legacy_list_is_accepted_and_warned_about(run_stack: Run) -> None:
    listings = GitHubListings(repository={"tenantguard": ["DB_URL"]})
    evaluation = run_stack("staging", {"legacySecretNames": "[]"}, github_secrets=listings)
    assert "tenantguard-infra:legacySecretNames is empty: no legacy credential name is looked for" in evaluation.logs
    assert evaluation.of_type(types.ENVIRONMENT_SECRET)


# --- acknowledgements -------------------------------------------------------------------------------------------


def test_an_acknowledged_copy_is_a_warning_and_the_stack_goes_on(
    run_stack: Run, evaluated: dict[str, evaluator.Evaluation]
) -> None:
    listings = GitHubListings(repository={"tenantguard": ["DB_URL"]})
    reason = "nightly export reads it until 2026-10-01"
    evaluation = run_stack("staging", acknowledge({"tenantguard/repository/DB_URL": reason}), github_secrets=listings)
    assert (
        evaluation.named(types.ENVIRONMENT_SECRET).keys() == evaluated["staging"].named(types.ENVIRONMENT_SECRET).keys()
    )
    (warning,) = [line for line in evaluation.logs if line.startswith("acknowledged")]
    assert warning == (
        f"acknowledged ({reason}): {CI}: repository secret DB_URL: a legacy credential name; "
        f"remove it: `gh secret delete DB_URL --repo {CI}`"
    )


def test_an_acknowledgement_covers_one_repository_level_and_name_only(run_stack: Run) -> None:
    listings = GitHubListings(repository={"tenantguard": ["DB_URL"], "tenantguard-worker": ["DB_URL"]})
    message = failure_of(run_stack, "staging", listings, **acknowledge({"tenantguard/repository/db_url": "migrating"}))
    assert "1 other copy of a credential" in message
    assert f"{WORKER}: repository secret DB_URL" in message
    assert f"{CI}: repository secret DB_URL" not in message
    assert 'acknowledgedSecrets["tenantguard-worker/repository/DB_URL"]' in message


def test_an_acknowledgement_that_matches_nothing_says_to_remove_it(run_stack: Run) -> None:
    evaluation = run_stack(
        "staging",
        acknowledge({"tenantguard/organization/DB_URL": "removed last week"}),
        github_secrets=GitHubListings(),
    )
    assert (
        "tenantguard-infra:acknowledgedSecrets['tenantguard/organization/DB_URL'] matches no copy any more: "
        "remove it from the stack's config"
    ) in evaluation.logs


# --- removing an extra secret (README, "Remove a key") ----------------------------------------------------------

REASON = "being removed"
BEING_REMOVED = acknowledge(
    {"tenantguard/environment/OPENAI_API_KEY": REASON, "tenantguard-worker/environment/OPENAI_API_KEY": REASON}
)
STILL_IN_GITHUB = GitHubListings(
    environments={
        repository: {"staging": ["CI_DB_URL", "OPENAI_API_KEY"]} for repository in ("tenantguard", "tenantguard-worker")
    }
)
"""What GitHub holds while the update that removes the key runs: the check looks before anything is deleted."""


def test_removing_an_extra_secret_with_its_acknowledgements_in_one_change_goes_through(run_stack: Run) -> None:
    evaluation = run_stack("staging", {"extraSecrets": None, **BEING_REMOVED}, github_secrets=STILL_IN_GITHUB)
    assert [urn for urn in evaluation.urns(types.ENVIRONMENT_SECRET) if "OPENAI_API_KEY" in urn] == []
    assert evaluation.urns(types.ENVIRONMENT_SECRET)  # the others are written
    assert len([line for line in evaluation.logs if line.startswith("acknowledged (being removed)")]) == 2


def test_removing_an_extra_secret_without_acknowledging_it_stops_the_update(run_stack: Run) -> None:
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack("staging", {"extraSecrets": None}, github_secrets=STILL_IN_GITHUB)
    assert "environment secret OPENAI_API_KEY: not managed by this stack" in str(failure.value)
    assert written(failure.value.resources) == []


def test_acknowledging_an_extra_secret_before_removing_it_is_refused() -> None:
    with pytest.raises(ConfigError, match="OPENAI_API_KEY is this stack's own environment secret"):
        parse("staging", *stack_values("staging", BEING_REMOVED))


# --- several repositories, failing lookups ----------------------------------------------------------------------


def test_every_copy_in_every_repository_is_listed_at_once(run_stack: Run) -> None:
    listings = GitHubListings(
        repository={"tenantguard": ["DB_URL"], "tenantguard-worker": ["REDIS_URL"]},
        organization=[OrgSecret("PROD_DB_URL")],
        environments={"tenantguard-worker": {"production": ["CI_DB_URL", "OLD_TOKEN"]}},
    )
    message = failure_of(run_stack, "production", listings)
    assert "stack 'production': 5 other copies of a credential" in message
    assert [line[4:].split(": ")[0:2] for line in message.splitlines() if line.startswith("  - ")] == [
        [CI, "repository secret DB_URL"],
        [CI, "organization secret PROD_DB_URL"],
        [WORKER, "repository secret REDIS_URL"],
        [WORKER, "organization secret PROD_DB_URL"],
        [WORKER, "environment secret OLD_TOKEN"],
    ]


def test_a_failing_lookup_names_the_repository_and_the_lookup_and_writes_nothing(run_stack: Run) -> None:
    reason = (
        "GET https://api.github.com/repos/tenantguard/tenantguard-worker/actions/secrets: 403 Resource not accessible"
    )
    listings = GitHubListings(failing={(GET_ACTIONS_SECRETS, "tenantguard-worker"): reason})
    message = failure_of(run_stack, "staging", listings)
    assert "stack 'staging': the shadow-secret check could not look up GitHub's secret names" in message
    assert (
        f"  - Actions secrets of {WORKER} (getActionsSecrets): invoke of {GET_ACTIONS_SECRETS} failed: {reason}"
        in message
    )
    assert "no managed secret was written" in message


def test_every_failing_lookup_is_listed(run_stack: Run) -> None:
    listings = GitHubListings(
        failing={(GET_ORGANIZATION_SECRETS, ORGANIZATION): "404 Not Found"}, missing=frozenset({"tenantguard"})
    )
    message = failure_of(run_stack, "preview", listings)
    assert "  - Actions secrets of the organization tenantguard (getActionsOrganizationSecrets): invoke of" in message
    assert f"  - repository {CI} (getRepository): not found, or the token cannot read it" in message


def test_the_environment_is_read_with_one_request_never_by_listing_every_environment(
    evaluated: dict[str, evaluator.Evaluation],
) -> None:
    tokens = {invoke.token for invoke in evaluated["staging"].invokes}
    assert "github:index/getRepositoryEnvironments:getRepositoryEnvironments" not in tokens
    endpoints = sorted(
        invoke.args["endpoint"] for invoke in evaluated["staging"].invokes if invoke.token.endswith("getRestApi")
    )
    assert endpoints == sorted(f"repos/{repository}/environments/staging" for repository in (CI, WORKER))
