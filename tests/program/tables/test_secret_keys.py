"""The secret-key table: it matches Pulumi.yaml, its examples and fakes are valid, and the docs follow it."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from infra.config.schema import secret_keys
from infra.tables.secret_keys import SECRET_KEYS
from infra.tables.tiers import PROFILES, TIERS
from infra.tables.type_tokens import full_key
from tests.fakes import secret_values
from tests.helpers import STACKS
from tools import bootstrap, docs, evaluator
from tools.plan.placeholders import PLACEHOLDER, placeholder_secrets


def test_the_table_lists_exactly_the_secret_keys_pulumi_yaml_declares() -> None:
    assert [secret_key.key for secret_key in SECRET_KEYS] == list(secret_keys())


@pytest.mark.parametrize("tier", TIERS)
def test_every_sample_passes_its_own_validator_in_every_tier(tier: str) -> None:
    profile = PROFILES[tier]  # type: ignore[index]
    values = secret_values("any", profile.tier)
    for secret_key in SECRET_KEYS:
        assert secret_key.kind.validate(full_key(secret_key.key), values[secret_key.key], profile) == []


def test_the_plan_placeholders_pass_every_tier() -> None:
    placeholders = placeholder_secrets("any", ["OPENAI_API_KEY"])
    for profile in PROFILES.values():
        for secret_key in SECRET_KEYS:
            value = placeholders[secret_key.key]
            assert PLACEHOLDER in value
            assert secret_key.kind.validate(full_key(secret_key.key), value, profile) == []


@pytest.mark.stack_files
def test_generated_docs_are_current() -> None:
    assert docs.main(["--check"]) == 0


def test_a_stale_generated_block_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path
    for path in ("README.md", "workorders/WO-ci-secrets.md", *(f"Pulumi.{s}.yaml" for s in ("preview", "staging"))):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(evaluator.ROOT / path, root / path)
    readme = root / "README.md"
    readme.write_text(
        readme.read_text().replace(
            "pulumi config set --secret --stack staging vercelToken", "pulumi config set --stack staging vercelToken"
        )
    )
    assert docs.main(["--check", "--dir", str(root)]) == 1
    assert "README.md: generated lines are stale" in capsys.readouterr().err
    assert docs.main(["--dir", str(root)]) == 0
    assert docs.main(["--check", "--dir", str(root)]) == 0
    assert "pulumi config set --secret --stack staging vercelToken" in readme.read_text()


CONFIG_SET_SECRET = re.compile(r"pulumi config set --secret[^`\n#<]*")


def values_on_the_command_line(text: str) -> list[str]:
    """Each `pulumi config set --secret` in the text that has a value after its key (it would stay in history)."""
    found = []
    for match in CONFIG_SET_SECRET.finditer(text):
        words = shlex.split(match.group())[3:]  # after `pulumi config set`
        # --secret and --path are switches; --stack takes the stack's name.
        arguments = [w for i, w in enumerate(words) if not w.startswith("--") and (i == 0 or words[i - 1] != "--stack")]
        if len(arguments) > 1:
            found.append(match.group())
    return found


def test_a_value_after_the_key_is_found() -> None:
    assert values_on_the_command_line("`pulumi config set --secret --stack s --path 'extraSecrets.X' '...'`")
    assert values_on_the_command_line("pulumi config set --secret ciDbUrl 'postgresql://ci:...@db:5432/tg'")
    assert not values_on_the_command_line("pulumi config set --secret --stack s ciDbUrl   # e.g. postgresql://...")


def test_no_document_puts_a_secret_value_on_the_command_line() -> None:
    documents = [
        evaluator.ROOT / "README.md",
        evaluator.ROOT / "workorders" / "WO-ci-secrets.md",
        *sorted((evaluator.ROOT / "docs").rglob("*.md")),
    ]
    for path in [*documents, *(evaluator.stack_file(stack) for stack in STACKS)]:
        assert values_on_the_command_line(path.read_text()) == [], path.name


def test_bootstrap_prints_no_secret_value_on_the_command_line() -> None:
    steps = bootstrap.next_steps("staging-eu", PROFILES["staging"], ["ANTHROPIC_API_KEY"], "tenantguard", [])
    commands = [step for step in steps if "pulumi config set --secret" in step]
    assert len(commands) == len(SECRET_KEYS) + 1
    assert values_on_the_command_line("\n".join(commands)) == []
