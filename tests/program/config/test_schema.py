"""infra/config/schema.py: missing, undeclared, mistyped and mis-encrypted keys are refused, naming the key."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from infra.config.load import parse
from infra.config.schema import declared_config
from tests.fakes import stack_values
from tests.helpers import assert_no_secret
from tests.program.config.refusals import FAKE_CI, FAKE_STAGING_CI, Bad, assert_refused_clearly, ids
from tools import evaluator

CASES = [
    # A required key is missing.
    Bad("missing-tier", "preview", {"tier": None}, "tier", "is required"),
    Bad("missing-owner", "preview", {"githubOwner": None}, "githubOwner", "is required"),
    Bad("missing-repositories", "staging", {"repositories": None}, "repositories", "is required"),
    Bad("missing-vercel-project", "preview", {"vercelProjectId": None}, "vercelProjectId", "is required"),
    Bad(
        "missing-ci-db-url",
        "staging",
        {"ciDbUrl": None},
        "ciDbUrl",
        "`pulumi config set --secret --stack staging ciDbUrl`",
    ),
    Bad("missing-database-url", "preview", {"databaseUrl": None}, "databaseUrl", "is required"),
    Bad("missing-redis-url", "production", {"redisUrl": None}, "redisUrl", "is required"),
    Bad("missing-vercel-token", "preview", {"vercelToken": None}, "vercelToken", "is required"),
    Bad("missing-fingerprint-key", "preview", {"dbFingerprintKey": None}, "dbFingerprintKey", "is required"),
    # Plaintext where a secret is required.
    Bad("plaintext-ci-db-url", "preview", {}, "ciDbUrl", "must be a secret", plaintext=("ciDbUrl",)),
    Bad("plaintext-vercel-token", "production", {}, "vercelToken", "must be a secret", plaintext=("vercelToken",)),
    Bad(
        "unknown-key",
        "preview",
        {"reviewerTeam": '["ops"]'},
        "reviewerTeam",
        "did you mean reviewerTeams? (`pulumi config rm --stack preview reviewerTeam`)",
    ),
    Bad(
        "plaintext-under-mis-cased-secret-key",
        "staging",
        {"ciDbURL": f"postgresql://ci:{FAKE_STAGING_CI}@db.staging.internal:5432/tenantguard"},
        "ciDbURL",
        "(did you mean ciDbUrl?) and holds plaintext where a secret belongs: if the stack file was ever committed or "
        "shared, rotate it; remove it (`pulumi config rm --stack staging ciDbURL`) and set the (new) value with "
        "`pulumi config set --secret --stack staging ciDbUrl`, which asks for it",
    ),
    # Wrong types.
    Bad("wait-timer-not-a-number", "production", {"waitTimerMinutes": "soon"}, "waitTimerMinutes", "whole number"),
    Bad("boolean-not-a-boolean", "preview", {"runMigrations": "maybe"}, "runMigrations", "true or false"),
    Bad("list-not-a-list", "preview", {"repositories": "tenantguard"}, "repositories", "list of strings"),
    Bad("map-not-a-map", "preview", {"extraSecrets": '["OPENAI_API_KEY"]'}, "extraSecrets", "map of names"),
    Bad(
        "non-secret-stored-as-secret",
        "preview",
        {},
        "vercelProjectId",
        "stored as a secret",
        encrypted=("vercelProjectId",),
    ),
    Bad(
        "repositories-stored-as-secret",
        "staging",
        {},
        "repositories",
        "store it in plaintext: `pulumi config rm --stack staging repositories` then "
        "`pulumi config set --stack staging repositories <value>`",
        encrypted=("repositories",),
    ),
    Bad("wait-timer-with-newline", "production", {"waitTimerMinutes": "5\n"}, "waitTimerMinutes", "whole number"),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_a_key_not_as_declared_is_refused_clearly(run_stack: Callable[..., evaluator.Evaluation], case: Bad) -> None:
    assert_refused_clearly(run_stack, case)


@pytest.mark.parametrize(
    "name",
    [f"sk-proj-{FAKE_CI}", FAKE_CI, "correctHorseBatteryStaple", "reviewerTeams\n", "dbFingerprintKeyA1b2C3d4"],
    ids=["token", "camel-case", "words", "near-miss-with-newline", "value-appended-to-a-key"],
)
def test_an_unknown_key_is_counted_not_named_unless_a_near_miss(
    run_stack: Callable[..., evaluator.Evaluation], name: str
) -> None:
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack("preview", {name: "x"})
    message = str(failure.value)
    assert "tenantguard-infra: 1 key not declared in Pulumi.yaml is set; names not shown" in message
    assert "list the keys with `pulumi config --stack preview`" in message
    assert name.casefold() not in message.casefold()
    assert_no_secret("preview", [message])
    assert failure.value.resources == {}


def test_an_encrypted_value_under_a_mis_cased_secret_key_is_not_called_plaintext(
    run_stack: Callable[..., evaluator.Evaluation],
) -> None:
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack("preview", {"ciDbURL": f"postgresql://ci:{FAKE_CI}@db/tg"}, encrypted=("ciDbURL",))
    message = str(failure.value)
    assert "tenantguard-infra:ciDbURL is not a known key; did you mean ciDbUrl?" in message
    assert "plaintext" not in message
    assert failure.value.resources == {}


def test_defaults_come_from_pulumi_yaml() -> None:
    values, secret = stack_values("preview")
    settings = parse("preview", values, secret)
    declared = declared_config()
    assert str(settings.session_key.rotation) == declared["sessionKeyRotation"]["default"]
    assert settings.session_key.previous_until is None
    assert declared["sessionKeyPreviousUntil"]["default"] == ""
    assert settings.run_migrations is declared["runMigrations"]["default"]
    assert settings.environment_name == "preview"
    assert settings.vercel_git_branch is None
