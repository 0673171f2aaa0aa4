"""What the pack takes for a credential, and what it does not: both sides of every shape, and credential names."""

from __future__ import annotations

import pytest

from policy.credentials import findings, is_placeholder
from policy.names import Names
from tests.fake_credentials import (
    fake_anthropic_key,
    fake_aws_access_key_id,
    fake_aws_secret_assignment,
    fake_github_app_token,
    fake_github_pat,
    fake_github_token,
    fake_openai_key,
    fake_private_key,
    fake_vercel_token,
)

NAMES = Names.of(["OPENAI_API_KEY"], ["DB_URL", "DATABASE_URL", "POSTGRES_URL", "PROD_DB_URL"])


def found(text: str) -> list[str]:
    return findings(text, NAMES.credential)


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("postgresql://ci:fake-pw-Zt4@db.internal:5432/tenantguard", "a URL with a password"),
        ("postgresql://ci:fake/pw@db.internal/tenantguard", "a URL with a password"),
        ("postgresql://ci:fake@pw@db.internal/tenantguard", "a URL with a password"),
        ("redis://default:fake-redis-pw@redis.internal:6379/0", "a URL with a password"),
        ("jdbc:postgresql://db.internal/tg?user=ci&password=fake-pw", "a URL with a password in its query"),
        ("postgresql:///tg?host=/run/pg&password=fake-pw", "a URL with a password in its query"),
        ("host=db.internal user=ci password=fake-pw dbname=tg", "a libpq connection string with a password"),
        ("dbname=tg password = 'fake pw with spaces'", "a libpq connection string with a password"),
        (fake_github_token(), "a GitHub token"),
        (fake_github_pat(), "a GitHub token"),
        (f"GH_TOKEN={fake_github_app_token()} ./release", "a GitHub token"),
        (fake_vercel_token(), "a Vercel token"),
        (fake_openai_key(), "an OpenAI or Anthropic API key"),
        (fake_anthropic_key(), "an OpenAI or Anthropic API key"),
        (fake_aws_access_key_id(), "an AWS access key id"),
        (fake_aws_secret_assignment(), "an AWS secret access key"),
        (fake_private_key(), "a private key"),
        ("LOG_LEVEL=info\nexport REDIS_URL=fake-opaque-value\n", "REDIS_URL given a value"),
        ("env:\n  DB_URL: fake-opaque-value\n", "DB_URL given a value"),
        ("CI_DB_URL_2='fake-opaque-value'", "CI_DB_URL_2 (like CI_DB_URL) given a value"),
        ("openai_api_key = fake-opaque-value", "openai_api_key given a value"),
    ],
)
def test_a_credential_is_recognised(text: str, what: str) -> None:
    assert what in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "prj_7QvZk2mN4pXr8sT1uW3yA5bC",
        "team_tG9hJ2kL4mN6pQ8rS0tV",
        "https://api.github.com/",
        "postgresql://db.internal:5432/tenantguard?sslmode=require",
        "postgresql://ci@db.internal/tenantguard",
        "postgresql://ci:@db.internal/tenantguard",
        "postgresql://ci:...@db.staging.internal:5432/tenantguard",
        "postgresql://user:pass@localhost:5432/tenantguard_ci",
        "postgresql://ci:<password>@db/tg",
        "postgresql://ci:${CI_DB_PASSWORD}@db/tg",
        "postgresql://ci:{password}@db/tg",
        "https://medium.com/@tenantguard",
        "https://hooks.internal:8443/deliver/@team",
        "https://example.com/search?password=",
        "host=db.internal user=ci dbname=tg sslmode=require",
        "password = get_password()",
        "Set password=<your password> in the connection string.",
        "gh" + "p_" + "x" * 36,  # a masked token (built from parts, as the scan would take it for one)
        "sk-...",
        "install sk-learn-compatible-models-for-ranking",
        "task-force-assignment-schedule-for-q3",
        "AK" + "IAIOSFODNN7EXAMPLE",  # AWS's documentation key
        "-----BEGIN PUBLIC KEY-----",
        "CI_DB_URL: the database CI migrates",
        "CI_DB_URL=${{ secrets.CI_DB_URL }}",
        "REDIS_URL=",
        "DATABASE_URL=<your database URL>",
        "export LOG_LEVEL=debug",
        "gh secret set CI_DB_URL --env production",
    ],
)
def test_an_identifier_example_or_placeholder_is_not_a_credential(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize("value", ["", "  ", "...", "***", "xxxx", "pass", "<password>", "${X}", "$X", "{pw}", "…"])
def test_placeholders(value: str) -> None:
    assert is_placeholder(value)


@pytest.mark.parametrize("value", ["fake-pw-Zt4", "hunter2", "0000000000000000000000000000000000000000a1B"])
def test_values_that_are_not_placeholders(value: str) -> None:
    assert not is_placeholder(value)


@pytest.mark.parametrize(
    ("name", "known"),
    [
        ("CI_DB_URL", "CI_DB_URL"),
        ("db_url", "DB_URL"),
        ("CI_DB_URL_2", "CI_DB_URL"),
        ("CI_DB_URL2", "CI_DB_URL"),
        ("STAGING_REDIS_URL", "REDIS_URL"),
        ("PROD_DB_URL_OLD", "PROD_DB_URL"),
        ("OPENAI_API_KEY_BACKUP", "OPENAI_API_KEY"),
        ("SESSION_SECRET_KEY_PREVIOUS", "SESSION_SECRET_KEY_PREVIOUS"),
    ],
)
def test_credential_names_and_look_alikes(name: str, known: str) -> None:
    assert NAMES.credential(name) == known


@pytest.mark.parametrize("name", ["REDIS", "URL", "DB", "DBURL", "VERCEL_PROJECT_ID", "VERCEL_ORG_ID", "LOG_LEVEL"])
def test_names_that_only_share_a_word_are_not_credentials(name: str) -> None:
    assert NAMES.credential(name) is None
