"""The CI project evaluated under the same mock runtime as the main program (tools/evaluator.py), with fake secrets.

Importable (not a conftest) so the IAM linter in scripts/check exports the same documents the tests read.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ci.config import PROJECT
from tools import evaluator
from tools.github_listings import GitHubListings

CI_DIR = evaluator.ROOT / "ci"
PROGRAM = CI_DIR / "__main__.py"
STACK = "ci"
MAIN_STACKS = ("preview", "production", "staging")
KMS_PROVIDER = "awskms://alias/tenantguard-production?region=eu-west-1"


def fake_pem(name: str) -> str:
    """Shaped like a GitHub App's private key, marked fake in every line (SECRET-SCAN.md)."""
    kind = "RSA PRIVATE " + "KEY"  # split, so the secret scan sees no key header in this file
    return f"-----BEGIN {kind}-----\nFAKE{name.upper()}KEYFORTESTSONLY\n-----END {kind}-----\n"


def stack_file_values(stack: str = STACK) -> dict[str, Any]:
    """The committed ci/Pulumi.ci.yaml's config, without the project prefix."""
    document = evaluator.load_stack_yaml((CI_DIR / f"Pulumi.{stack}.yaml").read_text())
    return {key.split(":", 1)[1]: value for key, value in document["config"].items()}


SECRET_OBJECTS = ("readAppKey", "writeAppKey", "driftAppKey", "passphrases", "vercelTokens")


def config_values(
    stacks: tuple[str, ...] = MAIN_STACKS, kms_stacks: tuple[str, ...] = (), **overrides: Any
) -> dict[str, str]:
    """The stack file's values, the secrets set as docs/tutorial/first-deploy.md sets them (fakes), and any overrides.

    `kms_stacks` have a KMS key as secrets provider, so no passphrase.
    """
    values: dict[str, Any] = {
        **stack_file_values(),
        "readAppKey": fake_pem("read"),
        "writeAppKey": fake_pem("write"),
        "driftAppKey": fake_pem("drift"),
        "passphrases": {name: f"fake-passphrase-of-{name}" for name in (*stacks, STACK) if name not in kms_stacks},
        "vercelTokens": {name: f"fake-vercel-token-of-{name}" for name in stacks},
    }
    values.update(overrides)
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in values.items()}


def evaluate(
    values: Mapping[str, str] | None = None,
    secret: tuple[str, ...] = SECRET_OBJECTS,
    directory: Path | None = None,
    github: GitHubListings | None = None,
) -> evaluator.Evaluation:
    """Run ci/__main__.py under the mocks; `directory` holds other main-project stack files (a copy of the root)."""
    import runpy  # noqa: PLC0415 - only here

    def program() -> None:
        if directory is not None:
            from ci import main_project  # noqa: PLC0415 - patched for this run only

            saved = main_project.ROOT
            main_project.ROOT = directory
            try:
                runpy.run_path(str(PROGRAM), run_name="__main__")
            finally:
                main_project.ROOT = saved
        else:
            runpy.run_path(str(PROGRAM), run_name="__main__")

    return evaluator.run_program(
        program, STACK, values or config_values(), secret, project=PROJECT, github_secrets=github
    )


def main_project_copy(directory: Path, *, kms_production: bool = False) -> Path:
    """The main project's stack files in `directory`; production on a KMS key when asked."""
    for stack in MAIN_STACKS:
        shutil.copy(evaluator.stack_file(stack), directory)
    if kms_production:
        production = evaluator.stack_file("production", directory)
        production.write_text(f"{production.read_text()}secretsprovider: {KMS_PROVIDER}\nencryptedkey: AQICAHhd\n")
    return directory


def configurations(directory: Path) -> dict[str, evaluator.Evaluation]:
    """The project evaluated in each shape it can take, so every kind of document it sends is there to check:
    TenantGuard's (object storage, passphrases, Team, private), production on a KMS key, Pulumi Cloud with that key,
    and a public repository (every stack previewed live, reviewers on production's environments)."""
    copy = main_project_copy(directory, kms_production=True)
    return {
        "committed": evaluate(),
        "kms": evaluate(config_values(kms_stacks=("production",)), directory=copy),
        "cloud": evaluate(
            config_values(kms_stacks=("production",), backend="cloud", pulumiOrganization="tenantguard"),
            directory=copy,
        ),
        "public": evaluate(config_values(repositoryVisibility="public")),
    }
