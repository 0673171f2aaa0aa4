"""The secret scan: each audit rule explains its kind of finding, and a real-looking secret still fails."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tools import secret_scan

pytestmark = pytest.mark.slow  # each test runs detect-secrets over a repository, 0.2-4 s

# Values are built at run time so this file itself holds no finding.
FAKE_TOKEN = "".join(["Xk82jdkQ93", "vLp0Zr7Tq4", "Wm5Hs1Ny6B"])


def assignment(name: str, value: str) -> str:
    """A line assigning a quoted value, written here without one (so this file holds no finding)."""
    return f'{name} = "{value}"\n'


def scanned(tmp_path: Path, name: str, text: str) -> list[secret_scan.Finding]:
    """The findings the rules leave unexplained in one tracked file of a fresh repository."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_text(text)
    subprocess.run(["git", "-C", str(tmp_path), "add", name], check=True)
    findings = secret_scan.scan(tmp_path)
    assert findings, "detect-secrets flagged nothing, so this case tests no rule"
    return secret_scan.unexplained(findings)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("Pulumi.staging-eu.yaml", "config:\n  tenantguard-infra:vercelProjectId: prj_7QvZk2mN4pXr8sT1uW3yA5bC\n"),
        ("README.md", 'export CI_DB_URL="postgresql://user:pass@localhost:5432/tenantguard_ci"\n'),
        ("message.py", 'raise ValueError(f"expected {scheme}://user:password@host:port/0")\n'),
        ("tokens.py", 'ENVIRONMENT_SECRET = "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret"\n'),
        ("names.py", assignment("SECRET_KEY_NAME", "SESSION_SECRET_KEY")),
        ("tests/test_x.py", f'FAKE_PASSWORD = "{FAKE_TOKEN}"\n'),
        (".github/workflows/app.yml", "jobs:\n  call:\n    uses: ./.github/workflows/x.yml\n    secrets: inherit\n"),
        (
            "README.md",
            "(`pulumi config set --stack S --path 'acknowledgedSecrets[\"tenantguard/environment/ANTHROPIC_API_KEY\"]'"
            " 'being removed'`,\n",
        ),
    ],
    ids=[
        "identifier",
        "example-url",
        "example-url-in-a-message",
        "type-token",
        "a-name",
        "fake-in-a-test",
        "unquoted-yaml-name",
        "config-path",
    ],
)
def test_a_finding_a_rule_explains_passes(tmp_path: Path, name: str, text: str) -> None:
    assert scanned(tmp_path, name, text) == []


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("Pulumi.staging-eu.yaml", f"config:\n  tenantguard-infra:note: {FAKE_TOKEN}\n"),
        ("README.md", f'export CI_DB_URL="postgresql://user:{FAKE_TOKEN}@localhost:5432/tenantguard_ci"\n'),
        ("settings.py", f'API_SECRET = "{FAKE_TOKEN}"\n'),
        ("tests/test_x.py", f'API_SECRET = "{FAKE_TOKEN[::-1]}"\n'),
        ("settings_fake.py", f'FAKE_SECRET = "{FAKE_TOKEN}"\n'),
        ("config.yml", f"api_secret: {FAKE_TOKEN}\n"),
        ("settings.py", assignment("DB_PASSWORD", "hunter2abc")),
        ("infra/x.py", assignment("OPENAI", FAKE_TOKEN).rstrip() + "  # billed to team_tG9hJ2kL4mN6pQ8rS0tV\n"),
        ("settings.py", assignment("ADMIN_PASSWORD", "CorrectHorseBatteryStaple")),
        ("settings.py", assignment("smtp_password", "Winter 2024 rocks!")),
        ("tests/fixtures/creds.py", assignment("ANTHROPIC", FAKE_TOKEN).rstrip() + "  # replaces the fake one\n"),
        ("README.md", f"pulumi config set --path 'acknowledgedSecrets[\"{FAKE_TOKEN}\"]' x\n"),
    ],
    ids=[
        "high-entropy-value",
        "real-password-in-a-url",
        "real-secret-in-a-constant",
        "unmarked-value-in-a-test",
        "fake-outside-tests",
        "unquoted-yaml-secret",
        "low-entropy-password",
        "secret-beside-a-vercel-id",
        "words-run-together",
        "a-short-sentence",
        "fake-only-in-a-comment",
        "secret-behind-a-config-key",
    ],
)
def test_a_secret_no_rule_explains_fails(tmp_path: Path, name: str, text: str) -> None:
    left = scanned(tmp_path, name, text)
    assert {finding.path for finding in left} == {name}


@pytest.mark.stack_files
def test_the_repository_passes() -> None:
    assert secret_scan.main([]) == 0


def test_a_failure_does_not_print_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scanned(tmp_path, "settings.py", f'API_SECRET = "{FAKE_TOKEN}"\n')
    assert secret_scan.main(["--dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert FAKE_TOKEN not in err
    # It says which rules could explain such a finding here, and what they need.
    assert "settings.py:1: Secret Keyword that no audit rule explains" in err
    assert "  named-constant would, if every quoted value is a name" in err
    assert "fabricated-in-tests" not in err  # a rule for tests/ only
