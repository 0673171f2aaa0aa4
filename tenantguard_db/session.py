"""What a migration session is held to: the lock every runner queues on, and the TENANTGUARD_* limits.

env.py (the CLI, the Pulumi migration) and the in-process revision read take their limits from here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from psycopg import errors as pg_errors

from tenantguard_db.urls import mask_url

# Any fixed 64-bit number works as long as every runner of these migrations agrees on it.
MIGRATION_LOCK_ID = 0x7E4A_6E47_0A11_B1C0 & 0x7FFF_FFFF_FFFF_FFFF

_DURATION = re.compile(r"^(?P<amount>\d+)(?P<unit>ms|s|min|h|d)?$")
_MILLISECONDS = {"ms": 1, "s": 1_000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}
# PostgreSQL keeps these settings in a 32-bit int of milliseconds (guc.c: INT_MAX).
_POSTGRES_MAX_MS = 2_147_483_647
_EXAMPLES = "e.g. 500ms, 5s, 2min or 1h, or 0 for no limit"


class LimitError(ValueError):
    """A TENANTGUARD_* variable holds something that is not an accepted duration; the message names it."""


@dataclass(frozen=True)
class Limit:
    """One TENANTGUARD_* duration variable and what it bounds."""

    variable: str
    default: str
    bounds: str
    """What the duration bounds, for messages and README."""
    setting: str | None = None
    """The PostgreSQL session setting it becomes, if it becomes one."""
    whole_seconds: bool = False
    """libpq takes it in whole seconds (connect_timeout)."""


LOCK_TIMEOUT = Limit("TENANTGUARD_LOCK_TIMEOUT", "5s", "each wait for a table or row lock", "lock_timeout")
STATEMENT_TIMEOUT = Limit("TENANTGUARD_STATEMENT_TIMEOUT", "5min", "each statement", "statement_timeout")
LOCK_WAIT = Limit("TENANTGUARD_MIGRATION_LOCK_WAIT", "10min", "the wait for another runner's migration lock")
CONNECT_TIMEOUT = Limit("TENANTGUARD_CONNECT_TIMEOUT", "10s", "connecting to the server", whole_seconds=True)
CLIENT_CHECK_INTERVAL = Limit(
    "TENANTGUARD_CLIENT_CHECK_INTERVAL",
    "1s",
    "how soon the server notices a runner that died mid-statement",
    "client_connection_check_interval",
)
LIMITS = (LOCK_TIMEOUT, STATEMENT_TIMEOUT, LOCK_WAIT, CONNECT_TIMEOUT, CLIENT_CHECK_INTERVAL)


@dataclass(frozen=True)
class Duration:
    """A checked duration: as written (PostgreSQL reads it the same way) and in milliseconds."""

    text: str
    milliseconds: int

    def __str__(self) -> str:
        return self.text


def parse_duration(limit: Limit, value: str) -> Duration:
    """`value` for `limit`, checked: a unit is required, since PostgreSQL reads a bare number as milliseconds."""
    text = value.strip()
    found = _DURATION.match(text)
    if found is None:
        raise LimitError(f"{limit.variable}={value!r} is not a duration; write {_EXAMPLES}")
    amount, unit = int(found["amount"]), found["unit"]
    if unit is None and amount != 0:
        # Bare numbers mean milliseconds to PostgreSQL and seconds to libpq: refuse rather than guess.
        reads = "libpq would read it as seconds" if limit.whole_seconds else f"PostgreSQL would read it as {amount} ms"
        raise LimitError(f"{limit.variable}={value!r} has no unit ({reads}); write {_EXAMPLES}")
    milliseconds = amount * _MILLISECONDS[unit or "ms"]
    if milliseconds > _POSTGRES_MAX_MS:
        allows = "libpq" if limit.whole_seconds else "PostgreSQL"
        raise LimitError(
            f"{limit.variable}={value!r} is longer than {allows} allows (about 24 days); use 0 for no limit"
        )
    if limit.whole_seconds and milliseconds % 1000:
        raise LimitError(f"{limit.variable}={value!r}: libpq waits in whole seconds; write e.g. 10s or 1min")
    if limit.whole_seconds and 0 < milliseconds < 2000:
        raise LimitError(f"{limit.variable}={value!r}: libpq waits at least 2s; write 2s or more, or 0 for no limit")
    return Duration(text, milliseconds)


def is_set(limit: Limit, environ: Mapping[str, str]) -> bool:
    # Empty counts as unset: a CI variable fed from an unset repository variable arrives empty.
    return bool(environ.get(limit.variable, "").strip())


def read(limit: Limit, environ: Mapping[str, str] | None = None) -> Duration:
    """The limit's duration from the environment, or its default."""
    environ = os.environ if environ is None else environ
    return parse_duration(limit, environ[limit.variable] if is_set(limit, environ) else limit.default)


@dataclass(frozen=True)
class Limits:
    """Every limit of one run, read and checked before anything connects."""

    lock_timeout: Duration
    statement_timeout: Duration
    lock_wait: Duration
    connect_timeout: Duration
    connect_timeout_set: bool
    """TENANTGUARD_CONNECT_TIMEOUT was set, so it wins over a connect_timeout in the URL."""
    client_check_interval: Duration

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Limits:
        environ = os.environ if environ is None else environ
        return cls(
            lock_timeout=read(LOCK_TIMEOUT, environ),
            statement_timeout=read(STATEMENT_TIMEOUT, environ),
            lock_wait=read(LOCK_WAIT, environ),
            connect_timeout=read(CONNECT_TIMEOUT, environ),
            connect_timeout_set=is_set(CONNECT_TIMEOUT, environ),
            client_check_interval=read(CLIENT_CHECK_INTERVAL, environ),
        )

    def statement_settings(self) -> dict[str, str]:
        """The session settings that bound each revision's statements and lock waits."""
        return {"lock_timeout": self.lock_timeout.text, "statement_timeout": self.statement_timeout.text}

    def connect_args(self, url: str) -> dict[str, int]:
        """libpq arguments for connecting to `url`: our connect_timeout, unless only the URL sets one."""
        if not self.connect_timeout_set and url_connect_timeout(url) is not None:
            return {}
        return {"connect_timeout": self.connect_timeout.milliseconds // 1000}

    def connect_timeout_source(self, url: str) -> str:
        """Where the connect timeout in force came from, as a message should say it."""
        in_url = url_connect_timeout(url)
        if not self.connect_timeout_set and in_url is not None:
            return f"{in_url}s (connect_timeout in the URL; {CONNECT_TIMEOUT.variable} overrides it)"
        return f"{self.connect_timeout} ({CONNECT_TIMEOUT.variable})"


def shown(url: str) -> str:
    """The URL as messages show it: rebuilt from its allowed parts (tenantguard_db.urls.mask_url)."""
    return mask_url(url)


def url_connect_timeout(url: str) -> str | None:
    """The connect_timeout a libpq URL carries in its query, if any."""
    try:
        values = parse_qs(urlsplit(url).query).get("connect_timeout")
    except ValueError:
        return None
    return values[-1] if values else None


def _driver_error(error: BaseException) -> BaseException:
    """The driver's own exception inside SQLAlchemy's wrapper (DBAPIError.orig), or the error itself."""
    original = getattr(error, "orig", None)
    return original if isinstance(original, BaseException) else error


def is_unreachable(error: BaseException) -> bool:
    """The server could not be reached at all (refused, timed out, unknown host): no SQLSTATE from it."""
    cause = _driver_error(error)
    return isinstance(cause, pg_errors.OperationalError) and getattr(cause, "sqlstate", None) is None


def is_lock_timeout(error: BaseException) -> bool:
    """lock_timeout ended a wait (SQLSTATE 55P03)."""
    return isinstance(_driver_error(error), pg_errors.LockNotAvailable)


def connect_problem(error: BaseException, limits: Limits, url: str) -> str:
    """Why connecting failed, naming the limit when a limit ended it."""
    cause = _driver_error(error)
    if isinstance(cause, pg_errors.ConnectionTimeout):
        return (
            f"no answer within {limits.connect_timeout_source(url)}; "
            "check the host and port, and that this machine can reach them"
        )
    return str(cause).strip()


def statement_problem(error: BaseException, limits: Limits) -> str:
    """Why a run failed once connected, naming the limit when a limit ended it."""
    cause = _driver_error(error)
    said = f"{type(cause).__name__}: {str(cause).strip()}"
    if isinstance(cause, pg_errors.LockNotAvailable):
        return (
            f"a statement waited {limits.lock_timeout} ({LOCK_TIMEOUT.variable}) for a lock another session holds "
            f"and was cancelled; its revision was rolled back, earlier ones stay applied. Run again once that "
            f"session is done, or wait longer with {LOCK_TIMEOUT.variable} ({said})"
        )
    if isinstance(cause, pg_errors.QueryCanceled) and "statement timeout" in str(cause):
        return (
            f"a statement ran longer than {limits.statement_timeout} ({STATEMENT_TIMEOUT.variable}) and was "
            f"cancelled; its revision was rolled back, earlier ones stay applied ({said})"
        )
    statement = getattr(error, "statement", None)
    return said + (f"\n[SQL: {statement}]" if statement else "")
