"""tools/plan/cli.py: --require-secrets fails with the commands still to run, never a value."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.program.tools.plan.harness import edit
from tools.plan.cli import main as plan_main

pytestmark = pytest.mark.slow  # each test runs the whole plan: every stack's program, 0.1-1 s


def test_require_secrets_fails_with_the_commands_still_to_run(
    stack_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(stack_dir, "staging", ciDbUrl={"secure": "v1:AAAAci"})
    assert plan_main(["--dir", str(stack_dir), "--stack", "staging", "--require-secrets"]) == 1
    err = capsys.readouterr().err
    assert "  pulumi config set --secret --stack staging databaseUrl\n" in err
    assert "each asks for its value" in err
    assert "ciDbUrl" not in err
    # The key every stack shares is read from its file: one typed anew would fail the guard's check.
    assert (
        "  pulumi config set --secret --stack staging dbFingerprintKey < ~/.config/tenantguard/db-fingerprint.key\n"
        in err
    )
