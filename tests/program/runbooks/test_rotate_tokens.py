"""docs/how-to/rotate-tokens.md, run as written: each procedure's config lines applied to the real program (a stack,
or the CI project for its `-C ci` lines), its local lines (openssl, mv, stat, chmod) run for real in a home of its
own, and each change shown to touch only the credential it rotates."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from infra.tables.tiers import PROFILES
from infra.tables.type_tokens import STACK_REFERENCE
from tests import runbooks
from tests.fakes import PRODUCTION_STACK_NAME, secret_values, stack_tier, stack_values
from tests.program.ci import harness as ci
from tests.program.runbooks import harness
from tools import evaluator

pytestmark = pytest.mark.slow

Run = Callable[..., evaluator.Evaluation]
PAGE = "how-to/rotate-tokens.md"
STACK = "staging"
PLAN = f"./scripts/plan --stack {STACK} --require-secrets"
GH_SECRET_LIST = [
    f"gh secret list --env {STACK} --repo tenantguard/{repo}" for repo in ("tenantguard", "tenantguard-worker")
]
CI_UP = 'GITHUB_TOKEN="$(gh auth token)" pulumi -C ci up --stack ci --policy-pack policy'
NEW = secret_values(STACK, stack_tier(STACK), secret="RotatedRunbookValue7q")
"""A valid new value for every secret key of the stack, distinct from the fakes it starts with."""


def known_steps(procedure: str, *known: str | re.Pattern[str]) -> list[runbooks.ConfigChange]:
    lines = runbooks.commands(PAGE, "Steps", procedure)
    assert harness.unknown(lines, *known) == []
    return [change for line in lines if (change := runbooks.config_change(line)) is not None]


def test_before_you_start_names_a_stack_s_passphrase_and_the_ci_project_s() -> None:
    lines = runbooks.commands(PAGE, "Before you start")
    assert harness.unknown(lines, harness.PASSPHRASE, harness.LOGIN) == []
    assert [harness.PASSPHRASE.fullmatch(line)["stack"] for line in lines if harness.PASSPHRASE.fullmatch(line)] == [  # type: ignore[index]
        STACK,
        "ci",
    ]


@pytest.mark.parametrize(
    ("procedure", "key", "changed"),
    [
        (
            "Rotate VERCEL_TOKEN",
            "vercelToken",
            ["tenantguard-secrets-VERCEL_TOKEN", "tenantguard-worker-secrets-VERCEL_TOKEN"],
        ),
        (
            "Rotate REDIS_URL",
            "redisUrl",
            ["tenantguard-secrets-REDIS_URL", "tenantguard-worker-secrets-REDIS_URL", "vercel-REDIS_URL"],
        ),
        (
            "Rotate an LLM key",
            "extraSecrets.OPENAI_API_KEY",
            [
                "tenantguard-secrets-OPENAI_API_KEY",
                "tenantguard-worker-secrets-OPENAI_API_KEY",
                "vercel-OPENAI_API_KEY",
            ],
        ),
    ],
)
def test_a_stack_secret_s_rotation_changes_only_where_it_lands(
    run_stack: Run, stack_dir: Path, procedure: str, key: str, changed: list[str]
) -> None:
    changes = known_steps(procedure, PLAN)
    assert [(c.verb, c.key, c.secret, c.asked, c.stack) for c in changes] == [("set", key, True, True, STACK)]
    typed = NEW.get(key, "fake-openai-key-rotated-by-the-runbook")
    values = runbooks.applied(changes, stack_values(STACK)[0], {}, {key: typed})
    top = key.split(".", maxsplit=1)[0]

    before = run_stack(STACK)
    after = run_stack(STACK, {top: values[top]})
    assert harness.difference(before, after).names() == {"added": [], "removed": [], "changed": sorted(changed)}

    for stack in ("production", STACK):
        harness.with_every_secret(stack_dir, stack)
    harness.apply_to_stack_file(stack_dir, STACK, changes)
    status, output = harness.run_plan(PLAN, stack_dir)
    assert status == 0, output
    assert harness.unknown(runbooks.commands(PAGE, "Verify", procedure), *GH_SECRET_LIST) == []


def ci_values(changes: list[runbooks.ConfigChange], typed: dict[str, str]) -> dict[str, str]:
    """The CI project's config after the page's `-C ci` lines."""
    assert {(c.directory, c.stack) for c in changes} == {("ci", "ci")}
    return runbooks.applied(changes, ci.config_values(), {}, typed)


def ci_difference(values: dict[str, str]) -> dict[str, list[str]]:
    return harness.difference(ci.evaluate(), ci.evaluate(values)).names()


def test_rotating_infra_vercel_token_changes_it_in_the_stack_s_ci_environments_only() -> None:
    changes = known_steps("Rotate INFRA_VERCEL_TOKEN", CI_UP)
    assert [(c.key, c.secret, c.path, c.asked) for c in changes] == [(f"vercelTokens.{STACK}", True, True, True)]
    values = ci_values(changes, {f"vercelTokens.{STACK}": "fake-vercel-token-rotated"})
    assert ci_difference(values) == {
        "added": [],
        "removed": [],
        "changed": sorted(f"infra-{STACK}{suffix}-secret-INFRA_VERCEL_TOKEN" for suffix in ("", "-pr", "-read")),
    }
    assert runbooks.commands(PAGE, "Verify", "Rotate INFRA_VERCEL_TOKEN") == [
        f"gh secret list --env infra-{STACK} --repo tenantguard/tenantguard-infra"
    ]


def home_with_config(tmp_path: Path) -> dict[str, str]:
    """A home directory of its own with ~/.config/tenantguard, as README's first deploy leaves it."""
    (tmp_path / ".config" / "tenantguard").mkdir(parents=True)
    return {"HOME": str(tmp_path), "PATH": os.environ["PATH"]}


def bash(line: str, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", line], env=environment, capture_output=True, text=True, check=False)


APP_KEY = "Rotate a GitHub App private key"


def test_rotating_an_app_key_changes_its_secret_in_every_environment_that_holds_it(tmp_path: Path) -> None:
    environment = home_with_config(tmp_path)
    pem = tmp_path / ".config" / "tenantguard" / "write-app.pem"
    # What GitHub downloads: a PEM RSA private key (PKCS#1), made here the way openssl makes one.
    assert bash(f"openssl genrsa -traditional -out {pem} 2048", environment).returncode == 0
    lines = runbooks.commands(PAGE, "Steps", APP_KEY)
    chmod = "chmod 600 ~/.config/tenantguard/write-app.pem"
    changes = known_steps(APP_KEY, CI_UP, chmod)
    assert bash(chmod, environment).returncode == 0
    assert pem.stat().st_mode & 0o777 == 0o600
    (change,) = changes
    assert (change.key, change.secret, change.stdin) == ("writeAppKey", True, "~/.config/tenantguard/write-app.pem")
    assert chmod in lines
    # `pulumi config set` reads the file on standard input and drops one trailing line break.
    values = ci_values(changes, {"writeAppKey": pem.read_text().removesuffix("\n")})
    assert ci_difference(values) == {
        "added": [],
        "removed": [],
        "changed": [
            f"infra-{stack}-secret-INFRA_GITHUB_WRITE_APP_KEY" for stack in ("preview", "production", "staging")
        ],
    }

    (verify,) = runbooks.commands(PAGE, "Verify", APP_KEY)
    shown = bash(verify, environment)
    assert shown.returncode == 0, shown.stderr
    public = subprocess.run(
        ["openssl", "rsa", "-in", str(pem), "-pubout", "-outform", "DER"], capture_output=True, check=True
    ).stdout
    assert shown.stdout.strip() == base64.b64encode(hashlib.sha256(public).digest()).decode()


FINGERPRINT = "Rotate the database fingerprint key"


def production_outputs(key: str | None = None) -> dict[str, dict[str, Any]]:
    overrides = {"dbFingerprintKey": key} if key else None
    production = evaluator.evaluate("production", *stack_values("production", overrides), log_level=logging.DEBUG)
    return {PRODUCTION_STACK_NAME: dict(production.outputs)}


def evaluate_staging(key: str | None, production: dict[str, dict[str, Any]]) -> evaluator.Evaluation:
    overrides = {"dbFingerprintKey": key} if key else None
    return evaluator.evaluate(STACK, *stack_values(STACK, overrides), stack_outputs=production, log_level=logging.DEBUG)


def test_the_fingerprint_key_moves_production_first_then_the_other_stacks(tmp_path: Path) -> None:
    lines = runbooks.commands(PAGE, "Steps", FINGERPRINT)
    make, mv = lines[0], lines[-1]
    assert harness.unknown(lines, make, mv, harness.PASSPHRASE) == []
    first, second = harness.split_at(lines[1:-1], harness.GIT[0])
    changed_first = [change for line in first if (change := runbooks.config_change(line)) is not None]
    changed_second = [change for line in second if (change := runbooks.config_change(line)) is not None]
    assert [(c.stack, c.key) for c in changed_first] == [("production", "dbFingerprintKey")]
    # Every stack file but production's, each under its own passphrase.
    stacks = sorted(stack for stack in evaluator.known_stacks() if stack != "production")
    assert sorted(c.stack for c in changed_second) == stacks
    passphrases = [found["stack"] for line in second if (found := harness.PASSPHRASE.fullmatch(line))]
    assert passphrases == [c.stack for c in changed_second]
    assert {c.stdin for c in (*changed_first, *changed_second)} == {"~/.config/tenantguard/db-fingerprint.key.new"}

    environment = home_with_config(tmp_path)
    made = bash(make, environment)
    assert made.returncode == 0, made.stderr
    new_file = tmp_path / ".config" / "tenantguard" / "db-fingerprint.key.new"
    assert new_file.stat().st_mode & 0o777 == 0o600
    assert re.fullmatch(r"[0-9a-f]{64}\n", new_file.read_text())
    assert bash(make, environment).returncode != 0  # set -C: never overwritten
    new_key = new_file.read_text().removesuffix("\n")

    old_production, new_production = production_outputs(), production_outputs(new_key)
    # Step 2's deploy: the other stacks still hold the old key, which is still production's.
    evaluate_staging(None, old_production)
    # Between the two changes: refused, nothing written, and the message names this section.
    with pytest.raises(evaluator.ProgramFailedError) as refused:
        evaluate_staging(None, new_production)
    assert "dbFingerprintKey differs from the one" in str(refused.value)
    assert f"docs/{PAGE}#{runbooks.anchor(FINGERPRINT)}" in str(refused.value)
    # Nothing registered but the reference it read production's outputs through.
    assert [urn for urn in refused.value.resources if evaluator.resource_type(urn) != STACK_REFERENCE] == []
    # All at once would have failed the early stacks against production's old fingerprints.
    with pytest.raises(evaluator.ProgramFailedError, match="dbFingerprintKey differs"):
        evaluate_staging(new_key, old_production)
    # After the second change: the new key on both sides.
    evaluate_staging(new_key, new_production)

    assert bash(mv, environment).returncode == 0
    (stat,) = runbooks.commands(PAGE, "Verify", FINGERPRINT)
    assert bash(stat, environment).stdout.split() == ["600", "65"]
    assert PROFILES["production"].exports_fingerprint
    assert json.dumps(new_production).count(new_key) == 0  # production exports fingerprints, never the key
