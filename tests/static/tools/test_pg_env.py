"""tools/pg_env.py: the deploy job's administrative login (and the drift check's observer) to the provider's PG*
variables, only when it names the stack's databaseServer."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from tests.fakes import admin_url, generate_in_stack_file, generated_server, secret_part
from tools import evaluator, pg_env


@pytest.fixture
def stacks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for stack in ("preview", "staging", "production"):
        shutil.copy(evaluator.stack_file(stack), tmp_path)
    generate_in_stack_file(tmp_path, "staging")
    monkeypatch.setenv("GITHUB_ENV", str(tmp_path / "github-env"))
    return tmp_path


def run(stacks: Path, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    return pg_env.main(list(args), out=out, directory=stacks), out.getvalue()


def written(stacks: Path) -> str:
    path = stacks / "github-env"
    return path.read_text() if path.exists() else ""


def test_a_login_for_the_stack_s_database_becomes_the_provider_s_variables(
    stacks: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DB_ADMIN_URL", admin_url("staging"))
    code, out = run(stacks, "--stack", "staging", "--url-variable", "DB_ADMIN_URL")
    assert code == 0
    password = secret_part("dbAdminUrl", "staging")
    assert out == f"::add-mask::{password}\n"
    assert written(stacks).splitlines() == [
        "PGHOST=db.staging.internal",
        "PGPORT=5432",
        "PGDATABASE=tenantguard",
        "PGUSER=tg_admin",
        f"PGPASSWORD={password}",
    ]


def test_a_login_for_another_server_stops_the_job_and_writes_nothing(
    stacks: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DB_ADMIN_URL", admin_url("staging", generated_server("production")))
    code, out = run(stacks, "--stack", "staging", "--url-variable", "DB_ADMIN_URL")
    assert (code, out, written(stacks)) == (1, "", "")
    error = capsys.readouterr().err
    assert "names another server or database" in error
    assert secret_part("dbAdminUrl", "staging") not in error


def test_a_generated_stack_without_its_login_stops_the_job(stacks: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DB_ADMIN_URL", raising=False)
    assert run(stacks, "--stack", "staging", "--url-variable", "DB_ADMIN_URL")[0] == 1


def test_a_stack_whose_urls_are_provided_needs_nothing(stacks: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DB_ADMIN_URL", raising=False)
    assert run(stacks, "--stack", "preview", "--url-variable", "DB_ADMIN_URL") == (0, "")
    assert written(stacks) == ""


def test_a_line_break_in_the_password_is_refused(stacks: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_url = "postgresql://tg_admin:fake%0APGHOST%3Devil@db.staging.internal:5432/tenantguard"
    monkeypatch.setenv("DB_ADMIN_URL", fake_url)
    assert run(stacks, "--stack", "staging", "--url-variable", "DB_ADMIN_URL")[0] == 1
    assert written(stacks) == ""


@pytest.mark.parametrize(("stack", "code"), [("staging", 0), ("preview", 1)])
def test_generates_says_which_stacks_generate(stacks: Path, stack: str, code: int) -> None:
    assert run(stacks, "--stack", stack, "--generates")[0] == code
