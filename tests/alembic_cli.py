"""The alembic command line: as CI runs it (its own process), or the same command in this process.

`alembic_cli` is for the tests of the command line itself (what an operator types and sees, exit codes,
processes racing or killed); `alembic_in_process` runs the same command through Alembic's own CommandLine
in this process, for the tests of what env.py does, without paying ~0.4 s for starting Python each time.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import signal
import subprocess
import sys
import traceback
from collections.abc import Iterator, Mapping
from pathlib import Path

from alembic.config import CommandLine, Config

ROOT = Path(__file__).resolve().parent.parent
ALEMBIC = [sys.executable, "-m", "alembic"]
# No test waits on a hung CLI forever: a run that outlives this fails its test instead.
CLI_TIMEOUT = 120.0


def cli_environment(url: str | None = None, **env: str) -> dict[str, str]:
    """The environment a CLI run gets: ours without database URLs, then `url` as CI_DB_URL and `env`."""
    environment = {k: v for k, v in os.environ.items() if k not in ("CI_DB_URL", "DATABASE_URL")}
    environment["PYTHONPATH"] = str(ROOT)
    if url is not None:
        environment["CI_DB_URL"] = url
    environment.update(env)
    return environment


def alembic_cli(
    *args: str,
    url: str | None = None,
    cwd: Path = ROOT,
    timeout: float = CLI_TIMEOUT,
    variables: Mapping[str, str] | None = None,
    **env: str,
) -> subprocess.CompletedProcess[str]:
    """Run the alembic CLI; `cwd` may be a copy of the migrations (tenantguard_db stays importable).

    Environment variables come as keywords, or in `variables` when their names are data.
    """
    return subprocess.run(
        [*ALEMBIC, *args],
        cwd=cwd,
        env=cli_environment(url, **(variables or {}), **env),
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


def alembic_in_process(
    *args: str,
    url: str | None = None,
    cwd: Path = ROOT,
    timeout: float = CLI_TIMEOUT,
    variables: Mapping[str, str] | None = None,
    **env: str,
) -> subprocess.CompletedProcess[str]:
    """`alembic_cli`'s command run in this process: the same environment, exit code, stdout, and log lines.

    Log records are formatted as alembic.ini's handler formats them and returned as stderr, at the levels
    alembic.ini sets (alembic INFO, everything else WARNING); the process's own logging is left alone. A
    run that outlives `timeout` raises TimeoutError (SIGALRM: call it from the main thread, as pytest does).
    """
    command_line = CommandLine(prog="alembic")
    options = command_line.parser.parse_args(list(args))
    stdout, stderr = io.StringIO(), io.StringIO()
    config = Config(str(cwd / "alembic.ini"), cmd_opts=options, stdout=stdout)
    # As the CLI's env.py would set it up, minus fileConfig, which would replace this process's handlers.
    config.attributes["configure_logger"] = False
    handler = logging.StreamHandler(stderr)
    handler.setFormatter(logging.Formatter("%(levelname)-5.5s [%(name)s] %(message)s"))
    returncode = 0
    environment = cli_environment(url, **(variables or {}), **env)
    with _environment(environment), _logged_to(handler), _deadline(timeout, f"alembic {' '.join(args)}"):
        try:
            with contextlib.redirect_stdout(stdout):
                command_line.run_cmd(config, options)
        except SystemExit as exit_:
            # alembic.util.err: the message, then sys.exit(-1); a process exits with 255.
            returncode = int(exit_.code or 0) % 256
        except Exception:
            returncode = 1
            stderr.write(traceback.format_exc())
    return subprocess.CompletedProcess(["alembic", *args], returncode, stdout.getvalue(), stderr.getvalue())


@contextlib.contextmanager
def _deadline(seconds: float, what: str) -> Iterator[None]:
    """No test waits on a hung in-process run forever either: TimeoutError once `seconds` have passed.

    The alarm interrupts whatever the run is waiting on; env.py may report that as a failed migration,
    so the TimeoutError is raised again when the run returns, however it ended.
    """
    expired: list[bool] = []

    def expire(_signal: int, _frame: object) -> None:
        expired.append(True)
        raise TimeoutError(f"{what} ran for more than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    if expired:
        raise TimeoutError(f"{what} ran for more than {seconds:g} s")


@contextlib.contextmanager
def _environment(environment: Mapping[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(environment)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def _logged_to(handler: logging.Handler) -> Iterator[None]:
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("alembic", "alembic.util.messaging")}
    root.addHandler(handler)
    logging.getLogger("alembic").setLevel(logging.INFO)
    # env.py silences this logger in the CLI, which prints each CommandError itself as "FAILED: ...".
    logging.getLogger("alembic.util.messaging").setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def alembic_process(*args: str, url: str | None = None, cwd: Path = ROOT, **env: str) -> subprocess.Popen[str]:
    """Start the alembic CLI without waiting for it, for tests that signal or race it."""
    return subprocess.Popen(
        [*ALEMBIC, *args],
        cwd=cwd,
        env=cli_environment(url, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def migrations_with(directory: Path, revision_0004: str) -> Path:
    """A copy of the migrations in `directory` with a fourth revision whose upgrade() body is given."""
    copy = directory / "project"
    shutil.copytree(ROOT / "alembic", copy / "alembic", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "alembic.ini", copy / "alembic.ini")
    body = "\n".join("    " + line for line in revision_0004.strip().splitlines())
    (copy / "alembic" / "versions" / "0004_extra.py").write_text(
        '"""an extra revision for one test"""\n'
        "import sqlalchemy as sa\n"
        "from alembic import op\n"
        'revision = "0004"\ndown_revision = "0003"\nbranch_labels = None\ndepends_on = None\n\n'
        f"def upgrade() -> None:\n{body}\n\n"
        "def downgrade() -> None:\n"
        "    pass\n"
    )
    return copy
