"""Where create hands the deployment's URL out (a 0600 file, $GITHUB_OUTPUT), never stdout or stderr: the new password
of the pull request's role, masked in the runner's log before anything else runs."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from tenantguard_db.preview_db.errors import PreviewDbError, UsageError
from tenantguard_db.preview_db.names import PullRequest
from tenantguard_db.preview_db.server import Server

PASSWORD_BYTES = 32  # secrets.token_urlsafe: 43 URL-safe characters, nothing to percent-encode


# Opening a directory on the way to --url-to-file: never through a symlink, and never anything but a directory.
_DIRECTORY_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def open_directory(path: Path) -> int:
    """A descriptor of directory `path`, reached one component at a time without following a symlink anywhere on
    the way (O_NOFOLLOW alone covers only the last component); OSError if one is a symlink or not a directory."""
    descriptor = os.open("/" if path.is_absolute() else ".", _DIRECTORY_FLAGS)
    try:
        for part in path.parts[1:] if path.is_absolute() else path.parts:
            inner = os.open(part, _DIRECTORY_FLAGS, dir_fd=descriptor)
            os.close(descriptor)
            descriptor = inner
    except OSError:
        os.close(descriptor)
        raise
    return descriptor


@dataclass
class UrlFile:
    """Where --url-to-file writes: the name in a directory held open from the start, so whatever is renamed or
    swapped on the path while the command runs, the file lands in the directory that was checked."""

    path: Path
    directory: int | None
    name: str

    @classmethod
    def open(cls, path: Path) -> UrlFile:
        """The file's directory opened (without following a symlink), refused as usage otherwise."""
        refused = UsageError(f"--url-to-file {path}: give a path in an existing directory, not a symlink")
        if not path.name or path.name in (".", ".."):
            raise refused
        try:
            directory = open_directory(path.parent)
        except OSError:
            raise refused from None
        try:
            existing = os.stat(path.name, dir_fd=directory, follow_symlinks=False)
        except FileNotFoundError:
            existing = None
        except OSError:
            os.close(directory)
            raise refused from None
        if existing is not None and not stat.S_ISREG(existing.st_mode):
            os.close(directory)
            raise refused
        return cls(path, directory, path.name)

    def write(self, text: str) -> None:
        """A new file of mode 0600 holding `text`, renamed over the name: never written through an existing link
        (a symlink or a hard link is replaced, not followed), never readable by others while it is being written."""
        directory = self.directory
        if directory is None:
            raise OSError(f"{self.path} was already written")
        temporary = f".{self.name}.{secrets.token_hex(8)}"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            descriptor = os.open(temporary, flags, 0o600, dir_fd=directory)
            try:
                os.fchmod(descriptor, 0o600)
                with os.fdopen(descriptor, "w") as handle:
                    handle.write(text)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, self.name, src_dir_fd=directory, dst_dir_fd=directory)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary, dir_fd=directory)
                raise
        finally:
            self.close()

    def close(self) -> None:
        """Let go of the directory (once: a descriptor number closed twice could be another file's by then)."""
        if self.directory is not None:
            os.close(self.directory)
            self.directory = None


@dataclass(frozen=True)
class UrlDestinations:
    """Where create puts the deployment's URL (the pull request's role): never on stdout or stderr."""

    url_file: UrlFile | None
    github_output: Path | None

    @classmethod
    def from_args(cls, url_file: Path | None, github: bool) -> UrlDestinations:
        """The destinations --url-to-file and --github-output name, refused before anything is created."""
        github_output = None
        if github:
            value = os.environ.get("GITHUB_OUTPUT", "")
            if not value:
                raise UsageError("--github-output needs GITHUB_OUTPUT, which GitHub Actions sets in a workflow step")
            github_output = Path(value)
        return cls(UrlFile.open(url_file) if url_file is not None else None, github_output)

    @property
    def hands_out(self) -> bool:
        """Whether a URL has somewhere to go."""
        return self.url_file is not None or self.github_output is not None

    def close(self) -> None:
        """Let go of what from_args opened (the URL file's directory), written or not."""
        if self.url_file is not None:
            self.url_file.close()

    def mask_in_log(self, url: str, password: str) -> None:
        """Register the deployment's URL and password with the runner's log masker, before anything else runs.

        Only values this run makes: CI_DB_URL reaches the job as a secret, which the runner masks from the start,
        and a mask line is plain text wherever no runner reads it (a terminal, a log file)."""
        if self.github_output is None:
            return
        for value in dict.fromkeys((url, password, quote(password, safe=""))):
            if value:
                # The runner reads workflow commands on stderr as well as stdout (actions/runner,
                # src/Runner.Worker/Handlers/ScriptHandler.cs: an OutputManager on each), so a
                # caller capturing stdout never swallows them. Data escaping per actions/runner
                # src/Runner.Common/ActionCommand.cs (_escapeDataMappings).
                escaped = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
                print(f"::add-mask::{escaped}", file=sys.stderr, flush=True)

    def write_url(self, name: str, url: str) -> None:
        """Write the deployment's URL to each destination (the file with mode 0600, never through a link)."""
        if "\n" in url or "\r" in url:
            # One line per output in $GITHUB_OUTPUT; a line break would let the value forge another.
            raise PreviewDbError(f"the URL of {name} contains a line break; check CI_DB_URL")
        try:
            if self.url_file is not None:
                self.url_file.write(url)
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
        destinations.mask_in_log(url, password)
        return cls(password, url)
