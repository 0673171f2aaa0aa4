"""The failures the command reports: each with a message fit to print (no password), what to do about it where an
operator can, and its exit code."""

from __future__ import annotations

from tenantguard_db import session
from tenantguard_db.preview_db.status_codes import EXIT_FAILED, EXIT_REVISIONS_FAILED, EXIT_USAGE
from tenantguard_db.urls import mask_error

# The one-time SQL that gives the manager its privileges, as a link with GitHub's heading anchor: the messages that
# send an administrator there name it (tests/static/docs/test_work_order.py checks that the heading exists).
WORK_ORDER = "workorders/WO-ci-secrets.md#one-time-sql-for-the-preview-role-an-administrator-once"

# What an operator does about a failure the server reports, by SQLSTATE (PostgreSQL's "Error Codes" appendix).
HINTS_BY_SQLSTATE = {
    "42501": (  # insufficient_privilege
        "The preview role needs CONNECT on the base database, CREATEDB and CREATEROLE, must own the template and be "
        "a member of each pull request's role (create grants that itself); the SQL an administrator runs once is in "
        f"{WORK_ORDER}."
    ),
    "2BP01": (  # dependent_objects_still_exist
        "Something in a database the CI role cannot reach still names that role: an administrator runs "
        "DROP OWNED BY <role> in each database that holds such a grant, then runs this again."
    ),
    "53300": (  # too_many_connections
        "A connection limit is reached (the role's or the database's CONNECTION LIMIT, or the server's "
        "max_connections); each run needs two connections at once, and every open preview holds its own: "
        f"close idle previews (prune) or raise the limit ({WORK_ORDER})."
    ),
    "55P03": f"Another run held the lock longer than {session.LOCK_WAIT.variable} allows.",  # lock_not_available
    "55006": "Someone is connected to that database; the template must have no sessions.",  # object_in_use
}


class PreviewDbError(RuntimeError):
    """A failure with a message fit to print: no password, and in `hint` what to do about it, when there is
    something to do; the message printed is both."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(f"{message} {hint}" if hint else message)
        self.hint = hint


class UsageError(PreviewDbError):
    """Bad input: nothing was changed."""

    exit_code = EXIT_USAGE


class RevisionsFailedError(PreviewDbError):
    """A revision failed; the database stays at its last good revision."""

    exit_code = EXIT_REVISIONS_FAILED


def database_error(error: BaseException, url: str, doing: str) -> PreviewDbError:
    """A database error as one fit to print: masked, with what to do for the failures an operator can fix."""
    text = mask_error(error, url).strip()
    state = getattr(error, "sqlstate", None)
    # A connection refused carries no SQLSTATE: only its text says why.
    if state is None and ("too many connections" in text or "too many clients" in text):
        state = "53300"
    if state is None and "permission denied for database" in text:
        state = "42501"
    return PreviewDbError(f"{doing}: {text}", hint=HINTS_BY_SQLSTATE.get(state or "", ""))


def printable(error: BaseException, url: str, doing: str) -> PreviewDbError:
    """Any failure of `doing` as one fit to print: ours as it is, a database error as database_error words it."""
    if isinstance(error, PreviewDbError):
        return PreviewDbError(f"{doing}: {error}")
    return database_error(error, url, doing)
