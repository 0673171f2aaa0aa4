"""infra/config/load.py: the config a real `pulumi up` passes in, and what Settings lets out."""

from __future__ import annotations

import contextvars
import json

import pulumi
import pytest
from pulumi.runtime import config as runtime_config

from infra.config.errors import ConfigError
from infra.config.load import load, parse
from infra.config.schema import declared_config
from infra.config.settings import Settings
from infra.tables.type_tokens import PROJECT, full_key
from tests.helpers import assert_no_secret
from tools import evaluator
from tools.fakes import fake_secrets, secret_part, stack_values


def load_from_language_host_environment(monkeypatch: pytest.MonkeyPatch, stack: str, plaintext: set[str]) -> Settings:
    """Settings as the Python language host hands config over: PULUMI_CONFIG and its secret keys."""
    values, secret = stack_values(stack)
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({full_key(k): v for k, v in values.items()}))
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", json.dumps([full_key(k) for k in secret - plaintext]))

    def run() -> Settings:
        pulumi.runtime.set_mocks(evaluator.OfflineMocks({}), project=PROJECT, stack=stack)
        runtime_config.set_all_config({}, [])
        return load()

    return contextvars.copy_context().run(run)


def test_load_reads_what_the_language_host_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_from_language_host_environment(monkeypatch, "staging", set())
    assert settings.tier == "staging"
    assert settings.repositories == ("tenantguard", "tenantguard-worker")
    assert settings.deployment_branches == ("staging",)
    assert settings.ci_db_url.value == fake_secrets("staging")["ciDbUrl"]
    assert settings.secret_values["OPENAI_API_KEY"].value == secret_part("OPENAI_API_KEY", "staging")


def test_load_refuses_a_plaintext_secret_from_the_language_host(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match=r"tenantguard-infra:redisUrl must be a secret"):
        load_from_language_host_environment(monkeypatch, "preview", {"redisUrl"})


def test_settings_never_show_a_secret_in_repr_or_str(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_from_language_host_environment(monkeypatch, "production", set())
    shown = repr(settings) + str(settings) + str(settings.ci_db_url)
    assert "Secret(***)" in shown
    assert_no_secret("production", [shown])


def test_defaults_come_from_pulumi_yaml() -> None:
    values, secret = stack_values("preview")
    settings = parse("preview", values, secret)
    declared = declared_config()
    assert str(settings.session_key.rotation) == declared["sessionKeyRotation"]["default"]
    assert settings.session_key.overlap_days == declared["sessionKeyOverlapDays"]["default"]
    assert settings.run_migrations is declared["runMigrations"]["default"]
    assert settings.environment_name == "preview"
    assert settings.vercel_git_branch is None


def test_a_repository_listed_again_in_another_case_is_refused_at_its_second_spelling() -> None:
    # GitHub repository names ignore case: both entries would declare one repository's environment twice.
    repositories = ["tenantguard", "tenantguard-worker", "TenantGuard-Worker"]
    values, secret = stack_values("staging", {"repositories": json.dumps(repositories)})
    with pytest.raises(ConfigError) as refused:
        parse("staging", values, secret)
    assert refused.value.problems == [
        "tenantguard-infra:repositories (item 3 of 3) repeats an earlier item (compared case-insensitively); "
        "list each once"
    ]


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


def test_staging_accepts_exact_branches_and_patterns_fixing_whole_path_segments() -> None:
    branches = ["staging", "release-2026", "release/2026-q1", "release/*", "hotfix/v2/*", "team/web/**"]
    values, secret = stack_values("staging", {"deploymentBranches": json.dumps(branches)})
    assert parse("staging", values, secret).deployment_branches == tuple(branches)


def test_an_environment_named_production_in_staging_is_reported_once() -> None:
    values, secret = stack_values("staging", {"environmentName": "PRODUCTION"})
    with pytest.raises(ConfigError) as refused:
        parse("staging", values, secret)
    assert refused.value.problems == [
        "tenantguard-infra:environmentName (or the stack name it defaults to) names the production environment, "
        "in any casing; a staging stack needs an environment of its own"
    ]
