"""Where a checkout's revision files run: a process of its own, started by revisions.py with nothing in its environment
but the one URL it migrates with (none, to read the revisions) and the limits; never imported by the command.

    python -m tenantguard_db.preview_db.worker inventory INI    the single head, its history, each one's fingerprint
    python -m tenantguard_db.preview_db.worker upgrade INI      upgrade DATABASE_URL's database to head, through env.py

Its result is one JSON document on stdout; whatever the revision files print goes to stderr, which the command relays.
Loading the revision files runs them (Alembic imports each as a module): so even that happens here, never in the
process that holds CI_DB_URL.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from alembic import command
from tenantguard_db import migrate
from tenantguard_db.preview_db.console import show_upgrades_on_stderr
from tenantguard_db.preview_db.isolation import REVISIONS, USAGE
from tenantguard_db.urls import mask_error


def inventory(ini: Path) -> dict[str, Any]:
    """The checkout's single head, the revisions it descends from, and each one's fingerprint: a hash of its file
    and its ancestors' (equal only while that history is unchanged)."""
    try:
        script = ScriptDirectory.from_config(Config(str(ini)))
        heads = script.get_heads()
    except CommandError as error:
        return {"error": f"--config {ini}: {error}", "kind": USAGE}
    except Exception as error:
        return {
            "error": f"the revision files of {ini} cannot be loaded: {type(error).__name__}: {error}",
            "kind": REVISIONS,
        }
    if len(heads) != 1:
        return {
            "error": f"{script.dir}/versions has {len(heads)} heads ({', '.join(sorted(heads)) or 'none'}); "
            "merge them into one (alembic merge heads) before a preview database can be migrated",
            "kind": USAGE,
        }
    files = {each.revision: Path(each.path).read_bytes() for each in script.walk_revisions()}
    history = [each.revision for each in script.iterate_revisions(heads[0], "base")]
    fingerprints = {}
    for revision in history:
        digest = hashlib.sha256()
        for ancestor in sorted(each.revision for each in script.iterate_revisions(revision, "base")):
            digest.update(ancestor.encode() + b"\0" + files[ancestor] + b"\0")
        fingerprints[revision] = digest.hexdigest()
    return {"head": heads[0], "history": history, "fingerprints": fingerprints}


def upgrade(ini: Path) -> dict[str, Any]:
    """Upgrade DATABASE_URL's database to the checkout's head through its env.py (its lock and timeouts); the
    revision it is at afterwards, whether the upgrade failed or not."""
    url = os.environ["DATABASE_URL"]
    config = Config(str(ini))
    # The same attributes as every other in-process upgrade (no logger reconfiguration, no models).
    config.attributes.update(migrate.upgrade_config(url).attributes)
    result: dict[str, Any] = {}
    try:
        command.upgrade(config, "head")
    except Exception as error:
        result = {"error": mask_error(error, url), "kind": REVISIONS}
    try:
        result["revision"] = migrate.current_revision(url)
    except migrate.MigrationError as error:
        result["unreadable"] = str(error)
    return result


def main(argv: list[str]) -> int:
    """Run `inventory` or `upgrade` on the alembic.ini named, the result on the real stdout."""
    result_stream = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    # Whatever the revision files print lands on stderr: stdout carries the result alone.
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    show_upgrades_on_stderr()
    what, ini = argv
    result = inventory(Path(ini)) if what == "inventory" else upgrade(Path(ini))
    sys.stderr.flush()
    json.dump(result, result_stream)
    result_stream.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
