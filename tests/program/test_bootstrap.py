"""Bootstrapping a staging copy: a valid new stack file that shares nothing with production."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import bootstrap, evaluator, plan


def test_bootstrap_writes_a_valid_copy_that_shares_nothing_with_production(
    stack_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bootstrap.main(["staging-eu", "--from", "staging", "--dir", str(stack_dir)]) == 0
    printed = capsys.readouterr().out
    assert "pulumi stack init staging-eu" in printed
    assert "pulumi config set --secret --stack staging-eu ciDbUrl" in printed
    written = evaluator.stack_file("staging-eu", stack_dir).read_text()
    assert "secure" not in written
    plans = {p.stack: p for p in plan.plan_all(["production", "staging-eu"], stack_dir)}
    copy, production = plans["staging-eu"], plans["production"]
    assert copy.ok, copy.errors
    assert copy.environment == "staging-eu"
    assert copy.branches == ["staging-eu"]
    assert set(copy.branches).isdisjoint(production.branches)
    assert copy.environment != production.environment
    assert all(where == "preview@staging-eu" for where in copy.vercel.values())
    assert not {where.split("@")[0] for where in copy.vercel.values()} & {"production"}


@pytest.mark.parametrize(
    ("new", "source", "says"),
    [
        ("prod-copy", "production", "copying from production is refused"),
        ("staging", "preview", "already exists"),
        ("Staging_EU", "staging", "is not accepted"),
        ("qa", "nowhere", "no stack file Pulumi.nowhere.yaml"),
    ],
)
def test_bootstrap_refuses_and_writes_nothing(stack_dir: Path, new: str, source: str, says: str) -> None:
    before = sorted(path.name for path in stack_dir.iterdir())
    with pytest.raises(bootstrap.BootstrapError, match=says):
        bootstrap.bootstrap(new, source, stack_dir)
    assert sorted(path.name for path in stack_dir.iterdir()) == before
