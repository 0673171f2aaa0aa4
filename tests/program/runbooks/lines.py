"""What a runbook test does with a page's command lines: match each against the lines it knows, run a line in bash."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

from infra.tables.secret_keys import set_secret_command

REPOSITORY = "tenantguard/tenantguard-infra"
BUCKET = "tenantguard-pulumi-state"
KEY_DIR = "~/.config/tenantguard"


def passphrase_lines(stack: str) -> list[str]:
    """The three lines every page uses to work on one stack: its key file, the backend."""
    return [
        f"export PULUMI_CONFIG_PASSPHRASE_FILE={KEY_DIR}/{stack}.passphrase; unset PULUMI_CONFIG_PASSPHRASE",
        f"pulumi login s3://{BUCKET}",
    ]


def secret_set_lines(stack: str, keys: Iterable[str]) -> list[str]:
    """`pulumi config set --secret` for each key, as the docs generate them (the shared key from its file)."""
    lines = []
    for key in keys:
        command = set_secret_command(key, stack)
        lines.append(f"{command} < {KEY_DIR}/db-fingerprint.key" if key == "dbFingerprintKey" else command)
    return lines


def bash(line: str, cwd: Path, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run one page line as the operator's shell would (process substitution included)."""
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", line],
        cwd=cwd,
        env=dict(env) if env is not None else None,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
