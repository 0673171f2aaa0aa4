"""What a fresh process imports: the program no Alembic or SQLAlchemy, the evaluator only the program's Pulumi names."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tools.evaluator import ROOT

pytestmark = pytest.mark.slow  # each test starts a fresh interpreter, 0.2-0.6 s

HEAVY = ("alembic", "sqlalchemy", "pytest", "mako")


def imported_after(code: str) -> set[str]:
    """The top-level packages a fresh interpreter has imported after running `code`."""
    script = f"import sys, json\n{code}\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    return set(json.loads(result.stdout.splitlines()[-1]))


def test_a_whole_evaluation_of_the_program_imports_no_alembic_or_sqlalchemy() -> None:
    imported = imported_after(
        "from tools import evaluator\nfrom tests.fakes import stack_values\n"
        "evaluator.evaluate('production', *stack_values('production'))"
    )
    assert "infra" in imported
    assert imported.isdisjoint(HEAVY)


def test_the_evaluator_imports_no_provider_sdk_and_nothing_heavy() -> None:
    imported = imported_after("from tools import evaluator")
    assert "pulumi" in imported
    assert imported.isdisjoint({*HEAVY, "psycopg", "pulumi_github", "pulumiverse_vercel", "pulumi_random"})


def test_the_evaluator_imports_of_the_program_only_its_type_tokens() -> None:
    script = "import sys\nfrom tools import evaluator\nprint(sorted(m for m in sys.modules if m.startswith('infra')))"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "['infra', 'infra.tables', 'infra.tables.type_tokens']"
