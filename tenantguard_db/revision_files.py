"""Alembic revision files written on the fly: another branch's checkout, for preview_db's tests and benchmark."""

from __future__ import annotations

import shutil
from pathlib import Path

from tenantguard_db.migrate import ROOT


def revision_file(revision: str, down: str | None, upgrade_sql: str) -> str:
    """The text of a revision file that runs one SQL statement on upgrade."""
    return (
        f'"""{revision}: written on the fly by tenantguard_db.revision_files"""\n'
        "from alembic import op\n\n"
        f"revision = {revision!r}\ndown_revision = {down!r}\nbranch_labels = None\ndepends_on = None\n\n\n"
        f"def upgrade() -> None:\n    op.execute({upgrade_sql!r})\n\n\n"
        "def downgrade() -> None:\n    pass\n"
    )


def python_revision_file(revision: str, down: str | None, upgrade_body: str) -> str:
    """The text of a revision file whose upgrade runs `upgrade_body`, any Python (as a pull request may write)."""
    body = "".join(f"    {line}\n" for line in upgrade_body.splitlines()) or "    pass\n"
    return (
        f'"""{revision}: written on the fly by tenantguard_db.revision_files"""\n'
        "from alembic import op\n\n"
        f"revision = {revision!r}\ndown_revision = {down!r}\nbranch_labels = None\ndepends_on = None\n\n\n"
        f"def upgrade() -> None:\n{body}\n\n"
        "def downgrade() -> None:\n    pass\n"
    )


def checkout(directory: Path, label: str, *revisions: tuple[str, str, str]) -> Path:
    """A copy of this repository's scripts directory in directory/label, plus `revisions` (revision, down,
    upgrade SQL), as another branch would have it; returns its alembic.ini."""
    copy = directory / label
    shutil.copytree(ROOT / "alembic", copy / "alembic", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "alembic.ini", copy / "alembic.ini")
    for revision, down, upgrade_sql in revisions:
        (copy / "alembic" / "versions" / f"{revision}_{label}.py").write_text(
            revision_file(revision, down, upgrade_sql)
        )
    return copy / "alembic.ini"
