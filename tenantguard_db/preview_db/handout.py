"""Where create hands the deployment's URL out (a 0600 file, $GITHUB_OUTPUT), never stdout or stderr: the new password
of the pull request's role, masked in the runner's log before anything else runs."""

from __future__ import annotations

import os
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from tenantguard_db.preview_db.errors import PreviewDbError, UsageError
from tenantguard_db.preview_db.names import PullRequest
from tenantguard_db.preview_db.server import Server

PASSWORD_BYTES = 32  # secrets.token_urlsafe: 43 URL-safe characters, nothing to percent-encode


@dataclass(frozen=True)
class UrlDestinations:
    """Where create puts the deployment's URL (the pull request's role): never on stdout or stderr."""

    url_file: Path | None
    github_output: Path | None

    @classmethod
    def from_args(cls, url_file: Path | None, github: bool) -> UrlDestinations:
        """The destinations --url-to-file and --github-output name, refused before anything is created."""
        if url_file is not None and (url_file.is_symlink() or not url_file.parent.is_dir()):
            raise UsageError(f"--url-to-file {url_file}: give a path in an existing directory, not a symlink")
        github_output = None
        if github:
            value = os.environ.get("GITHUB_OUTPUT", "")
            if not value:
                raise UsageError("--github-output needs GITHUB_OUTPUT, which GitHub Actions sets in a workflow step")
            github_output = Path(value)
        return cls(url_file, github_output)

    @property
    def hands_out(self) -> bool:
        """Whether a URL has somewhere to go: only then does create give the role a new password."""
        return self.url_file is not None or self.github_output is not None

    def mask_in_log(self, server: Server, url: str, password: str) -> None:
        """Register the deployment's URL and password, and CI_DB_URL's password, with the runner's log masker,
        before anything else runs."""
        if self.github_output is None:
            return
        ci_password = server.ci_password()
        values = (url, password, quote(password, safe=""), ci_password, quote(ci_password, safe=""))
        for value in dict.fromkeys(values):
            if value:
                # The runner reads workflow commands on stderr as well as stdout (actions/runner,
                # src/Runner.Worker/Handlers/ScriptHandler.cs: an OutputManager on each), so a
                # caller capturing stdout never swallows them. Data escaping per actions/runner
                # src/Runner.Common/ActionCommand.cs (_escapeDataMappings).
                escaped = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
                print(f"::add-mask::{escaped}", file=sys.stderr, flush=True)

    def write_url(self, name: str, url: str) -> None:
        """Write the deployment's URL to each destination (the file with mode 0600, never through a symlink)."""
        if "\n" in url or "\r" in url:
            # One line per output in $GITHUB_OUTPUT; a line break would let the value forge another.
            raise PreviewDbError(f"the URL of {name} contains a line break; check CI_DB_URL")
        try:
            if self.url_file is not None:
                flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
                descriptor = os.open(self.url_file, flags, 0o600)
                os.fchmod(descriptor, 0o600)
                with os.fdopen(descriptor, "w") as handle:
                    handle.write(url)
            if self.github_output is not None:
                with self.github_output.open("a") as handle:
                    handle.write(f"database={name}\nurl={url}\n")
        except OSError as error:
            raise PreviewDbError(f"{name} is ready, but its URL could not be written: {error}") from None


@dataclass(frozen=True)
class Handout:
    """The new password of a pull request's role and the deployment URL carrying it."""

    password: str = field(repr=False)
    url: str = field(repr=False)

    @classmethod
    def new(cls, server: Server, pr: PullRequest, destinations: UrlDestinations) -> Handout | None:
        """A new password, masked in the log before anything else runs; None when `destinations` has nowhere to put
        the URL."""
        if not destinations.hands_out:
            return None
        password = secrets.token_urlsafe(PASSWORD_BYTES)
        url = server.deployment_url(pr, password)
        destinations.mask_in_log(server, url, password)
        return cls(password, url)
