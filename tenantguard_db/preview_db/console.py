"""What the command says on stderr: its own lines, prefixed preview-db:, and Alembic's upgrade lines."""

from __future__ import annotations

import logging
import sys


def log_to_stderr(message: str) -> None:
    """One line of the command's own (progress, warning or error) on stderr, flushed so it keeps its place among
    Alembic's lines."""
    print(f"preview-db: {message}", file=sys.stderr, flush=True)


def show_upgrades_on_stderr() -> None:
    """Alembic's "Running upgrade a -> b" lines on stderr, so a CI log shows which revisions ran; not its chatter."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)-5.5s [%(name)s] %(message)s"))
    handler.addFilter(lambda record: record.levelno > logging.INFO or record.getMessage().startswith("Running "))
    logging.getLogger("alembic").addHandler(handler)
    logging.getLogger("alembic").setLevel(logging.INFO)
