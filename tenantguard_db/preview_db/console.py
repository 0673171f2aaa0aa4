"""What the command says on stderr: its own lines, prefixed preview-db:, and Alembic's upgrade lines."""

from __future__ import annotations

import logging
import sys

# The GitHub Actions runner reads a line as a workflow command when it starts with "::" after any whitespace, or when
# it holds "##[" anywhere (actions/runner src/Runner.Common/ActionCommand.cs: TryParseV2 trims the line's start,
# TryParse looks for the prefix with IndexOf). Text a pull request's role controls (a revision it recorded, an
# object's name in an error) must not become one: every line is prefixed, "##[" broken up.
LEGACY_COMMAND_PREFIX = "##["


def log_to_stderr(message: str) -> None:
    """The command's own message (progress, warning or error) on stderr, each of its lines prefixed with preview-db:
    so that none is a workflow command; flushed so it keeps its place among Alembic's lines."""
    lines = message.splitlines() or [""]
    text = "".join(f"preview-db: {line.replace(LEGACY_COMMAND_PREFIX, '# #[')}\n" for line in lines)
    print(text, end="", file=sys.stderr, flush=True)


def show_upgrades_on_stderr() -> None:
    """Alembic's "Running upgrade a -> b" lines on stderr, so a CI log shows which revisions ran; not its chatter."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)-5.5s [%(name)s] %(message)s"))
    handler.addFilter(lambda record: record.levelno > logging.INFO or record.getMessage().startswith("Running "))
    logging.getLogger("alembic").addHandler(handler)
    logging.getLogger("alembic").setLevel(logging.INFO)
