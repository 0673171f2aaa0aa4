"""No first-party module grows past 500 lines without saying why at its top.

A module that long usually holds several rooms (STYLE: cut it into a package along its seams); one that must stay
whole says so in its docstring, in a sentence starting "Over 500 lines".
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.static.first_party import ROOT, SCANNED, python_files

LIMIT = 500
REASON = "Over 500 lines"


def first_party_modules() -> list[Path]:
    modules = [ROOT / "__main__.py"]
    for top in (*SCANNED, "tests", "alembic"):
        modules += python_files(ROOT / top)
    return modules


def test_every_module_over_500_lines_says_why_in_its_docstring() -> None:
    unexplained = []
    for path in first_party_modules():
        text = path.read_text()
        if len(text.splitlines()) > LIMIT and REASON not in (ast.get_docstring(ast.parse(text)) or ""):
            unexplained.append(f"{path.relative_to(ROOT)}: {len(text.splitlines())} lines")
    assert unexplained == []


def test_the_modules_are_found() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in first_party_modules()}
    assert {"infra/stack.py", "tools/evaluator.py", "bench/run.py", "tests/conftest.py"} <= names
