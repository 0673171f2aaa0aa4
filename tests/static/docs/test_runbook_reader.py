"""tests/runbooks.py reads a page's commands as an operator copies them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import runbooks

PAGE = """# Rotate

## When
```bash
echo not here
```

## Steps
Text.
```bash
# a comment
$ pulumi config set --stack staging sessionKeyRotation 2   # the counter
pulumi config set --stack staging --secret --path \\
    'extraSecrets.ANTHROPIC_API_KEY' "$ANTHROPIC_API_KEY"
```
```yaml
not: a command
```
### Verify
```bash
./scripts/plan --stack staging
```

## Back out
"""


@pytest.fixture
def page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(runbooks, "DOCS", tmp_path)
    (tmp_path / "page.md").write_text(PAGE)
    return "page.md"


def test_a_section_s_commands_include_its_subsections_and_nothing_else(page: str) -> None:
    assert runbooks.commands(page, "Steps") == [
        "pulumi config set --stack staging sessionKeyRotation 2",
        "pulumi config set --stack staging --secret --path 'extraSecrets.ANTHROPIC_API_KEY' \"$ANTHROPIC_API_KEY\"",
        "./scripts/plan --stack staging",
    ]
    with pytest.raises(KeyError, match="no section 'Missing'"):
        runbooks.commands(page, "Missing")


def test_config_lines_become_the_overrides_the_program_is_evaluated_with(page: str) -> None:
    changes = runbooks.config_changes(runbooks.commands(page, "Steps"), "staging")
    values = runbooks.applied(changes, {"sessionKeyRotation": "1"}, {"ANTHROPIC_API_KEY": "sk-ant-fake"})
    assert values == {"sessionKeyRotation": "2", "extraSecrets": '{"ANTHROPIC_API_KEY": "sk-ant-fake"}'}
    assert changes[1].secret
    assert changes[1].path
    with pytest.raises(ValueError, match="names no --stack"):
        runbooks.config_change("pulumi config set sessionKeyRotation 2")


def test_anchors_are_github_s() -> None:
    assert runbooks.anchor("Rotate the database password (generated)") == "rotate-the-database-password-generated"
