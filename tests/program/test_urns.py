"""Deployed stacks keep their resources: every URN the stacks had keeps existing (renames need aliases).

known_urns.json was taken from the program before the package split; a URN that disappears from it
means Pulumi would delete and recreate that resource (a production secret among them). Adding
resources is fine; removing one on purpose means removing its line here in the same change.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import STACKS
from tools import evaluator

KNOWN = json.loads((Path(__file__).parent / "known_urns.json").read_text())


@pytest.mark.parametrize("stack", STACKS)
def test_every_known_urn_still_exists(evaluated: dict[str, evaluator.Evaluation], stack: str) -> None:
    missing = sorted(set(KNOWN[stack]) - set(evaluated[stack].resources))
    assert missing == []


def test_the_migration_provider_keeps_its_class_path() -> None:
    # dill records this path in each stack's state: refresh and destroy import it by name.
    from infra.migration import AlembicProvider  # noqa: PLC0415 - the import is what is tested

    assert f"{AlembicProvider.__module__}.{AlembicProvider.__qualname__}" == "infra.migration.AlembicProvider"
