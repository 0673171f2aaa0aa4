"""Database URL helpers: which environment variable holds the URL, and how to show one without its password."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

URL_VARIABLES = ("CI_DB_URL", "DATABASE_URL")
MASK = "***"

# Matches the userinfo password in anything URL-shaped, so text that merely contains a URL
# (a driver's error message, a traceback) can be masked too.
_USERINFO_PASSWORD = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<password>[^@\s]*)@")


class MissingDatabaseUrlError(RuntimeError):
    """Neither CI_DB_URL nor DATABASE_URL is set."""

    def __init__(self) -> None:
        super().__init__(
            "no database URL: set CI_DB_URL (or DATABASE_URL) to a postgresql:// URL, "
            'e.g. export CI_DB_URL="postgresql://user:pass@localhost:5432/tenantguard_ci"'
        )


def url_from_environment(environ: Mapping[str, str] | None = None) -> str:
    """The database URL from CI_DB_URL, falling back to DATABASE_URL."""
    environ = os.environ if environ is None else environ
    for name in URL_VARIABLES:
        value = environ.get(name, "").strip()
        if value:
            return value
    raise MissingDatabaseUrlError()


def mask_url(url: str) -> str:
    """The URL with its password replaced by ***; anything unparseable is masked as a whole."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = f"{parts.username or ''}:{MASK}@{host}"
        if parts.port is not None:
            netloc += f":{parts.port}"
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    except ValueError:
        return MASK


def mask_text(text: str, *secrets: str) -> str:
    """Text with URL passwords and the given secret strings replaced by ***."""
    masked = _USERINFO_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
    for secret in secrets:
        if secret:
            masked = masked.replace(secret, MASK)
    return masked


def mask_error(error: BaseException, url: str) -> str:
    """An error's text with URL passwords masked, and `url`'s own password wherever it stands alone."""
    try:
        password = urlsplit(url).password or ""
    except ValueError:
        password = ""
    return mask_text(str(error), password)


def sqlalchemy_url(url: str) -> str:
    """A plain postgres URL pinned to the psycopg 3 driver this repository installs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
