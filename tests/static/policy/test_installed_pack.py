"""The policy pack as the Pulumi CLI runs it: installed by ./scripts/setup's command on a fresh copy, then started.

The CLI installs nothing for a local pack and starts `policy/venv/bin/python -u -m pulumi.policy
<engine> <pack dir>` (pulumi/pulumi sdk/python/cmd/pulumi-language-python RunPlugin), with the stack's
config, Pulumi.yaml's defaults merged in, as JSON in `PULUMI_CONFIG` (`constructEnv`,
sdk/go/common/resource/plugin/analyzer_plugin.go); the pack then serves the analyzer gRPC protocol on
the port it prints. This test does the same and asks it what it enforces, whether it refuses a managed
secret declared repository-wide, and whether it takes the legacy names from the stack's config.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from policy.rules import POLICIES

pytestmark = pytest.mark.slow  # installs the pack in a fresh virtualenv and starts it, about 2 s

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def fresh_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the pack needs of a checkout, with no virtualenv yet."""
    copy = tmp_path_factory.mktemp("checkout")
    shutil.copytree(ROOT / "policy", copy / "policy", ignore=shutil.ignore_patterns("venv", "__pycache__"))
    shutil.copytree(ROOT / "infra", copy / "infra", ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "scripts").mkdir()
    for script in ("install-policy-pack", "lib.sh"):
        shutil.copy2(ROOT / "scripts" / script, copy / "scripts" / script)
    assert not (copy / "policy" / "venv").exists()
    subprocess.run([str(copy / "scripts" / "install-policy-pack")], check=True, capture_output=True, text=True)
    return copy


@contextmanager
def started(pack: Path, config: Mapping[str, str] | None) -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    """The pack as the CLI starts it; `config`: the stack's config as `PULUMI_CONFIG` carries it (None: no config)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PULUMI_CONFIG")}
    if config is not None:
        env["PULUMI_CONFIG"] = json.dumps(dict(config))
    process = subprocess.Popen(
        [str(pack / "venv" / "bin" / "python"), "-u", "-m", "pulumi.policy", "127.0.0.1:1", str(pack)],
        cwd=pack,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = process.stdout.readline().strip()
        assert port.isdigit(), process.stderr.read() if process.stderr else ""
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        process.kill()
        process.wait(timeout=10)


STACK_CONFIG = {
    "tenantguard-infra:tier": "staging",
    "tenantguard-infra:legacySecretNames": json.dumps(["OLD_DATABASE_DSN"]),
    "tenantguard-infra:extraSecrets": json.dumps({"OPENAI_API_KEY": "sk-fake-openai"}),
}
"""A stack's config as the CLI passes it: arrays and objects as JSON, secrets decrypted."""


@pytest.fixture(scope="module")
def analyzer(fresh_copy: Path) -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    with started(fresh_copy / "policy", None) as stub:
        yield stub


@pytest.fixture(scope="module")
def configured_analyzer(fresh_copy: Path) -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    with started(fresh_copy / "policy", STACK_CONFIG) as stub:
        yield stub


def analyze(stub: analyzer_pb2_grpc.AnalyzerStub, resource_type: str, props: dict[str, str]) -> list[str]:
    properties = struct_pb2.Struct()
    properties.update(props)
    request = analyzer_pb2.AnalyzeRequest(
        type=resource_type,
        properties=properties,
        urn=f"urn:pulumi:staging::tenantguard-infra::{resource_type}::stray",
        name="stray",
    )
    return [d.policyName for d in stub.Analyze(request, timeout=30).diagnostics]


def analyze_stack(stub: analyzer_pb2_grpc.AnalyzerStub) -> list[str]:
    response = stub.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=[]), timeout=30)
    return [d.policyName for d in response.diagnostics]


def test_the_installed_pack_offers_every_policy(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
    assert info.name == "tenantguard-secret-scoping"
    assert [policy.name for policy in info.policies] == [policy.name for policy in POLICIES]


def test_the_installed_pack_refuses_a_repository_wide_managed_secret(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    props = {"secretName": "CI_DB_URL", "repository": "tenantguard", "value": "v"}
    assert analyze(analyzer, "github:index/actionsSecret:ActionsSecret", props) == ["credential-names-in-their-place"]


def test_the_installed_pack_takes_legacy_names_and_extras_from_the_stacks_config(
    configured_analyzer: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    dependabot = "github:index/dependabotSecret:DependabotSecret"
    for name in ("OLD_DATABASE_DSN", "OPENAI_API_KEY"):
        props = {"secretName": name, "repository": "tenantguard", "value": "v"}
        assert analyze(configured_analyzer, dependabot, props) == ["credential-names-in-their-place"]
    props = {"secretName": "DB_URL", "repository": "tenantguard", "value": "v"}  # the default, overridden here
    assert analyze(configured_analyzer, dependabot, props) == []
    assert analyze_stack(configured_analyzer) == []


def test_the_installed_pack_fails_a_run_without_the_stacks_config(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    assert analyze_stack(analyzer) == ["legacy-names-from-stack-config"]


def test_the_pack_requirements_are_uv_locks_pinned_with_hashes() -> None:
    exported = subprocess.run(
        # `uv run` names its own binary in UV; uv may be on no PATH (scripts/setup put it in .tools).
        [os.environ.get("UV", "uv"), "export", "--frozen", "--only-group", "policy", "--no-emit-project"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    written = (ROOT / "policy" / "requirements.txt").read_text()
    # uv prints its own command in the header; the pins and hashes must be the lock file's.
    assert [line for line in written.splitlines() if not line.startswith("#")] == [
        line for line in exported.splitlines() if not line.startswith("#")
    ]
    assert "--hash=sha256:" in written
