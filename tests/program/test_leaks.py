"""The leak suite: distinctive fake secrets never appear outside a Pulumi secret, anywhere we write text."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from infra.tables import type_tokens as types
from tests.fakes import fake_secrets
from tests.helpers import STACKS, assert_no_secret, plain_strings
from tools import evaluator
from tools.plan.cli import main as plan_main


@pytest.mark.parametrize("stack", STACKS)
def test_resource_inputs_hold_secrets_only_inside_pulumi_secrets(
    evaluated: dict[str, evaluator.Evaluation], stack: str
) -> None:
    texts: list[str] = []
    for urn, registration in evaluated[stack].resources.items():
        state = dict(registration.state)
        if types.RANDOM_PASSWORD in urn:
            # The mock's own computed value; the real provider returns `result` as a secret.
            state.pop("result")
        texts.extend(plain_strings(state))
    assert_no_secret(stack, texts)


@pytest.mark.parametrize("stack", STACKS)
def test_resource_names_and_urns_hold_no_secret(evaluated: dict[str, evaluator.Evaluation], stack: str) -> None:
    assert_no_secret(stack, evaluated[stack].resources)


@pytest.mark.parametrize("stack", STACKS)
def test_stack_outputs_hold_no_secret(evaluated: dict[str, evaluator.Evaluation], stack: str) -> None:
    assert_no_secret(stack, plain_strings(evaluated[stack].outputs))


@pytest.mark.parametrize("stack", STACKS)
def test_log_messages_hold_no_secret(evaluated: dict[str, evaluator.Evaluation], stack: str) -> None:
    assert evaluated[stack].logs  # the SDK's debug log was collected, so this can fail
    assert_no_secret(stack, evaluated[stack].logs)


@pytest.mark.parametrize("stack", STACKS)
def test_configuration_errors_hold_no_secret(run_stack: Callable[..., evaluator.Evaluation], stack: str) -> None:
    # Every secret present but one config value wrong: the error must list it without quoting secrets.
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack(stack, {"tier": "qa"})
    assert_no_secret(stack, [str(failure.value), repr(failure.value.cause)])


@pytest.fixture
def leaky_stack_dir(tmp_path: Path) -> Path:
    """Stack files as ops might get them wrong: one plaintext secret, and encrypted extra secrets."""
    for stack in STACKS:
        document = yaml.safe_load(evaluator.stack_file(stack).read_text())
        document["config"]["tenantguard-infra:extraSecrets"] = {"OPENAI_API_KEY": {"secure": "v1:AAAAcipher"}}
        evaluator.stack_file(stack, tmp_path).write_text(yaml.safe_dump(document))
    staging = evaluator.stack_file("staging", tmp_path)
    document = yaml.safe_load(staging.read_text())
    document["config"]["tenantguard-infra:vercelToken"] = fake_secrets("staging")["vercelToken"]
    staging.write_text(yaml.safe_dump(document))
    # A secret pasted as a key name: the plan evaluates preview (nothing else is wrong there) and reports it.
    preview = evaluator.stack_file("preview", tmp_path)
    document = yaml.safe_load(preview.read_text())
    document["config"][f"tenantguard-infra:sk-{fake_secrets('preview')['vercelToken']}"] = "pasted"
    preview.write_text(yaml.safe_dump(document))
    return tmp_path


@pytest.mark.slow
@pytest.mark.parametrize("output", ["text", "json", "markdown"])
def test_the_offline_plan_prints_no_secret(
    leaky_stack_dir: Path, capsys: pytest.CaptureFixture[str], output: str
) -> None:
    status = plan_main(["--dir", str(leaky_stack_dir), *([f"--{output}"] if output != "text" else [])])
    out = capsys.readouterr().out
    if output == "markdown":
        # As a reader sees it: escapes, entities and the word joiner that stops mentions taken out.
        out = html.unescape(re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", out)).replace("\u2060", "")
    assert status == 1
    assert "tenantguard-infra:vercelToken is in Pulumi.staging.yaml as plaintext" in out
    assert "1 key not declared in Pulumi.yaml is set" in out
    if output == "json":
        json.loads(out)
    for stack in STACKS:
        assert_no_secret(stack, [out])
    assert "v1:AAAAcipher" not in out


def test_the_displayed_database_url_keeps_only_allowed_parts(run_stack: Callable[..., evaluator.Evaluation]) -> None:
    # Text in a query parameter libpq accepts (application_name, options) is not shown either.
    url = fake_secrets("staging")["ciDbUrl"] + f"?application_name={fake_secrets('staging')['vercelToken']}"
    evaluation = run_stack("staging", {"ciDbUrl": url})
    assert evaluation.outputs["ciDbUrlMasked"] == "postgresql://ci:***@db.staging.internal:5432/tenantguard"
    assert_no_secret("staging", plain_strings(evaluation.outputs))


def test_the_displayed_database_url_hides_a_database_named_like_the_password(
    run_stack: Callable[..., evaluator.Evaluation],
) -> None:
    password = fake_secrets("staging")["vercelToken"]
    evaluation = run_stack("staging", {"ciDbUrl": f"postgresql://ci:{password}@db.staging.internal:5432/{password}"})
    assert evaluation.outputs["ciDbUrlMasked"] == "postgresql://ci:***@db.staging.internal:5432/***"
