"""A checkout's Alembic revisions as the command sees them: read and run by the worker (worker.py, in a process of its
own), never loaded here. The single head, its history, a fingerprint of each history, and the revision a database is
at."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tenantguard_db import migrate
from tenantguard_db.preview_db.errors import PreviewDbError, RevisionsFailedError, UsageError, database_error
from tenantguard_db.preview_db.isolation import USAGE, WorkerError, run_worker
from tenantguard_db.preview_db.metadata import Meta, utc_now

# What a revision id may look like when the command records or prints one: the worker (and a database its pull
# request's role owns) could hand back anything.
REVISION_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
FINGERPRINT = re.compile(r"[0-9a-f]{64}")


def checked_revision(value: Any) -> str | None:
    """`value` if it is None or a plausible revision id, else an error (nothing of it is shown)."""
    if value is None or (isinstance(value, str) and REVISION_ID.fullmatch(value)):
        return value
    raise PreviewDbError("the revision reported is not a revision id (letters, digits, _ . -, at most 64)")


@dataclass(frozen=True)
class Revisions:
    """A checkout's Alembic revisions: its single head, its ancestry and a fingerprint of each history."""

    ini: Path
    head: str
    history: frozenset[str]
    fingerprints: dict[str, str] = field(repr=False)

    @classmethod
    def load(cls, ini: Path) -> Revisions:
        """The revisions of the checkout `ini` belongs to, read by the worker; refused unless they load and have a
        single head."""
        if not ini.is_file():
            raise UsageError(f"--config {ini}: no such file; give the alembic.ini of the checkout to migrate from")
        try:
            result = run_worker("inventory", ini.resolve(), None)
        except WorkerError as error:
            raise RevisionsFailedError(f"the revision files of {ini} cannot be loaded: {error}") from None
        if "error" in result:
            failure = UsageError if result.get("kind") == USAGE else RevisionsFailedError
            raise failure(str(result["error"]))
        try:
            head = checked_revision(result["head"])
            history = frozenset(checked_revision(each) for each in result["history"])
            fingerprints = {
                str(checked_revision(key)): str(value)
                for key, value in result["fingerprints"].items()
                if FINGERPRINT.fullmatch(str(value))
            }
        except (KeyError, TypeError, AttributeError, PreviewDbError):
            raise RevisionsFailedError(f"the revision files of {ini} gave no usable list of revisions") from None
        if head is None or head not in history:
            raise RevisionsFailedError(f"the revision files of {ini} gave no usable head")
        return cls(ini=ini.resolve(), head=head, history=frozenset(h for h in history if h), fingerprints=fingerprints)

    def fingerprint(self, revision: str | None) -> str | None:
        """A hash of the files of `revision` and its ancestors: equal only if that history is unchanged."""
        return None if revision is None else self.fingerprints.get(revision)

    def why_not_from(self, revision: str | None, fingerprint: str | None) -> str | None:
        """Why a database at `revision` (migrated from files hashing to `fingerprint`) cannot be
        upgraded to this head, or None when it can."""
        if revision is None:
            return None
        if revision not in self.history:
            return f"it is at {revision}, which this checkout's history (up to {self.head}) does not contain"
        if fingerprint != self.fingerprint(revision):
            return f"the revision files up to {revision} differ from the ones it was migrated with"
        return None

    def upgrade(self, url: str, password: str) -> str | None:
        """Upgrade the database at `url` (a role's own, carrying `password`) to head, in the worker, through env.py
        (its advisory lock and timeouts); the revision reached. A failure raises migrate.MigrationError with the
        revision the database stays at in `reached`."""
        try:
            result = run_worker("upgrade", self.ini, url, (password,))
        except WorkerError as error:
            raise UpgradeFailed(str(error), None, known=False) from None
        reached = checked_revision(result.get("revision"))
        if "error" in result:
            raise UpgradeFailed(str(result["error"]), reached, known="unreadable" not in result)
        if "unreadable" in result:
            raise PreviewDbError(f"the revision it reached cannot be read: {result['unreadable']}")
        return reached


class UpgradeFailed(migrate.MigrationError):
    """A revision failed; `reached` is the revision the database stays at (when `known`)."""

    def __init__(self, message: str, reached: str | None, *, known: bool) -> None:
        super().__init__(message)
        self.reached = reached
        self.known = known


def migrated_meta(meta: Meta, revisions: Revisions, reached: str | None) -> Meta:
    """`meta` after a migration that reached `reached`, with the fingerprint of the files that got it there."""
    return replace(meta, migrated_at=utc_now(), revision=reached, fingerprint=revisions.fingerprint(reached))


def read_revision(url: str, name: str) -> str | None:
    """The revision database `name` is at (None before the first), read with `url` (its own role's), or an error fit
    to print; what is not a revision id (its role may have written anything there) reads as one no history holds."""
    try:
        revision = migrate.current_revision(url)
    except migrate.MigrationError as error:
        raise database_error(error, url, f"cannot read the revision of {name}") from None
    if revision is not None and not REVISION_ID.fullmatch(revision):
        return "(not a revision id)"
    return revision
