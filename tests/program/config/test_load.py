"""infra/config/load.py: the config a real `pulumi up` passes in, and what Settings lets out."""

from __future__ import annotations

import contextvars
import json
from collections.abc import Callable

import pulumi
import pytest
from pulumi.runtime import config as runtime_config

from infra.config.errors import ConfigError
from infra.config.load import load
from infra.config.settings import Settings
from infra.tables.type_tokens import PROJECT, full_key
from tests.fakes import fake_secrets, secret_part, stack_values
from tests.helpers import assert_no_secret
from tests.program.config.refusals import Bad, assert_refused_clearly, ids
from tools import evaluator, mock_answers


def load_from_language_host_environment(monkeypatch: pytest.MonkeyPatch, stack: str, plaintext: set[str]) -> Settings:
    """Settings as the Python language host hands config over: PULUMI_CONFIG and its secret keys."""
    values, secret = stack_values(stack)
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({full_key(k): v for k, v in values.items()}))
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", json.dumps([full_key(k) for k in secret - plaintext]))

    def run() -> Settings:
        pulumi.runtime.set_mocks(mock_answers.OfflineMocks({}), project=PROJECT, stack=stack)
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


def test_every_problem_is_listed_at_once(run_stack: Callable[..., evaluator.Evaluation]) -> None:
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack(
            "production",
            {"reviewerTeams": "[]", "redisUrl": f"redis://default:{secret_part('redisUrl', 'production')}@r:6379"},
        )
    assert "reviewerTeams" in str(failure.value)
    assert "redisUrl" in str(failure.value)


CASES = [
    Bad("unknown-tier", "preview", {"tier": "qa"}, "tier", "preview, staging, production"),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_an_unknown_tier_is_refused_clearly(run_stack: Callable[..., evaluator.Evaluation], case: Bad) -> None:
    assert_refused_clearly(run_stack, case)
