"""The head of alembic/versions read from the revision files' source: no Alembic, no SQLAlchemy, no database.

The Pulumi program needs nothing but the head's id, and importing Alembic and SQLAlchemy for it cost every
`pulumi preview` about 0.3 s of CPU (bench/RESULTS.md). Alembic's own answer (tenantguard_db.migrate.head_revision)
stays the reference: tests/database/test_revisions.py checks that the two agree, branches and merges included.
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass
from pathlib import Path

VERSIONS = Path(__file__).resolve().parent.parent / "alembic" / "versions"
"""Where alembic.ini's `script_location` keeps the revisions (no `version_locations`, not recursive)."""
# Which files Alembic reads as revisions: `_only_source_rev_file` in alembic/script/base.py (Alembic 1.20).
REVISION_FILE = re.compile(r"(?!\.\#|__init__)(.*\.py)$")


class RevisionError(RuntimeError):
    """The revision files do not name exactly one head, or one of them cannot be read without running it."""


@dataclass(frozen=True)
class Revision:
    revision: str
    down_revisions: tuple[str, ...]
    """The revisions this one follows (two or more for a merge); `depends_on` is not among them."""
    path: Path


def read_revision(path: Path) -> Revision:
    """The `revision` and `down_revision` a revision file assigns, read as literals (the file is never run)."""
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except SyntaxError as error:
        raise RevisionError(f"{path.name}: {error.msg} (line {error.lineno})") from None
    found: dict[str, object] = {}
    for statement in tree.body:
        target: ast.expr | None = None
        value: ast.expr | None = None
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0], statement.value
        elif isinstance(statement, ast.AnnAssign):
            target, value = statement.target, statement.value
        if not isinstance(target, ast.Name) or target.id not in ("revision", "down_revision") or value is None:
            continue
        try:
            # The last assignment wins, as when Alembic imports the file.
            found[target.id] = ast.literal_eval(value)
        except ValueError:
            raise RevisionError(f"{path.name}: `{target.id}` is not a literal; write the revision id itself") from None
    revision = found.get("revision")
    if not isinstance(revision, str) or not revision:
        raise RevisionError(f'{path.name}: no `revision = "..."` at the top level of the file')
    down = found.get("down_revision")
    if down is None:
        return Revision(revision, (), path)
    if isinstance(down, str):
        return Revision(revision, (down,), path)
    if isinstance(down, tuple | list) and all(isinstance(item, str) for item in down):
        return Revision(revision, tuple(down), path)
    raise RevisionError(f"{path.name}: `down_revision` must be None, a revision id or a tuple of them")


def revisions(directory: Path = VERSIONS) -> list[Revision]:
    """Every revision in `directory`, in Alembic's order (file names sorted; subdirectories are not read)."""
    files = sorted(path.name for path in directory.iterdir() if path.is_file())
    return [read_revision(directory / name) for name in files if REVISION_FILE.match(name)]


def heads(directory: Path = VERSIONS) -> tuple[str, ...]:
    """The revisions no other revision follows, in Alembic's order; refuses a history it would refuse."""
    found = revisions(directory)
    by_id: dict[str, Revision] = {}
    for revision in found:
        if revision.revision in by_id:
            raise RevisionError(
                f"revision {revision.revision} is in both {by_id[revision.revision].path.name} and {revision.path.name}"
            )
        by_id[revision.revision] = revision
    followed: set[str] = set()
    for revision in found:
        for down in revision.down_revisions:
            if down not in by_id:
                raise RevisionError(f"{revision.path.name}: down_revision {down} is not in {directory.name}/")
            followed.add(down)
    result = tuple(revision.revision for revision in found if revision.revision not in followed)
    # Every revision must lie below a head: one that does not sits on a cycle (Alembic: CycleDetected).
    below: set[str] = set()
    pending = list(result)
    while pending:
        current = pending.pop()
        if current not in below:
            below.add(current)
            pending.extend(by_id[current].down_revisions)
    if below != set(by_id):
        raise RevisionError(f"revisions {', '.join(sorted(set(by_id) - below))} form a cycle")
    return result


@functools.cache
def head_revision(directory: Path = VERSIONS) -> str:
    """The single head the migration upgrades to; read once per process."""
    found = heads(directory)
    if not found:
        raise RevisionError(f"{directory.name}/ holds no revision")
    if len(found) > 1:
        raise RevisionError(
            f"{directory.name}/ has {len(found)} heads ({', '.join(found)}); merge them with `alembic merge heads`"
        )
    return found[0]
