"""The CI project under Pulumi's mocks: evaluated once per worker in each shape the tests read."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.program.ci import harness
from tools import evaluator


@pytest.fixture(scope="session")
def configurations(tmp_path_factory: pytest.TempPathFactory) -> dict[str, evaluator.Evaluation]:
    return harness.configurations(tmp_path_factory.mktemp("main-project"))


@pytest.fixture(scope="session")
def committed(configurations: dict[str, evaluator.Evaluation]) -> evaluator.Evaluation:
    return configurations["committed"]


@pytest.fixture
def kms_directory(tmp_path: Path) -> Path:
    return harness.main_project_copy(tmp_path, kms_production=True)
