"""A checkout's Alembic revisions, as a pull request's database or the template is migrated to them: the single head,
its history, a fingerprint of the files, and the revision a database is at."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from alembic import command
from tenantguard_db import migrate
from tenantguard_db.preview_db.errors import RevisionsFailedError, UsageError, database_error
from tenantguard_db.preview_db.metadata import Meta, utc_now
from tenantguard_db.urls import mask_error


@dataclass(frozen=True)
class Revisions:
    """A checkout's Alembic revisions: its single head, its ancestry and a fingerprint of each history."""

    ini: Path
    script: ScriptDirectory
    head: str

    @classmethod
    def load(cls, ini: Path) -> Revisions:
        """The revisions of the checkout `ini` belongs to; refused unless they load and have a single head."""
        if not ini.is_file():
            raise UsageError(f"--config {ini}: no such file; give the alembic.ini of the checkout to migrate from")
        try:
            script = ScriptDirectory.from_config(Config(str(ini)))
            heads = script.get_heads()
        except CommandError as error:
            raise UsageError(f"--config {ini}: {error}") from None
        except Exception as error:
            # A revision file that does not even import is the pull request's own failure.
            raise RevisionsFailedError(
                f"the revision files of {ini} cannot be loaded: {type(error).__name__}: {error}"
            ) from None
        if len(heads) != 1:
            raise UsageError(
                f"{script.dir}/versions has {len(heads)} heads ({', '.join(sorted(heads)) or 'none'}); "
                "merge them into one (alembic merge heads) before a preview database can be migrated"
            )
        return cls(ini=ini, script=script, head=heads[0])

    @functools.cached_property
    def history(self) -> frozenset[str]:
        """The head and every revision it descends from."""
        return frozenset(script.revision for script in self.script.iterate_revisions(self.head, "base"))

    def fingerprint(self, revision: str | None) -> str | None:
        """A hash of the files of `revision` and its ancestors: equal only if that history is unchanged."""
        if revision is None:
            return None
        digest = hashlib.sha256()
        for script in sorted(self.script.iterate_revisions(revision, "base"), key=lambda s: s.revision):
            digest.update(script.revision.encode() + b"\0" + Path(script.path).read_bytes() + b"\0")
        return digest.hexdigest()

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

    def upgrade(self, url: str) -> str | None:
        """Upgrade through the locked env.py path (advisory lock, timeouts); returns the revision reached."""
        config = Config(str(self.ini))
        # The same attributes as every other in-process upgrade (no logger reconfiguration, no models).
        config.attributes.update(migrate.upgrade_config(url).attributes)
        try:
            command.upgrade(config, "head")
        except Exception as error:
            raise migrate.MigrationError(mask_error(error, url)) from None
        return migrate.current_revision(url)


def migrated_meta(meta: Meta, revisions: Revisions, reached: str | None) -> Meta:
    """`meta` after a migration that reached `reached`, with the fingerprint of the files that got it there."""
    return replace(meta, migrated_at=utc_now(), revision=reached, fingerprint=revisions.fingerprint(reached))


def read_revision(url: str, name: str) -> str | None:
    """The revision database `name` is at (None before the first), or an error fit to print."""
    try:
        return migrate.current_revision(url)
    except migrate.MigrationError as error:
        raise database_error(error, url, f"cannot read the revision of {name}") from None
