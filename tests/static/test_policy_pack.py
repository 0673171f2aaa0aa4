"""The policy pack as the Pulumi CLI runs it: installed by README's command on a fresh copy, then started.

The CLI installs nothing for a local pack and starts `policy/venv/bin/python -u -m pulumi.policy
<engine> <pack dir>` (pulumi/pulumi sdk/python/cmd/pulumi-language-python RunPlugin); the pack then
serves the analyzer gRPC protocol on the port it prints. This test does the same and asks it what
it enforces, and whether it refuses a managed secret declared repository-wide.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from policy.rules import POLICIES

ROOT = Path(__file__).resolve().parents[2]


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


@pytest.fixture(scope="module")
def analyzer(fresh_copy: Path) -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    pack = fresh_copy / "policy"
    process = subprocess.Popen(
        [str(pack / "venv" / "bin" / "python"), "-u", "-m", "pulumi.policy", "127.0.0.1:1", str(pack)],
        cwd=pack,
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


def test_the_installed_pack_offers_every_policy(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
    assert info.name == "tenantguard-secret-scoping"
    assert [policy.name for policy in info.policies] == [policy.name for policy in POLICIES]


def test_the_installed_pack_refuses_a_repository_wide_managed_secret(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    properties = struct_pb2.Struct()
    properties.update({"secretName": "CI_DB_URL", "repository": "tenantguard", "value": "v"})
    request = analyzer_pb2.AnalyzeRequest(
        type="github:index/actionsSecret:ActionsSecret",
        properties=properties,
        urn="urn:pulumi:preview::tenantguard-infra::github:index/actionsSecret:ActionsSecret::stray",
        name="stray",
    )
    response = analyzer.Analyze(request, timeout=30)
    assert [d.policyName for d in response.diagnostics] == ["managed-secrets-only-as-environment-secrets"]


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
