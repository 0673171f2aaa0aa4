"""The command line: arguments refused before anything changes, and the lock wait read before connecting."""

from __future__ import annotations

import pytest

from tenantguard_db.preview_db import cli
from tenantguard_db.preview_db.status_codes import EXIT_USAGE
from tests.database.preview_db.harness import IN_REPO, REPO, Preview, legacy_pr


@pytest.mark.parametrize("value", ["0", "-3", "+3", "012", "1.0", "12a", " 12", "١٢", "2147483648", ""])
def test_pr_numbers_other_than_plain_positive_integers_are_refused(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["create", *IN_REPO, "--pr", value])
    assert exit_.value.code == EXIT_USAGE
    assert "argument --pr: takes the pull request's number, a positive integer" in capsys.readouterr().err


@pytest.mark.parametrize(("value", "days"), [("14", 14), ("14d", 14), ("1", 1), ("99999d", 99999)])
def test_older_than_takes_whole_days_with_or_without_a_d(value: str, days: int) -> None:
    assert cli.parse_days(value) == days


@pytest.mark.parametrize("value", ["0", "0d", "-1", "14h", "2w", "1.5", "d", "14 d", "014", "100000", ""])
def test_older_than_other_than_whole_days_is_refused(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["prune", "--older-than", value, *IN_REPO])
    assert exit_.value.code == EXIT_USAGE
    assert "--older-than: takes a whole number of days from 1 to 99999, as 14 or 14d" in capsys.readouterr().err


def test_no_url_says_which_variables_are_read(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI_DB_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert cli.main(["list"]) == EXIT_USAGE
    assert "set CI_DB_URL (or DATABASE_URL)" in capsys.readouterr().err


@pytest.mark.parametrize(
    "value",
    ["0", "-1", "+1", "01", "1.0", "1e3", " 1", "١٢", "0x10", str(2**63), "", "1; DROP DATABASE x", "1_5"],
)
def test_repository_ids_other_than_plain_positive_int64s_are_refused_naming_the_argument_and_change_nothing(
    preview: Preview, value: str
) -> None:
    for args in (
        ("create", "--repository-id", value, "--pr", "5"),
        ("drop", "--repository-id", value, "--pr", "5"),
        ("prune", "--older-than", "1", "--repository-id", value),
        ("list", "--repository-id", value),
    ):
        result = preview.run(*args)
        assert result.code == EXIT_USAGE
        assert "argument --repository-id: takes the repository's numeric GitHub id" in result.stderr
    assert preview.databases() == {preview.base}
    assert preview.roles() == set()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("create", "--pr", "5"), "the following arguments are required: --repository-id"),
        (("drop", "--pr", "5"), "one of the arguments --repository-id --legacy is required"),
        (
            ("prune", "--older-than", "1"),
            "one of the arguments --repository-id --legacy --all-repositories is required",
        ),
    ],
    ids=["create", "drop", "prune"],
)
def test_changes_without_a_repository_are_refused_and_change_nothing(
    preview: Preview, args: tuple[str, ...], says: str
) -> None:
    legacy = legacy_pr(preview, 5, days_idle=30)
    result = preview.run(*args)
    assert result.code == EXIT_USAGE
    assert says in result.stderr
    assert preview.databases() == {preview.base, legacy}
    assert preview.roles() == {legacy}


def test_a_lock_wait_without_a_unit_is_refused_as_the_migrations_refuse_it(
    preview: Preview, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PostgreSQL would read a bare 5 as 5 ms; env.py refuses it, so the same variable must not mean 5 ms here.
    monkeypatch.setenv("TENANTGUARD_MIGRATION_LOCK_WAIT", "5")
    result = preview.run("create", *IN_REPO, "--pr", "1")
    assert result.code == EXIT_USAGE
    assert "TENANTGUARD_MIGRATION_LOCK_WAIT='5' has no unit" in result.stderr
    assert preview.databases() == {preview.base}


@pytest.mark.parametrize("args", [("list",), ("prune", "--older-than", "7", *IN_REPO)], ids=["list", "prune"])
def test_a_malformed_lock_wait_does_not_stop_the_commands_that_take_no_lock(
    preview: Preview, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    assert preview.run("create", *IN_REPO, "--pr", "1").code == 0
    preview.backdate(f"{preview.base}_pr_{REPO}_1", days=30)
    monkeypatch.setenv("TENANTGUARD_MIGRATION_LOCK_WAIT", "5")
    result = preview.run(*args)
    assert result.code == 0, result.stderr
    assert f"{preview.base}_pr_{REPO}_1" in result.stdout


@pytest.mark.parametrize("args", [("drop", *IN_REPO, "--pr", "1"), ("template",)], ids=["drop", "template"])
def test_a_malformed_lock_wait_is_refused_by_the_other_commands_that_wait_on_a_lock(
    preview: Preview, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    assert preview.run("create", *IN_REPO, "--pr", "1").code == 0
    before = preview.databases()
    monkeypatch.setenv("TENANTGUARD_MIGRATION_LOCK_WAIT", "5")
    result = preview.run(*args)
    assert result.code == EXIT_USAGE
    assert "TENANTGUARD_MIGRATION_LOCK_WAIT='5' has no unit" in result.stderr
    assert preview.databases() == before


def test_a_malformed_lock_wait_is_refused_before_connecting(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing listens on port 1: a connection attempt would end in exit 1, "cannot connect".
    monkeypatch.setenv("CI_DB_URL", "postgresql://ci@127.0.0.1:1/tenantguard?connect_timeout=2")
    monkeypatch.setenv("TENANTGUARD_MIGRATION_LOCK_WAIT", "5")
    assert cli.main(["create", *IN_REPO, "--pr", "1"]) == EXIT_USAGE
    assert "TENANTGUARD_MIGRATION_LOCK_WAIT='5' has no unit" in capsys.readouterr().err
