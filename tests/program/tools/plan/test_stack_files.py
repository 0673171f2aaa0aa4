"""tools/plan/stack_files.py: which secrets a stack file holds encrypted; plaintext refused; broken files named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.program.tools.plan.harness import edit, run
from tools import evaluator

pytestmark = pytest.mark.slow  # each test runs the whole plan: every stack's program, 0.1-1 s


def test_plan_shows_extra_secret_names_from_the_stack_file(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(stack_dir, "preview", extraSecrets={"OPENAI_API_KEY": {"secure": "v1:AAAAencrypted"}})
    status, out = run(capsys, "--dir", str(stack_dir), "--json")
    assert status == 0
    document = json.loads(out)
    assert document["matrix"]["OPENAI_API_KEY"] == {
        "preview": "gh:preview + vercel:preview",
        "staging": "-",
        "production": "-",
    }
    assert document["stacks"]["preview"]["secrets"]["extra"] == ["OPENAI_API_KEY"]


def test_plan_reports_which_secrets_are_set_and_which_are_missing(
    stack_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(stack_dir, "staging", ciDbUrl={"secure": "v1:AAAAci"}, vercelToken={"secure": "v1:AAAAtok"})
    status, out = run(capsys, "--dir", str(stack_dir), "--json", "--stack", "staging")
    assert status == 0
    secrets = json.loads(out)["stacks"]["staging"]["secrets"]
    assert secrets["set"] == ["ciDbUrl", "vercelToken"]
    assert secrets["missing"] == ["databaseUrl", "redisUrl", "dbFingerprintKey"]
    assert "v1:AAAA" not in out


def test_a_stack_file_with_encryption_settings_is_read(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = evaluator.stack_file("staging", stack_dir)
    path.write_text("encryptionsalt: v1:c2FsdA==:v1:AAAA:BBBB\n" + path.read_text())
    other = evaluator.stack_file("preview", stack_dir)
    other.write_text(
        "secretsprovider: awskms://alias/tg-preview?region=eu-west-1\nencryptedkey: AQICAH\n" + other.read_text()
    )
    status, _ = run(capsys, "--dir", str(stack_dir))
    assert status == 0


def test_plaintext_anywhere_in_extra_secrets_is_refused(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(stack_dir, "preview", extraSecrets={"OPENAI_API_KEY": "sk-fake-plain-Zq81", "NESTED": {"deep": "x"}})
    status, out = run(capsys, "--dir", str(stack_dir), "--json")
    assert status == 1
    errors = json.loads(out)["stacks"]["preview"]["errors"]
    assert any("extraSecrets.OPENAI_API_KEY is in Pulumi.preview.yaml as plaintext" in e for e in errors)
    assert any("extraSecrets.NESTED.deep is in Pulumi.preview.yaml as plaintext" in e for e in errors)
    assert "sk-fake-plain-Zq81" not in out


def test_a_broken_stack_file_is_named_with_its_line_and_the_others_are_still_planned(
    stack_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = evaluator.stack_file("staging", stack_dir)
    path.write_text(path.read_text() + "  tenantguard-infra:oops: [unclosed\n")
    status, out = run(capsys, "--dir", str(stack_dir), "--json")
    assert status == 1
    document = json.loads(out)
    (error,) = document["stacks"]["staging"]["errors"]
    assert error.startswith("Pulumi.staging.yaml, line ")
    assert document["stacks"]["production"]["ok"] is True
    assert document["stacks"]["preview"]["ok"] is True


def test_a_secure_value_that_is_not_ciphertext_is_not_set(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(stack_dir, "staging", ciDbUrl={"secure": "postgresql://ci:fake-Rq7@db/tg"})
    status, out = run(capsys, "--dir", str(stack_dir), "--json", "--stack", "staging")
    assert status == 1
    assert "tenantguard-infra:ciDbUrl is in Pulumi.staging.yaml as plaintext" in out
    assert "fake-Rq7" not in out


def test_a_plaintext_secret_is_rotated_and_set_again_in_its_own_stack_without_its_value(
    stack_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(stack_dir, "staging", ciDbUrl="postgresql://ci:fake-Rq7@db/tg")
    status, out = run(capsys, "--dir", str(stack_dir), "--json", "--stack", "staging")
    assert status == 1
    (error,) = json.loads(out)["stacks"]["staging"]["errors"]
    assert error.startswith(
        "tenantguard-infra:ciDbUrl is in Pulumi.staging.yaml as plaintext: "
        "if that file was ever committed or shared, rotate it; "
    )
    # The command names its stack (not whichever is selected) and ends at the key: Pulumi asks for the value.
    assert "`pulumi config set --secret --stack staging ciDbUrl`, which asks for it" in error
    assert "it was committed" not in error


def test_a_provider_token_in_plaintext_is_refused_too(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = evaluator.stack_file("staging", stack_dir)
    document = yaml.safe_load(path.read_text())
    document["config"]["vercel:apiToken"] = "fake-3ubFYUQGFhHpxLDfpbtZ86x9"
    document["config"]["github:token"] = {"secure": "v1:AAAA"}
    path.write_text(yaml.safe_dump(document))
    status, out = run(capsys, "--dir", str(stack_dir), "--json")
    assert status == 1
    (error,) = json.loads(out)["stacks"]["staging"]["errors"]
    assert error.startswith("vercel:apiToken is in Pulumi.staging.yaml as plaintext")
    assert "3ubFYUQ" not in out


def test_an_unquoted_date_is_read_as_pulumi_reads_it(stack_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = evaluator.stack_file("preview", stack_dir)
    day = "2026-11-20"
    path.write_text(
        path.read_text()
        + f"  tenantguard-infra:sessionKeyRotation: '2'\n  tenantguard-infra:sessionKeyPreviousUntil: {day}\n"
    )
    status, out = run(capsys, "--dir", str(stack_dir), "--json", "--stack", "preview")
    assert status == 0
    assert json.loads(out)["stacks"]["preview"]["sessionKey"].startswith("rotation 2;")


def test_a_stack_named_on_the_command_line_is_read_only_from_the_directory(
    stack_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = stack_dir / "outside"
    outside.mkdir()
    (outside / "evil.yaml").write_text(evaluator.stack_file("staging", stack_dir).read_text())
    (stack_dir / "Pulumi.x").mkdir()
    status, out = run(capsys, "--dir", str(stack_dir), "--json", "--stack", "x/../outside/evil")
    assert status == 1
    (error,) = json.loads(out)["stacks"]["x/../outside/evil"]["errors"]
    assert error.startswith("'x/../outside/evil' is not a stack name Pulumi accepts (letters, digits, '_', '.' and '-'")


PASTED = "sk_live_51HxQ7vKj3Lm9pasted"
"""An extraSecrets name that is a value pasted in the wrong place: no output prints it."""


@pytest.mark.parametrize("output", ["text", "json", "markdown"])
@pytest.mark.parametrize("value", [{"secure": "v1:AAAAencrypted"}, "plain-Zq81"], ids=["encrypted", "plaintext"])
def test_no_output_prints_an_extra_secret_name_the_program_refuses(
    stack_dir: Path, capsys: pytest.CaptureFixture[str], output: str, value: object
) -> None:
    edit(stack_dir, "preview", extraSecrets={PASTED: value, "OPENAI_API_KEY": {"secure": "v1:AAAAencrypted"}})
    status, out = run(capsys, "--dir", str(stack_dir), *([f"--{output}"] if output != "text" else []))
    assert status == 1
    assert PASTED not in out
    assert "name 2 of 2" in out
    if output == "json":
        assert json.loads(out)["stacks"]["preview"]["secrets"]["extra"] == ["OPENAI_API_KEY"]


def test_a_directory_named_like_a_stack_file_is_named_and_the_others_are_still_planned(
    stack_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (stack_dir / "Pulumi.x.yaml").mkdir()
    status, out = run(capsys, "--dir", str(stack_dir), "--json")
    assert status == 1
    document = json.loads(out)
    (error,) = document["stacks"]["x"]["errors"]
    assert error.startswith("Pulumi.x.yaml cannot be read")
    assert document["stacks"]["production"]["ok"] is True


def test_a_stack_file_with_aliases_is_refused_before_they_expand(
    stack_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A few lines of nested aliases expand to billions of nodes ("billion laughs"); a stack file needs none.
    bomb = ['  tenantguard-infra:a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    bomb += [f"  tenantguard-infra:a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 20)]
    path = evaluator.stack_file("staging", stack_dir)
    path.write_text(path.read_text() + "\n".join(bomb) + "\n")
    status, out = run(capsys, "--dir", str(stack_dir), "--json")
    assert status == 1
    (error,) = json.loads(out)["stacks"]["staging"]["errors"]
    assert error.startswith("Pulumi.staging.yaml, line ")
    assert "alias" in error
