"""A stack whose passphrase is lost, brought back under a new one (docs/how-to/lost-passphrase.md).

    python -m tools.lost_passphrase stack-file --stack staging
    python -m tools.lost_passphrase state --stack staging --input staging.lost.json --output staging.recovered.json

`stack-file` removes the lost key's salt and every value it encrypted from Pulumi.<stack>.yaml and prints the
`pulumi config set --secret` lines that set them again, in order; the first of them makes the new salt. `state`
rewrites an exported deployment (`pulumi stack export`): every value the lost key encrypted becomes a placeholder
stored as plaintext, which `pulumi stack import` encrypts with the new key, and it prints the import and the one
`pulumi up` that re-issues what the program generated (every `random:` resource, replaced). Nothing here decrypts.

How Pulumi reads what is written here (pulumi/pulumi at 1b5949891b3c):
- a secret in a deployment is `{<signature key>: <secret signature>, "ciphertext": ...}` or, with `plaintext`
  (a JSON text) instead, a value no key is needed for (pkg/resource/stack/deployment.go, DeserializePropertyValue,
  deserializeSecret, secretPropertyValueFromPlaintext);
- `stack import` builds the secrets manager from the deployment's `secrets_providers` (deployment.go,
  initializeSecretsManager) and writes the state encrypted with it (pkg/cmd/pulumi/stack/io.go SaveSnapshot, then
  SerializeDeploymentWithMetadata): `{"type": "passphrase", "state": {"salt": <the stack file's encryptionsalt>}}`
  with the new passphrase in PULUMI_CONFIG_PASSPHRASE_FILE (pkg/secrets/passphrase/manager.go, Type, the
  `salt` state, NewPromptingPassphraseSecretsManagerFromState);
- a stack file without `encryptionsalt` gets a new one from the passphrase in the environment at the first
  `pulumi config set --secret` (manager.go NewPromptingPassphraseSecretsManager, promptForNewPassphrase).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pulumi.runtime import rpc

from infra.tables.routes import EXTRA_SECRETS_KEY
from infra.tables.secret_keys import BY_KEY, SECRET_KEYS, set_secret_command
from infra.tables.type_tokens import PROJECT
from tools import evaluator

# The signature Pulumi marks a secret with in a deployment, from its Python SDK (private there:
# pulumi/runtime/rpc.py; in Go sdk/go/common/resource/sig/sig.go, `Key` and `Secret`).
SECRET_SIG_KEY: str = rpc._special_sig_key
SECRET_SIG: str = rpc._special_secret_sig
PLACEHOLDER = "[lost with the passphrase: re-issued by the recovery update]"
"""What a lost secret reads as until the recovery update writes the new value over it."""
GENERATED_PREFIX = "random:"
"""pulumi-random's resource types: what the program generated, which only a replacement renews."""
RUNBOOK = "docs/how-to/lost-passphrase.md#steps"
_SALT = re.compile(r"^encryptionsalt:.*\n", re.MULTILINE)
_SECURE = re.compile(r"^(?P<indent> *)secure: \S+\n", re.MULTILINE)


class RecoveryError(ValueError):
    """Refused; nothing was written."""


def _secure_keys(config: dict[str, Any]) -> list[str]:
    """The config keys (`extraSecrets.NAME` for extras) holding an encrypted value, in the table's order."""
    short = {key.removeprefix(f"{PROJECT}:"): value for key, value in config.items()}
    found = [row.key for row in SECRET_KEYS if isinstance(short.get(row.key), dict) and "secure" in short[row.key]]
    extras = short.get(EXTRA_SECRETS_KEY)
    if isinstance(extras, dict):
        found += [
            f"{EXTRA_SECRETS_KEY}.{name}"
            for name, value in sorted(extras.items())
            if isinstance(value, dict) and "secure" in value
        ]
    return found


def set_lines(stack: str, keys: Sequence[str]) -> list[str]:
    """The commands that set `keys` again, each asking for its value or reading the file it is kept in."""
    lines = []
    for key in keys:
        row = BY_KEY.get(key)
        source = row.kind.read_from if row else None
        command = set_secret_command(key, stack)
        lines.append(f"{command} < {source}" if source else command)
    return lines


def reset_stack_file(stack: str, directory: Path = evaluator.ROOT) -> list[str]:
    """Remove the salt and every encrypted value from the stack file; return the lines that set them again."""
    path = evaluator.stack_file(stack, directory)
    if not path.exists():
        raise RecoveryError(f"no {path.name}; known stacks: {', '.join(evaluator.known_stacks(directory))}")
    text = path.read_text()
    before = evaluator.load_stack_yaml(text) or {}
    if "secretsprovider" in before or "encryptedkey" in before:
        raise RecoveryError(f"{path.name} uses a KMS key, not a passphrase: this procedure is for passphrase stacks")
    keys = _secure_keys(before.get("config") or {})
    if "encryptionsalt" not in before and not keys:
        raise RecoveryError(f"{path.name} holds no salt and no encrypted value: nothing to reset")
    rewritten = _without_secure_values(_SALT.sub("", text))
    after = evaluator.load_stack_yaml(rewritten) or {}
    expected = _plain_config(before.get("config") or {})
    # Pulumi writes stack files in one shape (a `secure:` line under its key); anything else is refused, not guessed.
    if "encryptionsalt" in after or _secure_keys(after.get("config") or {}) or (after.get("config") or {}) != expected:
        raise RecoveryError(f"{path.name} is not laid out as Pulumi writes it; remove the secure values by hand")
    path.write_text(rewritten)
    return set_lines(stack, keys)


def _plain_config(config: dict[str, Any]) -> dict[str, Any]:
    plain: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, dict) and "secure" in value:
            continue
        if key == f"{PROJECT}:{EXTRA_SECRETS_KEY}" and isinstance(value, dict):
            kept = {name: item for name, item in value.items() if not (isinstance(item, dict) and "secure" in item)}
            if kept:
                plain[key] = kept
            continue
        plain[key] = value
    return plain


def _without_secure_values(text: str) -> str:
    """Each `secure:` line with the key line above it, then any map left empty (extraSecrets) with its own key."""
    lines = text.splitlines(keepends=True)
    keep = [True] * len(lines)
    for index, line in enumerate(lines):
        if _SECURE.fullmatch(line) and index > 0:
            keep[index] = keep[index - 1] = False
    for index in range(len(lines) - 1, -1, -1):
        if keep[index] and lines[index].rstrip().endswith(":") and not lines[index].lstrip().startswith("#"):
            block = range(index + 1, _block_end(lines, index))
            if block and not any(keep[i] for i in block):
                keep[index] = False
    return "".join(line for line, kept in zip(lines, keep, strict=True) if kept)


def _block_end(lines: list[str], start: int) -> int:
    """Where the entries nested under the key at `start` end."""
    return next((i for i in range(start + 1, len(lines)) if _indent(lines[i]) <= _indent(lines[start])), len(lines))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" ")) if line.strip() else 1_000


def new_salt(stack: str, directory: Path = evaluator.ROOT) -> str:
    """The stack file's salt, made by the first `pulumi config set --secret` after the reset."""
    path = evaluator.stack_file(stack, directory)
    salt = (evaluator.load_stack_yaml(path.read_text()) or {}).get("encryptionsalt")
    if not isinstance(salt, str) or not salt:
        raise RecoveryError(
            f"{path.name} has no encryptionsalt yet: run the `pulumi config set --secret` lines that "
            f"`python -m tools.lost_passphrase stack-file --stack {stack}` printed first ({RUNBOOK})"
        )
    return salt


def rewrite_state(stack: str, exported: dict[str, Any], salt: str) -> tuple[dict[str, Any], list[str], int]:
    """The deployment with every ciphertext a placeholder and the new salt; the generated resources to replace;
    how many values were lost."""
    deployment = exported.get("deployment")
    if not isinstance(deployment, dict) or "resources" not in deployment:
        raise RecoveryError("not the output of `pulumi stack export` (no deployment.resources)")
    old = (deployment.get("secrets_providers") or {}).get("state") or {}
    if old.get("salt") == salt:
        raise RecoveryError(
            "the state is already encrypted with the stack file's salt: reset the stack file first "
            f"(`python -m tools.lost_passphrase stack-file --stack {stack}`, {RUNBOOK})"
        )
    resources = deployment.get("resources") or []
    others = sorted({str(r.get("urn", "")).split("::")[0] for r in resources} - {f"urn:pulumi:{stack}"})
    if others:
        raise RecoveryError(f"the export holds resources of another stack ({', '.join(others)}), not {stack}'s")
    counted = [0]
    rewritten = {
        **exported,
        "deployment": {
            **{key: _placeholders(value, counted) for key, value in deployment.items()},
            "secrets_providers": {"type": "passphrase", "state": {"salt": salt}},
        },
    }
    replace = [
        str(r["urn"])
        for r in resources
        if str(r.get("type", "")).startswith(GENERATED_PREFIX) and r.get("custom", True) and not r.get("delete")
    ]
    return rewritten, replace, counted[0]


def _placeholders(value: Any, counted: list[int]) -> Any:
    if isinstance(value, dict):
        if value.get(SECRET_SIG_KEY) == SECRET_SIG and "ciphertext" in value:
            counted[0] += 1
            return {SECRET_SIG_KEY: SECRET_SIG, "plaintext": json.dumps(PLACEHOLDER)}
        return {key: _placeholders(item, counted) for key, item in value.items()}
    if isinstance(value, list):
        return [_placeholders(item, counted) for item in value]
    return value


def recovery_commands(stack: str, output: Path, replace: Sequence[str]) -> list[str]:
    """The import of the rewritten state, then the update that writes every value again and renews the generated."""
    replaced = "".join(f" --replace '{urn}'" for urn in replace)
    # The providers' tokens as a deploy has them: GitHub's from the operator, Vercel's from the CI project.
    ci_token = (
        "PULUMI_CONFIG_PASSPHRASE_FILE=~/.config/tenantguard/ci.passphrase "
        f"pulumi -C ci config get --stack ci --path vercelTokens.{stack}"
    )
    tokens = f'GITHUB_TOKEN="$(gh auth token)" VERCEL_API_TOKEN="$({ci_token})"'
    return [
        f"pulumi stack import --stack {stack} --file {output}",
        f"{tokens} pulumi up --stack {stack} --policy-pack policy{replaced}",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.lost_passphrase", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    reset = commands.add_parser("stack-file", help="remove the lost key's salt and values; print what sets them again")
    reset.add_argument("--stack", required=True)
    reset.add_argument("--dir", type=Path, default=evaluator.ROOT, help="where the Pulumi.<stack>.yaml files are")
    state = commands.add_parser("state", help="rewrite an exported deployment for the new key")
    state.add_argument("--stack", required=True)
    state.add_argument("--input", type=Path, required=True, help="what `pulumi stack export --file` wrote")
    state.add_argument("--output", type=Path, required=True, help="the deployment to `pulumi stack import`")
    state.add_argument("--dir", type=Path, default=evaluator.ROOT, help="where the Pulumi.<stack>.yaml files are")
    args = parser.parse_args(argv)
    try:
        if args.command == "stack-file":
            lines = reset_stack_file(args.stack, args.dir)
            print(f"Pulumi.{args.stack}.yaml: salt and encrypted values removed. Set them again, in this order:")
        else:
            exported = json.loads(args.input.read_text())
            rewritten, replace, lost = rewrite_state(args.stack, exported, new_salt(args.stack, args.dir))
            if args.output.exists():
                raise RecoveryError(f"{args.output} exists; refusing to overwrite it")
            args.output.write_text(json.dumps(rewritten, indent=4) + "\n")
            lines = recovery_commands(args.stack, args.output, replace)
            print(f"wrote {args.output}: {lost} values lost with the passphrase, {len(replace)} generated. Then:")
    except (RecoveryError, OSError, json.JSONDecodeError) as refused:
        print(f"lost_passphrase: {refused}", file=sys.stderr)
        return 2
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
