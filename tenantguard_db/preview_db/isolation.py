"""The process a checkout's revision files run in (worker.py): what its environment holds, and how what it prints
reaches the command's stderr.

It keeps the manager's URL out of what the revisions can read of their own process, and no further: a process of the
same user can read another's /proc/PID/environ (the step's shell holds CI_DB_URL) and, on a runner with sudo, any
memory. So this is hygiene, not a boundary: only this repository's revisions, at the commit the app repositories
pin, run where CI_DB_URL is (docs/explanation/preview-databases.md, "Why `pull_request_target`, ...")."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tenantguard_db import migrate, session
from tenantguard_db.preview_db.console import log_to_stderr
from tenantguard_db.urls import mask_text

WORKER = "tenantguard_db.preview_db.worker"
# What a worker's result says of its "error": bad input (exit 2), or the revision files' own failure (exit 3).
USAGE = "usage"
REVISIONS = "revisions"

# What the worker's environment holds besides its one URL: nothing secret. The limits env.py reads, what Python and
# libpq need to behave alike everywhere, and no libpq file that could hold another role's password.
PASSED_ON = (
    "PATH",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "TMPDIR",
    "PYTHONDONTWRITEBYTECODE",
    *(limit.variable for limit in session.LIMITS),
)
FIXED = {"PYTHONUTF8": "1", "PGPASSFILE": os.devnull, "PGSERVICEFILE": os.devnull}

PR_SET_DUMPABLE = 4  # prctl(2)


class WorkerError(RuntimeError):
    """The worker ended without a result it could give."""


def worker_environment(url: str | None) -> dict[str, str]:
    """The worker's whole environment: DATABASE_URL (when given), the limits, nothing else of ours."""
    environment = {name: os.environ[name] for name in PASSED_ON if name in os.environ}
    environment.update(FIXED)
    if url is not None:
        environment["DATABASE_URL"] = url
    return environment


def keep_out_of_reach() -> None:
    """Make this process undumpable (Linux), so a process of the same user, the worker included, can read neither
    its environment (/proc/PID/environ, where CI_DB_URL is) nor its memory; only root still can."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def relay(line: str, secrets: tuple[str, ...]) -> None:
    """One line the worker printed, on our stderr: masked, and prefixed like every line of ours (log_to_stderr), so
    nothing it prints can be read by the runner as a workflow command."""
    log_to_stderr(mask_text(line.rstrip("\n"), *secrets))


def run_worker(what: str, ini: Path, url: str | None, secrets: tuple[str, ...] = ()) -> dict[str, Any]:
    """Run the worker's `what` (inventory, upgrade) on `ini`, connecting with `url` (if any); its result."""
    keep_out_of_reach()
    process = subprocess.Popen(  # noqa: S603 - this interpreter, our own module, an ini path as an argument
        [sys.executable, "-m", WORKER, what, str(ini)],
        cwd=migrate.ROOT,  # the command's own checkout: tenantguard_db comes from here, never from the one migrated
        env=worker_environment(url),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    assert process.stdout is not None
    assert process.stderr is not None
    for line in process.stderr:
        relay(line, secrets)
    output = process.stdout.read()
    code = process.wait()
    try:
        result = json.loads(output)
    except ValueError:
        result = None
    if not isinstance(result, dict):
        raise WorkerError(f"the process running the revision files ended (exit {code}) without a result")
    return result
