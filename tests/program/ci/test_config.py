"""ci/config.py: a baseline that passes, and one failing case per rule, each message naming the key, none a value."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ci.config import ConfigError, parse
from tests.program.ci import harness

SECRETS = set(harness.SECRET_OBJECTS)


def problems(secret: set[str] = SECRETS, drop: tuple[str, ...] = (), **overrides: Any) -> list[str]:
    values = {key: value for key, value in harness.config_values(**overrides).items() if key not in drop}
    try:
        parse(harness.STACK, values, secret)
    except ConfigError as error:
        text = str(error)
        assert "fake-" not in text  # no secret value in any message
        assert "FAKE" not in text
        return error.problems
    return []


def test_the_committed_config_with_its_secrets_passes() -> None:
    settings = parse(harness.STACK, harness.config_values(), SECRETS)
    assert settings.plan == "team"  # from the stack files: githubOwner tenantguard is on team
    assert [stack.name for stack in settings.stacks] == ["preview", "production", "staging"]


@pytest.mark.parametrize(
    ("overrides", "drop", "expected"),
    [
        ({}, ("writeAppKey",), "tenantguard-ci:writeAppKey is required"),
        ({"repository": "not a repo"}, (), "tenantguard-ci:repository must be OWNER/REPO"),
        ({"stateBucket": "Bad_Bucket"}, (), "tenantguard-ci:stateBucket must be an S3 bucket name"),
        ({"awsRegion": "europe"}, (), "tenantguard-ci:awsRegion must be an AWS region"),
        ({"backend": "gcs"}, (), "tenantguard-ci:backend must be one of s3, cloud"),
        ({"backend": "cloud"}, (), "tenantguard-ci:pulumiOrganization is required"),
        ({"githubPlan": "free"}, (), "no rulesets: nothing could protect main"),
        ({"repository": "someone-else/infra"}, (), "tenantguard-ci:githubPlan is required"),
        ({"readAppClientId": "12345"}, (), "tenantguard-ci:readAppClientId must be a GitHub App's client ID"),
        ({"driftAppKey": "not a key"}, (), "tenantguard-ci:driftAppKey must be the App's private key"),
        ({"passphrases": {"preview": "x", "staging": "y", "ci": "z"}}, (), "passphrases.production is required"),
        ({"vercelTokens": {"preview": "a", "staging": "b", "production": "c", "qa": "d"}}, (), "vercelTokens.qa"),
        ({"runners": {"production": "prod-net"}}, (), "runners.production must be a list of runner labels"),
        ({"noncurrentVersionDays": "0"}, (), "noncurrentVersionDays must be between 1 and 3650"),
        ({"oidcProviderArn": "arn:aws:iam::1:oidc-provider/x"}, (), "tenantguard-ci:oidcProviderArn must be"),
        ({"tier": "x"}, (), "tenantguard-ci:tier is not a key of tenantguard-ci"),
    ],
)
def test_each_rule_names_its_key(overrides: dict[str, Any], drop: tuple[str, ...], expected: str) -> None:
    assert any(expected in problem for problem in problems(drop=drop, **overrides)), problems(drop=drop, **overrides)


def test_a_plaintext_passphrase_is_refused() -> None:
    found = problems(secret=SECRETS - {"passphrases"})
    assert any("tenantguard-ci:passphrases values must be secrets" in problem for problem in found)


def test_a_plaintext_app_key_is_refused() -> None:
    found = problems(secret=SECRETS - {"readAppKey"})
    assert any("tenantguard-ci:readAppKey must be a secret" in problem for problem in found)


def test_a_kms_stack_needs_no_passphrase_and_a_key_of_another_kind_is_refused(kms_directory: Any) -> None:
    values = harness.config_values(kms_stacks=("production",))
    settings = parse(harness.STACK, values, SECRETS, kms_directory)
    assert {stack.name: stack.kms_alias for stack in settings.stacks}["production"] == "alias/tenantguard-production"
    production = kms_directory / "Pulumi.production.yaml"
    production.write_text(production.read_text().replace("awskms://alias/tenantguard-production", "gcpkms://x/y"))
    with pytest.raises(ConfigError, match="secretsprovider must be an AWS KMS alias this project makes"):
        parse(harness.STACK, values, SECRETS, kms_directory)


def test_the_config_json_the_cli_sends_is_read() -> None:
    # The CLI hands objects and numbers to the program as JSON text.
    values = harness.config_values(runners={"production": ["self-hosted"]}, noncurrentVersionDays="30")
    assert json.loads(values["runners"]) == {"production": ["self-hosted"]}
    settings = parse(harness.STACK, values, SECRETS)
    assert settings.runners == {"production": ("self-hosted",)}
    assert settings.noncurrent_version_days == 30
