"""The offline plan's stand-ins for the secrets a stack file must not hold: valid in every tier, never a real value.

Built from the secret-key table (infra/tables/secret_keys.py), so a new secret key gets its placeholder without
anyone writing one. The tests' fakes (tests/fakes.py) are built from the same rows, around distinctive values.
"""

from __future__ import annotations

import json

from infra.tables.routes import EXTRA_SECRETS_KEY
from infra.tables.secret_keys import SECRET_KEYS
from infra.tables.tiers import PROFILES

PLACEHOLDER = "plan-placeholder-secret"
"""The offline plan's stand-in secret part: long enough for every kind of secret value."""


def placeholder_secrets(stack: str, extra_names: list[str]) -> dict[str, str]:
    """Stand-ins the offline plan gives the program for the secrets a stack file must not hold.

    They satisfy every tier (TLS included: each is built as production's would be), and their hosts differ per
    stack so the production-database guard passes; the extra secrets keep the names the stack file lists.
    """
    profile = PROFILES["production"]
    domain = f"{stack}.plan.invalid"
    values = {secret_key.key: secret_key.sample(PLACEHOLDER, domain, profile) for secret_key in SECRET_KEYS}
    values[EXTRA_SECRETS_KEY] = json.dumps(dict.fromkeys(extra_names, PLACEHOLDER))
    return values
