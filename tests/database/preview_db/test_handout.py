"""Where create hands the deployment's URL out, and that no output shows a password."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from tenantguard_db.preview_db.status_codes import EXIT_FAILED, EXIT_USAGE
from tenantguard_db.revision_files import checkout
from tests.database.preview_db.harness import FAKE_PASSWORD, IN_REPO, REPO, Preview, python_checkout


def test_create_without_a_destination_for_the_url_migrates_and_leaves_the_role_without_a_password(
    preview: Preview, tmp_path: Path
) -> None:
    first = preview.create(1)
    pr = checkout(tmp_path, "a", ("a004", "0003", "ALTER TABLE tenants ADD COLUMN plan text"))
    with psycopg.connect(first, autocommit=True) as deployment:
        result = preview.run("create", *IN_REPO, "--pr", "1", "--config", str(pr))  # as README shows it
        with pytest.raises(psycopg.OperationalError):
            deployment.execute("SELECT 1")  # ended before the migration, which ran with a password of its own
    assert result.code == 0, result.stderr
    assert result.stdout == f"{preview.base}_pr_{REPO}_1\n"
    assert preview.revision(f"{preview.base}_pr_{REPO}_1") == "a004"
    assert "no URL handed out (neither --url-to-file PATH nor --github-output)" in result.stderr
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(first).close()


def test_the_url_file_is_private_and_opens_the_new_database_as_the_prs_role(preview: Preview, tmp_path: Path) -> None:
    target = tmp_path / "pr-db-url"
    result = preview.run("create", *IN_REPO, "--pr", "4", "--url-to-file", str(target))
    assert result.code == 0, result.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with psycopg.connect(target.read_text()) as connection:
        assert connection.execute("SELECT current_database(), current_user").fetchone() == (
            f"{preview.base}_pr_{REPO}_4",
            f"{preview.base}_pr_{REPO}_4",
        )
    password = str(conninfo_to_dict(target.read_text())["password"])
    assert len(password) >= 40
    for secret in (FAKE_PASSWORD, password):
        assert secret not in result.stdout + result.stderr


def test_the_url_file_is_never_written_through_a_symlink(preview: Preview, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("untouched")
    (tmp_path / "pr-db-url").symlink_to(elsewhere)
    result = preview.run("create", *IN_REPO, "--pr", "4", "--url-to-file", str(tmp_path / "pr-db-url"))
    assert result.code == EXIT_USAGE
    assert "not a symlink" in result.stderr
    assert elsewhere.read_text() == "untouched"
    assert preview.databases() == {preview.base}


def test_github_output_masks_the_url_and_password_before_writing_them(
    preview: Preview, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "github_output"
    output.write_text("earlier=kept\n")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    result = preview.run("create", *IN_REPO, "--pr", "4", "--github-output")
    assert result.code == 0, result.stderr
    written = output.read_text()
    url = written.rpartition("url=")[2].removesuffix("\n")
    handed = conninfo_to_dict(url)
    assert (handed["user"], handed["dbname"]) == (f"{preview.base}_pr_{REPO}_4", f"{preview.base}_pr_{REPO}_4")
    password = str(handed["password"])
    lines = result.stderr.splitlines()
    masks = [line.removeprefix("::add-mask::") for line in lines if line.startswith("::add-mask::")]
    # The deployment's URL and password: values this run makes (CI_DB_URL is the runner's to mask, as a secret).
    escaped = [value.replace("%", "%25") for value in (url, password)]
    assert masks == escaped
    assert all(line.startswith("::add-mask::") for line in lines[: len(masks)])  # before anything else
    assert written == f"earlier=kept\ndatabase={preview.base}_pr_{REPO}_4\nurl={url}\n"
    assert result.stdout == f"{preview.base}_pr_{REPO}_4\n"
    unmasked = "\n".join(line for line in lines if not line.startswith("::add-mask::"))
    assert FAKE_PASSWORD not in unmasked
    assert password not in unmasked


def test_github_output_outside_github_actions_is_refused_before_anything_is_created(preview: Preview) -> None:
    result = preview.run("create", *IN_REPO, "--pr", "4", "--github-output")
    assert result.code == EXIT_USAGE
    assert "--github-output needs GITHUB_OUTPUT" in result.stderr
    assert preview.databases() == {preview.base}


def test_no_output_shows_the_password(preview: Preview, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = checkout(tmp_path, "a", ("a004", "0003", "SELECT 1 / 0"))
    handed = tmp_path / "pr-1-url"
    texts = []
    for args in (
        ("template",),
        ("create", *IN_REPO, "--pr", "1", "--url-to-file", str(handed)),
        ("create", *IN_REPO, "--pr", "2", "--config", str(broken)),
        ("list",),
        ("list", "--json"),
        ("prune", "--older-than", "1", *IN_REPO),
        ("drop", *IN_REPO, "--pr", "1"),
    ):
        result = preview.run(*args)
        texts.append(result.stdout + result.stderr)
    wrong = "Wr0ngPassw0rdZ"
    monkeypatch.setenv("CI_DB_URL", preview.url.replace(quote(FAKE_PASSWORD, safe=""), wrong))
    result = preview.run("create", *IN_REPO, "--pr", "1")
    assert result.code == EXIT_FAILED
    assert "password authentication failed" in result.stderr
    texts.append(result.stdout + result.stderr)
    role_password = str(conninfo_to_dict(handed.read_text())["password"])
    for text in texts:
        assert FAKE_PASSWORD not in text
        assert quote(FAKE_PASSWORD, safe="") not in text
        assert wrong not in text
        assert role_password not in text


def test_github_output_never_prints_ci_db_urls_password(
    preview: Preview, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Outside a real Actions runner an ::add-mask:: line is just a line: it must not carry the manager's password.
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "github_output"))
    result = preview.run("create", *IN_REPO, "--pr", "4", "--github-output")
    assert result.code == 0, result.stderr
    for spelling in (FAKE_PASSWORD, quote(FAKE_PASSWORD, safe=""), quote(FAKE_PASSWORD, safe="").replace("%", "%25")):
        assert spelling not in result.stderr
        assert spelling not in result.stdout


def test_the_url_file_is_never_written_through_a_symlinked_directory(preview: Preview, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "linked").symlink_to(elsewhere, target_is_directory=True)
    result = preview.run("create", *IN_REPO, "--pr", "4", "--url-to-file", str(tmp_path / "linked" / "url"))
    assert result.code == EXIT_USAGE
    assert "not a symlink" in result.stderr
    assert list(elsewhere.iterdir()) == []
    assert preview.databases() == {preview.base}


def test_the_url_file_replaces_a_hard_link_instead_of_writing_through_it(preview: Preview, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.write_text("untouched")
    shared.chmod(0o644)
    target = tmp_path / "url"
    os.link(shared, target)
    result = preview.run("create", *IN_REPO, "--pr", "4", "--url-to-file", str(target))
    assert result.code == 0, result.stderr
    assert shared.read_text() == "untouched"
    assert conninfo_to_dict(target.read_text())["user"] == f"{preview.base}_pr_{REPO}_4"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.stat().st_nlink == 1


def test_a_directory_swapped_for_a_symlink_during_the_run_is_not_followed(preview: Preview, tmp_path: Path) -> None:
    out, moved, elsewhere = tmp_path / "out", tmp_path / "out-moved", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    # Between the command's check of the path and its write, something on the runner swaps the directory.
    swap = f"import os\nos.rename({str(out)!r}, {str(moved)!r})\nos.symlink({str(elsewhere)!r}, {str(out)!r})\n"
    pr = python_checkout(tmp_path, "a", ("a004", "0003", swap))
    result = preview.run("create", *IN_REPO, "--pr", "4", "--config", str(pr), "--url-to-file", str(out / "url"))
    assert result.code == 0, result.stderr
    assert list(elsewhere.iterdir()) == []
    assert conninfo_to_dict((moved / "url").read_text())["user"] == f"{preview.base}_pr_{REPO}_4"


def test_nothing_a_prs_role_or_a_revision_writes_becomes_a_workflow_command(
    preview: Preview, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    deployment = preview.create(1)
    forged = "::set-output name=url::postgresql://evil@example.invalid/x"
    with psycopg.connect(deployment, autocommit=True) as app:
        # What its next create reads back, and says it is at (the column holds 32 characters).
        app.execute("UPDATE alembic_version SET version_num = %s", ("0\n::set-output name=url::x",))
    printing = f"print({forged!r})\nprint('##[set-output name=url;]postgresql://evil')\nprint('  ::stop-commands::x')"
    pr = python_checkout(tmp_path, "a", ("a004", "0003", printing))
    result = preview.run("create", *IN_REPO, "--pr", "1", "--config", str(pr), "--github-output")
    assert result.code == 0, result.stderr
    commands = [line for line in result.stderr.splitlines() if line.lstrip().startswith("::")]
    assert all(line.startswith("::add-mask::") for line in commands)
    assert "##[" not in result.stderr
    written = output.read_text().splitlines()
    assert [line.partition("=")[0] for line in written] == ["database", "url"]
    assert conninfo_to_dict(written[1].removeprefix("url="))["user"] == f"{preview.base}_pr_{REPO}_1"
