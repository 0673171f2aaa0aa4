"""The head read from the revision files' source (tenantguard_db.revisions) is the head Alembic itself finds."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from tenantguard_db import migrate, revisions


def revision_file(revision: str, down: object, **extra: object) -> str:
    lines = [f'"""{revision}: a revision for one test\n\nRevision ID: {revision}\n"""', "from alembic import op"]
    lines += [f"revision: str = {revision!r}", f"down_revision = {down!r}"]
    lines += [f"{name} = {value!r}" for name, value in extra.items()]
    lines += ["", "def upgrade() -> None:", "    op.execute('SELECT 1')", ""]
    return "\n".join(lines)


def script_directory(tmp_path: Path, files: dict[str, str]) -> Path:
    """A script directory whose versions/ holds `files`; returns versions/."""
    versions = tmp_path / "scripts" / "versions"
    versions.mkdir(parents=True)
    for name, text in files.items():
        (versions / name).parent.mkdir(parents=True, exist_ok=True)
        (versions / name).write_text(text)
    return versions


def alembic_script(versions: Path) -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(versions.parent))
    return ScriptDirectory.from_config(config)


HISTORIES = {
    "linear": {
        "0001_a.py": revision_file("a1", None),
        "0002_b.py": revision_file("b2", "a1"),
        "0003_c.py": revision_file("c3", "b2"),
    },
    "a branch merged again": {
        "0001_a.py": revision_file("a1", None),
        "0002_b.py": revision_file("b2", "a1"),
        "0002_c.py": revision_file("c2", "a1"),
        "0003_merge.py": revision_file("m3", ("b2", "c2")),
    },
    "a merge written as a list": {
        "0001_a.py": revision_file("a1", None),
        "0002_b.py": revision_file("b2", "a1"),
        "0002_c.py": revision_file("c2", "a1"),
        "0003_merge.py": revision_file("m3", ["c2", "b2"]),
    },
    "two heads": {
        "0001_a.py": revision_file("a1", None),
        "0002_b.py": revision_file("b2", "a1"),
        "0002_c.py": revision_file("c2", "a1"),
    },
    "a labelled branch with its own base": {
        "0001_a.py": revision_file("a1", None),
        "0002_b.py": revision_file("b2", "a1"),
        "0100_x.py": revision_file("x1", None, branch_labels=("other",)),
        "0101_y.py": revision_file("y2", "x1"),
    },
    "depends_on does not make a revision a non-head": {
        "0001_a.py": revision_file("a1", None),
        "0002_b.py": revision_file("b2", "a1"),
        "0100_x.py": revision_file("x1", None, branch_labels=("other",), depends_on="b2"),
    },
    "files Alembic does not read as revisions": {
        "0001_a.py": revision_file("a1", None),
        "0002_b.py": revision_file("b2", "a1"),
        "__init__.py": "",
        ".#0003_c.py": revision_file("c3", "b2"),
        "notes.txt": revision_file("n3", "b2"),
        "nested/0003_d.py": revision_file("d3", "b2"),
    },
}


@pytest.mark.parametrize("history", HISTORIES)
def test_the_heads_are_the_heads_alembic_finds(tmp_path: Path, history: str) -> None:
    versions = script_directory(tmp_path, HISTORIES[history])
    assert list(revisions.heads(versions)) == alembic_script(versions).get_heads()


@pytest.mark.parametrize(
    "history",
    ["linear", "a branch merged again", "a merge written as a list", "files Alembic does not read as revisions"],
)
def test_the_head_is_alembics_current_head(tmp_path: Path, history: str) -> None:
    versions = script_directory(tmp_path, HISTORIES[history])
    assert revisions.head_revision(versions) == alembic_script(versions).get_current_head()


def test_two_heads_are_refused_by_both_naming_the_heads(tmp_path: Path) -> None:
    versions = script_directory(tmp_path, HISTORIES["two heads"])
    with pytest.raises(CommandError, match="multiple heads"):
        alembic_script(versions).get_current_head()
    with pytest.raises(revisions.RevisionError, match=r"2 heads \(b2, c2\).*alembic merge heads"):
        revisions.head_revision(versions)


def test_the_repository_head_is_alembics_and_read_where_alembic_reads(tmp_path: Path) -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert [Path(location) for location in script._version_locations] == [revisions.VERSIONS]
    assert list(revisions.heads()) == script.get_heads()
    assert revisions.head_revision() == migrate.head_revision() == script.get_current_head()


def test_reading_the_head_imports_no_database_library() -> None:
    import subprocess  # noqa: PLC0415 - only this test starts a process

    code = (
        "import sys; from tenantguard_db.revisions import head_revision; head_revision(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'sqlalchemy', 'psycopg')))"
    )
    root = Path(revisions.__file__).resolve().parent.parent
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        ("import uuid\nrevision = uuid.uuid4().hex[:12]\ndown_revision = None\n", "`revision` is not a literal"),
        ("down_revision = None\n", 'no `revision = "..."`'),
        ('revision = "b2"\ndown_revision = 7\n', "`down_revision` must be None"),
        ('revision = "b2"\ndown_revision = ("a1"\n', "line 2"),
    ],
    ids=["computed", "missing", "not an id", "syntax error"],
)
def test_a_revision_file_that_cannot_be_read_without_running_it_is_refused_by_name(
    tmp_path: Path, text: str, refusal: str
) -> None:
    versions = script_directory(tmp_path, {"0001_a.py": revision_file("a1", None), "0002_b.py": text})
    with pytest.raises(revisions.RevisionError, match=r"0002_b\.py") as refused:
        revisions.heads(versions)
    assert refusal in str(refused.value)


def test_a_down_revision_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    versions = script_directory(tmp_path, {"0001_a.py": revision_file("a1", "zz")})
    with pytest.raises(revisions.RevisionError, match=r"0001_a\.py: down_revision zz is not in versions/"):
        revisions.heads(versions)


def test_a_revision_id_in_two_files_is_refused(tmp_path: Path) -> None:
    versions = script_directory(
        tmp_path, {"0001_a.py": revision_file("a1", None), "0002_a.py": revision_file("a1", None)}
    )
    with pytest.raises(revisions.RevisionError, match=r"revision a1 is in both 0001_a\.py and 0002_a\.py"):
        revisions.heads(versions)


def test_a_cycle_is_refused(tmp_path: Path) -> None:
    files = {
        "0001_a.py": revision_file("a1", None),
        "0002_b.py": revision_file("b2", "a1"),
        "0100_x.py": revision_file("x1", "y2"),
        "0101_y.py": revision_file("y2", "x1"),
    }
    versions = script_directory(tmp_path, files)
    with pytest.raises(revisions.RevisionError, match="revisions x1, y2 form a cycle"):
        revisions.heads(versions)


def test_an_empty_directory_has_no_head(tmp_path: Path) -> None:
    versions = script_directory(tmp_path, {})
    assert alembic_script(versions).get_current_head() is None
    with pytest.raises(revisions.RevisionError, match="holds no revision"):
        revisions.head_revision(versions)


def test_the_revision_files_docstring_is_not_read_for_the_ids(tmp_path: Path) -> None:
    text = textwrap.dedent('''\
        """Revision ID: zz9
        Revises: yy8
        """
        revision = "b2"
        down_revision = "a1"
        ''')
    versions = script_directory(tmp_path, {"0001_a.py": revision_file("a1", None), "0002_b.py": text})
    assert revisions.heads(versions) == ("b2",) == tuple(alembic_script(versions).get_heads())
