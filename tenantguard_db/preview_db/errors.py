"""The failures the command reports: each with a message fit to print (no password) and its exit code."""

from __future__ import annotations

from tenantguard_db import session
from tenantguard_db.preview_db.status_codes import EXIT_FAILED, EXIT_REVISIONS_FAILED, EXIT_USAGE
from tenantguard_db.urls import mask_error

# Where the contract and the one-time SQL live: the messages that send an operator there name it.
WORK_ORDER = 'workorders/WO-ci-secrets.md, section "Preview databases per pull request"'


class PreviewDbError(RuntimeError):
    """A failure with a message fit to print: no password, and what to do about it."""

    exit_code = EXIT_FAILED


class UsageError(PreviewDbError):
    """Bad input: nothing was changed."""

    exit_code = EXIT_USAGE


class RevisionsFailedError(PreviewDbError):
    """A revision failed; the database stays at its last good revision."""

    exit_code = EXIT_REVISIONS_FAILED


def explain_database_error(error: BaseException, url: str, doing: str) -> str:
    """A database error as a message: masked, with what to do for the failures an operator can fix."""
    text = mask_error(error, url).strip()
    state = getattr(error, "sqlstate", None)
    hint = ""
    if state == "42501":
        hint = (
            " The preview role needs CREATEDB and CREATEROLE and must own the pull-request databases and the "
            f"template; the SQL an administrator runs once is in {WORK_ORDER}."
        )
    elif state == "2BP01":
        hint = (
            " Something outside its database was granted to that role by hand: an administrator runs "
            "DROP OWNED BY <role> in each database that holds such a grant, then runs this again."
        )
    elif state == "53300" or "too many connections" in text or "too many clients" in text:
        hint = (
            " A connection limit is reached (the role's or the database's CONNECTION LIMIT, or the server's "
            "max_connections); each run needs two connections at once, and every open preview holds its own: "
            f"close idle previews (prune) or raise the limit ({WORK_ORDER})."
        )
    elif state == "55P03":
        hint = f" Another run held the lock longer than {session.LOCK_WAIT.variable} allows."
    elif state == "55006":
        hint = " Someone is connected to that database; the template must have no sessions."
    return f"{doing}: {text}{hint}"
