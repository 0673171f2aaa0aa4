"""Bad configurations as data, and the one assertion every refusal meets: a message naming the key, no secret in
it, nothing registered. Each rules module's tests list their own cases."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from tests.fakes import secret_part as P  # noqa: N812 - short, since the cases read as data
from tests.helpers import assert_no_secret
from tools import evaluator


@dataclass(frozen=True)
class Bad:
    id: str
    stack: str
    overrides: dict[str, str | None]
    key: str
    says: str
    plaintext: tuple[str, ...] = field(default=())
    """Keys stored unencrypted although they are secrets."""
    encrypted: tuple[str, ...] = field(default=())
    """Keys stored encrypted although they are not secrets."""


def extras(mapping: dict[str, str]) -> str:
    return json.dumps(mapping)


PROD_DB = f"postgresql://ci:{P('ciDbUrl', 'production')}@db.production.internal:5432/tenantguard"
FAKE_CI = P("ciDbUrl", "preview")
"""The preview stack's CI database password: whatever is refused, it must not be quoted."""
FAKE_STAGING_CI = P("ciDbUrl", "staging")


def ids(cases: list[Bad]) -> list[str]:
    return [case.id for case in cases]


def assert_refused_clearly(run_stack: Callable[..., evaluator.Evaluation], case: Bad) -> None:
    """The whole program refuses the case before registering anything, naming the key and quoting no secret."""
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack(case.stack, case.overrides, plaintext=case.plaintext, encrypted=case.encrypted)
    message = str(failure.value)
    assert f"tenantguard-infra:{case.key}" in message
    assert case.says in message
    assert_no_secret(case.stack, [message])
    assert failure.value.resources == {}
