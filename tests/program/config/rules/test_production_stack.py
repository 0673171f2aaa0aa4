"""infra/config/rules/production_stack.py: the stack the production-database guard compares with, and the values
acknowledged to name one of production's database servers."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.fakes import secret_part
from tests.program.config.refusals import Bad, assert_refused_clearly, ids
from tools import evaluator


def acknowledged(**reasons: str) -> dict[str, str | None]:
    return {"acknowledgedProductionServers": json.dumps(reasons)}


CASES = [
    Bad(
        "production-stack-not-a-name",
        "staging",
        {"productionStack": "prod stack!"},
        "productionStack",
        "not a stack name",
    ),
    Bad(
        "production-stack-in-production",
        "production",
        {"productionStack": "organization/tenantguard-infra/production"},
        "productionStack",
        "only read by tiers",
    ),
    Bad(
        "acknowledged-key-not-distributed",
        "staging",
        acknowledged(**{"extraSecrets.NOT_SET": "replica"}),
        "acknowledgedProductionServers['extraSecrets.NOT_SET'] is not a secret this stack distributes",
        "expected one of tenantguard-infra:ciDbUrl",
    ),
    Bad(
        "acknowledged-fingerprint-key",
        "staging",
        acknowledged(dbFingerprintKey="never distributed"),
        "acknowledgedProductionServers['dbFingerprintKey'] is not a secret",
        "expected one of",
    ),
    Bad(
        "acknowledged-without-reason",
        "preview",
        acknowledged(**{"tenantguard-infra:extraSecrets.OPENAI_API_KEY": " "}),
        "acknowledgedProductionServers['tenantguard-infra:extraSecrets.OPENAI_API_KEY'] needs a reason",
        "until when",
    ),
    Bad(
        "acknowledged-twice",
        "staging",
        acknowledged(**{"ciDbUrl": "a", "tenantguard-infra:ciDbUrl": "b"}),
        "acknowledgedProductionServers['tenantguard-infra:ciDbUrl'] is acknowledged twice",
        "prefix",
    ),
    Bad(
        "acknowledged-value-pasted-as-key",
        "staging",
        acknowledged(**{f"postgresql://ci:{secret_part('ciDbUrl', 'staging')}@db/x": "oops"}),
        "acknowledgedProductionServers: entry 1 of 1 is not a secret",
        "expected one of",
    ),
    Bad(
        "acknowledged-key-shaped-value-pasted-as-key",
        "staging",
        acknowledged(**{secret_part("dbFingerprintKey", "shared").lower(): "oops"}),
        "acknowledgedProductionServers: entry 1 of 1 is not a secret",
        "expected one of",
    ),
    Bad(
        "acknowledged-in-production",
        "production",
        acknowledged(ciDbUrl="why"),
        "acknowledgedProductionServers is only read by tiers",
        "remove it from production",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_a_bad_production_stack_is_refused_clearly(run_stack: Callable[..., evaluator.Evaluation], case: Bad) -> None:
    assert_refused_clearly(run_stack, case)
