"""The advisory locks: concurrent runs on one pull request or on the template, and the bounded wait."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import psycopg
import pytest

from tenantguard_db.preview_db.locks import PR_LOCK_NAMESPACE, TEMPLATE_CLONE_LOCK, set_lock_wait
from tenantguard_db.preview_db.status_codes import EXIT_FAILED
from tenantguard_db.revision_files import checkout
from tests.database.preview_db.harness import IN_REPO, REPO, Preview, legacy_pr


def test_concurrent_creates_for_one_pr_make_one_database(preview: Preview, tmp_path: Path) -> None:
    preview.template()
    pr = checkout(tmp_path, "a", ("a004", "0003", "ALTER TABLE tenants ADD COLUMN plan text"))
    runs = [preview.spawn("create", *IN_REPO, "--pr", "9", "--config", str(pr)) for _ in range(3)]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    assert all(out == f"{preview.base}_pr_{REPO}_9\n" for out, _ in outputs)
    assert sum("created from" in err for _, err in outputs) == 1
    assert sum("exists; migrating" in err for _, err in outputs) == 2
    assert sum("Running upgrade 0003 -> a004" in err for _, err in outputs) == 1
    assert preview.databases() == {preview.base, f"{preview.base}_pr_{REPO}_9", f"{preview.base}_pr_template"}
    assert preview.revision(f"{preview.base}_pr_{REPO}_9") == "a004"


def waiting_for(preview: Preview, objid: int) -> bool:
    row = preview.admin.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = %s",
        (objid & 0xFFFF_FFFF,),
    ).fetchone()
    return bool(row and row[0])


def wait_until_waiting(preview: Preview, objid: int, run: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not waiting_for(preview, objid):
        assert run.poll() is None, run.communicate()
        assert time.monotonic() < deadline, "the run never queued on the lock"
        time.sleep(0.05)


def test_a_clone_waits_while_the_template_is_being_swapped(preview: Preview) -> None:
    preview.template()
    with psycopg.connect(preview.url, autocommit=True) as swapping:
        swapping.execute("SELECT pg_advisory_lock(%s::int8)", (TEMPLATE_CLONE_LOCK,))
        run = preview.spawn("create", *IN_REPO, "--pr", "10")
        wait_until_waiting(preview, TEMPLATE_CLONE_LOCK, run)
        swapping.execute("SELECT pg_advisory_unlock(%s::int8)", (TEMPLATE_CLONE_LOCK,))
    _out, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    assert "created from" in err
    assert preview.revision(f"{preview.base}_pr_{REPO}_10") == "0003"


def test_prs_created_while_main_rebuilds_the_template_all_succeed(preview: Preview, tmp_path: Path) -> None:
    preview.template()
    # main moves on with a slow revision, so the rebuild overlaps the creates.
    main = checkout(tmp_path, "main", ("m004", "0003", "SELECT pg_sleep(1)"))
    rebuild = preview.spawn("template", "--config", str(main))
    creates = [preview.spawn("create", *IN_REPO, "--pr", str(number)) for number in (21, 22, 23)]
    results = [run.communicate(timeout=120) for run in [rebuild, *creates]]
    assert [run.returncode for run in [rebuild, *creates]] == [0, 0, 0, 0], results
    assert preview.meta(f"{preview.base}_pr_template").revision == "m004"
    for number in (21, 22, 23):
        assert preview.revision(f"{preview.base}_pr_{REPO}_{number}") == "0003"
    assert f"{preview.base}_pr_template_next" not in preview.databases()


def test_the_lock_wait_bounds_the_wait_for_another_run_on_the_same_pr(preview: Preview) -> None:
    with psycopg.connect(preview.url, autocommit=True) as other:
        preview.hold_pr_lock(other, 11)
        run = preview.spawn("create", *IN_REPO, "--pr", "11", TENANTGUARD_MIGRATION_LOCK_WAIT="300ms")
        _out, err = run.communicate(timeout=120)
    assert run.returncode == EXIT_FAILED
    assert f"gave up waiting for the lock of pull request 11 of repository {REPO} after 300ms" in err
    assert f"{preview.base}_pr_{REPO}_11" not in preview.databases()


@pytest.mark.parametrize(("value", "in_force"), [("", "10min"), ("1d", "1d")], ids=["empty-is-the-default", "days"])
def test_a_lock_wait_the_migrations_accept_is_accepted_and_applied(
    preview: Preview, monkeypatch: pytest.MonkeyPatch, value: str, in_force: str
) -> None:
    monkeypatch.setenv("TENANTGUARD_MIGRATION_LOCK_WAIT", value)
    result = preview.run("create", *IN_REPO, "--pr", "1")
    assert result.code == 0, result.stderr
    with preview.server.maintenance_session() as connection:
        set_lock_wait(connection)
        assert connection.execute("SHOW lock_timeout").fetchone() == (in_force,)


def test_prune_legacy_keeps_one_an_older_version_is_working_on(preview: Preview) -> None:
    legacy = legacy_pr(preview, 5, days_idle=30)
    with psycopg.connect(preview.url, autocommit=True) as busy:
        # The lock the version before repository ids takes for pull request 5.
        busy.execute("SELECT pg_advisory_lock(%s::int4, %s::int4)", (PR_LOCK_NAMESPACE, 5))
        result = preview.run("prune", "--older-than", "7", "--legacy")
    assert result.code == 0, result.stderr
    assert f"{legacy} is being created or migrated right now; kept" in result.stderr
    assert legacy in preview.databases()
