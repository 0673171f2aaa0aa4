"""The secret-key table: it matches Pulumi.yaml, its examples and fakes are valid, and the docs follow it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from infra import config
from infra.secret_keys import SECRET_KEYS
from infra.tiers import PROFILES, TIERS
from tools import docs, evaluator
from tools.fakes import PLACEHOLDER, placeholder_secrets, secret_values


def test_the_table_lists_exactly_the_secret_keys_pulumi_yaml_declares() -> None:
    assert [secret_key.key for secret_key in SECRET_KEYS] == list(config.secret_keys())


@pytest.mark.parametrize("tier", TIERS)
def test_every_sample_passes_its_own_validator_in_every_tier(tier: str) -> None:
    profile = PROFILES[tier]  # type: ignore[index]
    values = secret_values("any", profile.tier)
    for secret_key in SECRET_KEYS:
        assert secret_key.kind.validate(config.full_key(secret_key.key), values[secret_key.key], profile) == []


def test_the_plan_placeholders_pass_every_tier() -> None:
    placeholders = placeholder_secrets("any", ["OPENAI_API_KEY"])
    for profile in PROFILES.values():
        for secret_key in SECRET_KEYS:
            value = placeholders[secret_key.key]
            assert PLACEHOLDER in value
            assert secret_key.kind.validate(config.full_key(secret_key.key), value, profile) == []


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
        readme.read_text().replace("pulumi config set --secret vercelToken", "pulumi config set vercelToken")
    )
    assert docs.main(["--check", "--dir", str(root)]) == 1
    assert "README.md: generated lines are stale" in capsys.readouterr().err
    assert docs.main(["--dir", str(root)]) == 0
    assert docs.main(["--check", "--dir", str(root)]) == 0
    assert "pulumi config set --secret vercelToken" in readme.read_text()
