"""tests/runbooks.py reads a page's commands as an operator copies them."""

from __future__ import annotations

import json
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
    values = runbooks.applied(changes, {"sessionKeyRotation": "1"}, {"ANTHROPIC_API_KEY": "fake-anthropic-key"})
    assert values == {"sessionKeyRotation": "2", "extraSecrets": '{"ANTHROPIC_API_KEY": "fake-anthropic-key"}'}
    assert changes[1].secret
    assert changes[1].path
    with pytest.raises(ValueError, match="names no --stack"):
        runbooks.config_change("pulumi config set sessionKeyRotation 2")


def test_anchors_are_github_s() -> None:
    assert runbooks.anchor("Rotate the database password (generated)") == "rotate-the-database-password-generated"


PROCEDURES = """# Keys

## Add a key
### Steps
```bash
pulumi config set --secret --stack staging --path 'extraSecrets.ANTHROPIC_API_KEY'
pulumi -C ci config set --secret --stack ci readAppKey < ~/.config/tenantguard/read-app.pem
```

## Remove a key
### Steps
```bash
pulumi config rm --stack staging --path 'extraSecrets.ANTHROPIC_API_KEY'
pulumi config set --stack staging --path 'acknowledgedSecrets["tenantguard/environment/ANTHROPIC_API_KEY"]' 'gone'
```
"""


@pytest.fixture
def procedures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(runbooks, "DOCS", tmp_path)
    (tmp_path / "keys.md").write_text(PROCEDURES)
    return "keys.md"


def test_each_procedure_s_steps_are_read_by_naming_the_procedure(procedures: str) -> None:
    assert runbooks.commands(procedures, "Steps", within="Remove a key")[0].startswith("pulumi config rm")
    with pytest.raises(ValueError, match="say which with `within`"):
        runbooks.commands(procedures, "Steps")
    assert runbooks.outline(procedures)[-1] == ("Keys", "Remove a key", "Steps")


def test_values_asked_for_or_read_from_a_file_come_from_what_the_operator_types(procedures: str) -> None:
    added = runbooks.commands(procedures, "Steps", within="Add a key")
    typed, ci = (runbooks.config_change(line) for line in added)
    assert typed is not None
    assert ci is not None
    assert (typed.asked, typed.stdin) == (True, None)
    assert (ci.asked, ci.stdin, ci.directory, ci.stack, ci.key) == (
        True,
        "~/.config/tenantguard/read-app.pem",
        "ci",
        "ci",
        "readAppKey",
    )
    values = runbooks.applied([typed], {}, {}, {"extraSecrets.ANTHROPIC_API_KEY": "fake-anthropic-key"})
    assert values == {"extraSecrets": '{"ANTHROPIC_API_KEY": "fake-anthropic-key"}'}
    with pytest.raises(KeyError, match="the CLI asks for"):
        runbooks.applied([typed], {}, {})


def test_a_bracketed_path_key_sets_one_entry_of_its_object(procedures: str) -> None:
    changes = runbooks.config_changes(runbooks.commands(procedures, "Steps", within="Remove a key"), "staging")
    start = {"extraSecrets": json.dumps({"ANTHROPIC_API_KEY": "x", "OPENAI_API_KEY": "y"})}
    values = runbooks.applied(changes, start, {})
    fake_acknowledged = {"tenantguard/environment/ANTHROPIC_API_KEY": "gone"}
    assert values == {
        "extraSecrets": json.dumps({"OPENAI_API_KEY": "y"}),
        "acknowledgedSecrets": json.dumps(fake_acknowledged),
    }


def test_every_pulumi_command_in_a_line_is_found_and_one_naming_no_stack_reported() -> None:
    lines = [
        "printf '%s' \"$VALUE\" | pulumi config set --secret ciDbUrl",
        "for a in read write; do pulumi config set --secret ${a}AppKey < key.pem; done",
        'TOKEN="$(pulumi -C ci config get --stack ci --path tokens.s)" pulumi up --stack s --policy-pack policy',
        "pulumi login s3://tenantguard-pulumi-state && pulumi preview --stack=s",
    ]
    assert runbooks.without_stack(lines) == [
        "pulumi config set --secret ciDbUrl",
        "pulumi config set --secret ${a}AppKey < key.pem",
    ]
