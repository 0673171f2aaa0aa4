"""infra/config/rules/shadow_secrets.py: legacy credential names and acknowledged copies, refused naming the key."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from infra.config.errors import ConfigError
from infra.config.load import parse
from tests.fakes import stack_values
from tests.program.config.refusals import Bad, assert_refused_clearly, ids
from tools import evaluator

CASES = [
    Bad(
        "legacy-name-with-newline",
        "preview",
        {"legacySecretNames": '["DB_URL\\n"]'},
        "legacySecretNames",
        "not a valid",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_a_bad_legacy_name_is_refused_before_anything_is_registered(
    run_stack: Callable[..., evaluator.Evaluation], case: Bad
) -> None:
    assert_refused_clearly(run_stack, case)


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("legacySecretNames", ["DB-URL"], "legacySecretNames: 'DB-URL' is not a valid secret name"),
        ("legacySecretNames", ["DB_URL", "db_url"], "legacySecretNames: 'db_url' is listed twice"),
        ("legacySecretNames", ["CI_DB_URL"], "legacySecretNames: 'CI_DB_URL' is a secret this stack manages"),
        ("legacySecretNames", ["OPENAI_API_KEY"], "legacySecretNames: 'OPENAI_API_KEY' is a secret this stack manages"),
        ("legacySecretNames", "DB_URL", "legacySecretNames must be a list of strings"),
        ("acknowledgedSecrets", {"DB_URL": "x"}, "acknowledgedSecrets['DB_URL']: expected REPOSITORY/LEVEL/NAME"),
        ("acknowledgedSecrets", {"app/repository/DB_URL": "x"}, "'app' is not a repository of this stack"),
        ("acknowledgedSecrets", {"tenantguard/repo/DB_URL": "x"}, "level 'repo' is not one of repository, environment"),
        ("acknowledgedSecrets", {"tenantguard/repository/1DB": "x"}, "'1DB' is not a valid secret name"),
        ("acknowledgedSecrets", {"tenantguard/repository/DB_URL": " "}, "needs a reason"),
        ("acknowledgedSecrets", {"tenantguard/environment/CI_DB_URL": "x"}, "there is nothing to acknowledge"),
        ("acknowledgedSecrets", {"tenantguard/repository/DB_URL": 3}, "acknowledgedSecrets must be a map of names"),
        (
            "acknowledgedSecrets",
            {"tenantguard/repository/DB_URL": "x", "tenantguard/repository/db_url": "y"},
            "acknowledged twice",
        ),
    ],
)
def test_bad_shadow_secret_config_is_refused_naming_the_key(key: str, value: object, says: str) -> None:
    values, secret = stack_values("staging", {key: json.dumps(value)})
    with pytest.raises(ConfigError) as error:
        parse("staging", values, secret)
    assert f"tenantguard-infra:{key}" in str(error.value)
    assert says in str(error.value)


def test_the_defaults_come_from_pulumi_yaml() -> None:
    settings = parse("preview", *stack_values("preview"))
    assert settings.legacy_secret_names == ("DB_URL", "DATABASE_URL", "POSTGRES_URL", "PROD_DB_URL")
    assert settings.acknowledged_secrets == {}
