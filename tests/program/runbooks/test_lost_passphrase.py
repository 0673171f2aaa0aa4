"""docs/how-to/lost-passphrase.md: its tools run on a copy of staging's stack file holding every secret encrypted, and
on a deployment shaped like `pulumi stack export`'s made from the staging program's own resources under the mocks.
The lines they print are the page's; after them no value of the lost key is left, and the update replaces exactly
what the program generated."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from pulumi.runtime.rpc import is_rpc_secret

from infra.tables.secret_keys import SECRET_KEYS
from infra.tables.type_tokens import PROJECT, full_key
from tests import runbooks
from tests.fakes import stack_values
from tests.program.runbooks.lines import (
    KEY_DIR,
    REPOSITORY,
    passphrase_lines,
    secret_set_lines,
)
from tools import evaluator, lost_passphrase
from tools.plan.cli import main as plan_main

PAGE = "how-to/lost-passphrase.md"
STACK = "staging"
OLD_SALT = "v1:FAKEoldSalt=:v1:FAKEold:FAKEold"
NEW_SALT = "v1:FAKEnewSalt=:v1:FAKEnew:FAKEnew"


def steps() -> list[str]:
    return runbooks.commands(PAGE, "Steps")


def secret_keys() -> list[str]:
    """The secret keys staging holds (its fake config): the table's rows and its extras."""
    values, secret = stack_values(STACK)
    keys = [key for key in secret if key != "extraSecrets"]
    extras = [f"extraSecrets.{name}" for name in json.loads(values.get("extraSecrets", "{}"))]
    order = [row.key for row in SECRET_KEYS]
    return sorted(keys, key=order.index) + sorted(extras)


def encrypted(keys: list[str], salt: str, mark: str) -> str:
    """Staging's stack file as Pulumi leaves it once each key is set with `--secret`: salt first, ciphertexts."""
    text = evaluator.stack_file(STACK).read_text().replace("config:\n", f"encryptionsalt: {salt}\nconfig:\n", 1)
    extras = [key.split(".", 1)[1] for key in keys if key.startswith("extraSecrets.")]
    for key in keys:
        if not key.startswith("extraSecrets."):
            text += f"  {full_key(key)}:\n    secure: v1:FAKE{mark}{key}==\n"
    if extras:
        text += f"  {full_key('extraSecrets')}:\n"
        text += "".join(f"    {name}:\n      secure: v1:FAKE{mark}{name}==\n" for name in extras)
    return text


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    for stack in evaluator.known_stacks():
        shutil.copy(evaluator.stack_file(stack), tmp_path)
    evaluator.stack_file(STACK, tmp_path).write_text(encrypted(secret_keys(), OLD_SALT, "old"))
    return tmp_path


def test_every_step_is_one_this_test_knows() -> None:
    known: list[str | re.Pattern[str]] = [
        re.compile(
            rf'passphrase="\$\(PULUMI_CONFIG_PASSPHRASE_FILE={KEY_DIR}/ci\.passphrase pulumi -C ci config get '
            rf"--stack ci --path passphrases\.{STACK}\)\" && \(set -C && umask 077 && printf '%s\\n' \"\$passphrase\" "
            rf"> {KEY_DIR}/{STACK}\.passphrase\); unset passphrase"
        ),
        f"gh workflow disable infra-deploy --repo {REPOSITORY}",
        f"gh workflow disable infra-drift --repo {REPOSITORY}",
        f"git switch -c recover-{STACK}-key origin/main",
        f"(set -C && umask 077 && mkdir -p {KEY_DIR} && openssl rand -base64 32 > {KEY_DIR}/{STACK}.passphrase)",
        *passphrase_lines(STACK),
        f"./scripts/uv run python -m tools.lost_passphrase stack-file --stack {STACK}",
        *secret_set_lines(STACK, secret_keys()),
        f"./scripts/uv run python -m tools.plan --stack {STACK} --require-secrets",
        f"pulumi stack export --stack {STACK} --file {STACK}.lost.json",
        f"./scripts/uv run python -m tools.lost_passphrase state --stack {STACK} --input {STACK}.lost.json "
        f"--output {STACK}.recovered.json",
        f"pulumi stack import --stack {STACK} --file {STACK}.recovered.json",
        re.compile(rf"GITHUB_TOKEN=.* pulumi up --stack {STACK} --policy-pack policy( --replace '[^']+')+"),
        f"PULUMI_CONFIG_PASSPHRASE_FILE={KEY_DIR}/ci.passphrase pulumi -C ci config set --secret --stack ci --path "
        f"'passphrases.{STACK}' < {KEY_DIR}/{STACK}.passphrase",
        f'GITHUB_TOKEN="$(gh auth token)" PULUMI_CONFIG_PASSPHRASE_FILE={KEY_DIR}/ci.passphrase pulumi -C ci up '
        "--stack ci --policy-pack policy",
        re.compile(
            rf"git add Pulumi\.{STACK}\.yaml ci/Pulumi\.ci\.yaml && git commit -m '[^']+' && git push -u origin "
            rf"recover-{STACK}-key && gh pr create --fill"
        ),
        f"gh workflow enable infra-deploy --repo {REPOSITORY}",
        f"gh workflow enable infra-drift --repo {REPOSITORY}",
        f"gh workflow run infra-deploy.yml --repo {REPOSITORY} -f stack={STACK}",
        f"gh pr merge --squash recover-{STACK}-key",
    ]
    assert runbooks.unknown(steps(), known) == []
    assert runbooks.without_stack(steps() + runbooks.commands(PAGE, "Verify")) == []


def test_the_stack_file_loses_the_old_key_s_salt_and_values_and_the_page_sets_each_again(
    directory: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain_before = evaluator.stack_config(STACK)
    assert lost_passphrase.main(["stack-file", "--stack", STACK, "--dir", str(directory)]) == 0
    printed = capsys.readouterr().out.splitlines()[1:]
    page = [line for line in steps() if line.startswith("pulumi config set --secret")]
    assert printed == page == secret_set_lines(STACK, secret_keys())
    written = evaluator.stack_file(STACK, directory).read_text()
    assert "encryptionsalt" not in written
    assert "secure" not in written.split("config:", 1)[1]
    assert evaluator.stack_config(STACK, directory) == plain_before
    # What the plan then asks for is what the page sets again: every secret key of the stack.
    assert plan_main(["--stack", STACK, "--require-secrets", "--dir", str(directory)]) == 1
    # `pulumi config set --secret`, line by line: a new salt, new ciphertexts; then the page's plan passes.
    changes = runbooks.config_changes(page, STACK)
    assert [f"{c.key}" for c in changes] == secret_keys()
    assert all(change.secret for change in changes)
    evaluator.stack_file(STACK, directory).write_text(encrypted([c.key for c in changes], NEW_SALT, "new"))
    capsys.readouterr()
    assert plan_main(["--stack", STACK, "--require-secrets", "--dir", str(directory)]) == 0


def test_a_stack_file_without_a_passphrase_key_is_refused(directory: Path) -> None:
    path = evaluator.stack_file(STACK, directory)
    path.write_text(f"secretsprovider: awskms://alias/x?region=eu-west-1\nencryptedkey: AQ\n{path.read_text()}")
    with pytest.raises(lost_passphrase.RecoveryError, match="KMS key"):
        lost_passphrase.reset_stack_file(STACK, directory)


def ciphertexts(value: Any, found: list[str]) -> Any:
    """Each secret as the mocks hold it, as `pulumi stack export` shows it: a ciphertext beside the signature."""
    if is_rpc_secret(value):
        found.append("secret")
        sig = lost_passphrase.SECRET_SIG_KEY
        return {sig: lost_passphrase.SECRET_SIG, "ciphertext": f"v1:FAKEold{len(found)}=="}
    if isinstance(value, dict):
        return {key: ciphertexts(item, found) for key, item in value.items()}
    if isinstance(value, list):
        return [ciphertexts(item, found) for item in value]
    return value


def exported(evaluation: evaluator.Evaluation) -> tuple[dict[str, Any], int]:
    found: list[str] = []
    resources = [
        {
            "urn": urn,
            "custom": not evaluator.resource_type(urn).startswith("tenantguard:"),
            "type": evaluator.resource_type(urn),
            "inputs": ciphertexts(registration.state, found),
            "outputs": ciphertexts(registration.state, found),
        }
        for urn, registration in evaluation.resources.items()
    ]
    deployment = {
        "manifest": {"time": "2026-12-01T10:00:00Z", "magic": "", "version": "v3.272.0"},
        "secrets_providers": {"type": "passphrase", "state": {"salt": OLD_SALT}},
        "resources": resources,
    }
    return {"version": 3, "deployment": deployment}, len(found)


@pytest.mark.slow
def test_the_state_keeps_every_resource_and_loses_every_value_of_the_old_key(
    directory: Path,
    tmp_path: Path,
    evaluated: dict[str, evaluator.Evaluation],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    evaluation = evaluated[STACK]
    state, secrets = exported(evaluation)
    assert secrets > 0
    evaluator.stack_file(STACK, directory).write_text(encrypted(secret_keys(), NEW_SALT, "new"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    (work / f"{STACK}.lost.json").write_text(json.dumps(state))
    (tool,) = [line for line in steps() if "tools.lost_passphrase state " in line]
    arguments = tool.split(" -m tools.lost_passphrase ", 1)[1].split()
    assert lost_passphrase.main([*arguments, "--dir", str(directory)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == f"wrote {STACK}.recovered.json: {secrets} values lost with the passphrase, 1 generated. Then:"
    # The page's import and update are the tool's, for staging's resources.
    (import_line,) = [line for line in steps() if line.startswith("pulumi stack import")]
    (up_line,) = [line for line in steps() if " pulumi up " in line]
    assert printed[1:] == [import_line, up_line]
    recovered = json.loads((work / f"{STACK}.recovered.json").read_text())
    text = json.dumps(recovered)
    assert "ciphertext" not in text
    assert text.count(json.dumps(json.dumps(lost_passphrase.PLACEHOLDER))) == secrets
    assert recovered["deployment"]["secrets_providers"] == {"type": "passphrase", "state": {"salt": NEW_SALT}}
    assert [r["urn"] for r in recovered["deployment"]["resources"]] == list(evaluation.resources)
    generated = [urn for urn in evaluation.resources if evaluator.resource_type(urn).startswith("random:")]
    assert generated
    assert re.findall(r"--replace '([^']+)'", up_line) == generated
    # The page's check after the update looks for the tool's placeholder.
    (check,) = [line for line in runbooks.commands(PAGE, "Verify") if "grep -c" in line]
    (pattern,) = re.findall(r"grep -c '([^']+)'", check)
    assert pattern in lost_passphrase.PLACEHOLDER
    # Run twice, or on a state already under the new key: refused, nothing written.
    assert lost_passphrase.main([*arguments, "--dir", str(directory)]) == 2
    with pytest.raises(lost_passphrase.RecoveryError, match="already encrypted with the stack file's salt"):
        lost_passphrase.rewrite_state(STACK, recovered, NEW_SALT)
    with pytest.raises(lost_passphrase.RecoveryError, match="another stack"):
        lost_passphrase.rewrite_state("production", state, NEW_SALT)


def test_the_state_waits_for_the_new_salt(directory: Path) -> None:
    lost_passphrase.reset_stack_file(STACK, directory)
    with pytest.raises(lost_passphrase.RecoveryError, match="has no encryptionsalt yet") as refused:
        lost_passphrase.new_salt(STACK, directory)
    assert lost_passphrase.RUNBOOK in str(refused.value)
    assert PROJECT in evaluator.stack_file(STACK, directory).read_text()


def test_deploys_and_drift_checks_stay_off_until_main_holds_the_new_stack_file() -> None:
    lines = steps()
    merge = lines.index(f"gh pr merge --squash recover-{STACK}-key")
    for workflow in ("infra-deploy", "infra-drift"):
        assert lines.index(f"gh workflow disable {workflow} --repo {REPOSITORY}") < merge
        assert lines.index(f"gh workflow enable {workflow} --repo {REPOSITORY}") > merge
