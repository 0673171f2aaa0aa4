"""The two lists of names the pack takes from the stack's own config: legacy credential names and extra secrets.

Why the stack config, and not a policy-pack config file or a generated table: the Pulumi CLI already
hands a policy pack the stack's config, decrypted, Pulumi.yaml's defaults merged in, just as it hands
it to the program. The engine puts the stack's config into the analyzer's options
(`PolicyAnalyzerOptions.Config`, pulumi/pulumi pkg/engine), `constructEnv` passes it to the pack's
process as `PULUMI_CONFIG` ("Config is passed as an environment variable (including unecrypted
secrets), similar to how config is passed to each language runtime plugin",
sdk/go/common/resource/plugin/analyzer_plugin.go; since pulumi/pulumi#3612, "PaC: Support
Config/getProject/getStack/isDryRun"; pulumi/pulumi#20570 tests it), and pulumi-policy loads it into
Pulumi's runtime config before each analysis (`_configure_runtime_settings`, pulumi_policy/policy.py
1.21; its test tests/integration/runtime_data/policy-pack-python calls `Config().require(...)`).
Defaults are merged into the stack's config map before any of that (`mergeConfig`,
sdk/go/common/workspace). So the pack reads `legacySecretNames` as the program does, per-stack
overrides included: one source, nothing to regenerate, and nothing for a workflow, pulumi/actions or
`pulumi preview --policy-pack policy` to pass.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi_policy import ReportViolation, StackValidationArgs

from infra.tables.routes import EXTRA_SECRETS_KEY
from infra.tables.type_tokens import full_key

LEGACY_KEY = "legacySecretNames"
"""The program's key (infra/guard/shadow_secrets.py LEGACY_KEY; a test keeps the two equal)."""


@dataclass(frozen=True)
class StackNames:
    legacy: tuple[str, ...]
    extras: tuple[str, ...]
    problem: str | None
    """Why the legacy names could not be read (then `legacy` is empty), or None."""


def _read(key: str) -> Any:
    # The runtime's raw value: pulumi.Config().get() would log a warning for a secret key such as extraSecrets.
    raw = pulumi.runtime.get_config(full_key(key))
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return raw


def stack_names() -> StackNames:
    """The legacy names and the extra secrets' names of the stack being analysed (never a secret's value)."""
    extras_map = _read(EXTRA_SECRETS_KEY)
    extras = tuple(str(name) for name in extras_map) if isinstance(extras_map, dict) else ()
    legacy = _read(LEGACY_KEY)
    if legacy is None:
        problem = (
            f"the pack did not receive {full_key(LEGACY_KEY)} from the stack's config, so it cannot refuse "
            "legacy credential names; run it through the Pulumi CLI (`pulumi preview --policy-pack policy`), "
            "which passes the stack's config to policy packs"
        )
        return StackNames((), extras, problem)
    if not isinstance(legacy, list) or not all(isinstance(name, str) for name in legacy):
        return StackNames((), extras, f"{full_key(LEGACY_KEY)} must be a list of secret names")
    return StackNames(tuple(legacy), extras, None)


def legacy_names_received(_args: StackValidationArgs, report: ReportViolation) -> None:
    """Without the legacy names the pack would let every legacy copy through: fail, and say why."""
    if (problem := stack_names().problem) is not None:
        report(problem, None)
