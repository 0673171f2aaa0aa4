"""docs/reference/commands.md: every command-line entry point of tools/ and tenantguard_db/ (a module, or a package's
__main__, whose command line is an argparse parser), with the help its own parser prints at a fixed width."""

from __future__ import annotations

import ast
import io
import os
import re
import runpy
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

from tools import evaluator
from tools.docs.markdown import Page, code, codes, fenced, table

SCANNED = ("tools", "tenantguard_db")
WIDTH = 100
"""Columns argparse wraps the help to, whatever the terminal (it reads COLUMNS through shutil.get_terminal_size)."""
RUNNERS = (".github/workflows", ".github/actions", "scripts")
"""Where the project itself runs these commands: each command's row says which of these files do."""
UV = "./scripts/uv run"
_SUBCOMMANDS = re.compile(r"^usage: \S+(?: \S+)* \{([\w,-]+)\}", re.MULTILINE)


@dataclass(frozen=True)
class Command:
    module: str
    summary: str
    """The first line of the module's docstring (the package's, for a package run by its __main__)."""


def _is_main_guard(node: ast.stmt) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and any(isinstance(c, ast.Constant) and c.value == "__main__" for c in test.comparators)
    )


def _imports_argparse(tree: ast.Module) -> bool:
    return any(
        isinstance(node, ast.Import) and any(alias.name == "argparse" for alias in node.names)
        for node in ast.walk(tree)
    )


def _module(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] in ("__init__", "__main__") else parts)


def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text())


def _first_line(tree: ast.Module) -> str:
    return (ast.get_docstring(tree) or "").split("\n\n")[0].replace("\n", " ").strip()


def commands(root: Path = evaluator.ROOT) -> list[Command]:
    """Modules with a `__main__` guard whose own source parses arguments with argparse, and packages whose __main__
    runs a module of theirs that does."""
    found = []
    for top in SCANNED:
        for path in sorted((root / top).rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            tree = _parse(path)
            if path.name == "__main__.py":
                package = path.parent
                called = [
                    root / Path(*node.module.split(".")).with_suffix(".py")
                    for node in ast.walk(tree)
                    if isinstance(node, ast.ImportFrom) and node.module
                ]
                if any(target.is_file() and _imports_argparse(_parse(target)) for target in called):
                    found.append(Command(_module(path, root), _first_line(_parse(package / "__init__.py"))))
            elif any(_is_main_guard(node) for node in tree.body) and _imports_argparse(tree):
                found.append(Command(_module(path, root), _first_line(tree)))
    return sorted(found, key=lambda command: command.module)


@contextmanager
def _fixed_terminal() -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in ("COLUMNS", "NO_COLOR")}
    os.environ["COLUMNS"] = str(WIDTH)
    os.environ["NO_COLOR"] = "1"  # argparse colours its help from Python 3.14 on
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def help_text(module: str, *arguments: str) -> str:
    """What `python -m MODULE ARGUMENTS... --help` prints, run in this process as `-m` runs it, at WIDTH columns."""
    printed = io.StringIO()
    argv = sys.argv
    sys.argv = [module, *arguments, "--help"]
    try:
        with _fixed_terminal(), redirect_stdout(printed), redirect_stderr(io.StringIO()), warnings.catch_warnings():
            # runpy warns when the module is already imported (this process imported most of them).
            warnings.simplefilter("ignore", RuntimeWarning)
            runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exit_:
        if exit_.code not in (0, None):
            raise RuntimeError(f"python -m {module} {' '.join(arguments)} --help exited {exit_.code}") from None
    finally:
        sys.argv = argv
    return printed.getvalue()


def run_by(module: str, root: Path = evaluator.ROOT) -> list[str]:
    """The workflows, actions and scripts that run `python -m MODULE`."""
    pattern = re.compile(rf"-m {re.escape(module)}(?![\w.])")
    found = []
    for top in RUNNERS:
        for path in sorted((root / top).rglob("*")):
            if path.is_file() and pattern.search(path.read_text(errors="replace")):
                found.append(path.relative_to(root).as_posix())
    return found


def section(command: Command) -> str:
    top = help_text(command.module)
    lines = [
        f"## {command.module}",
        "",
        fenced("bash", [f"{UV} python -m {command.module} --help"]),
        fenced("text", top.rstrip().splitlines()),
    ]
    subcommands = _SUBCOMMANDS.search(top)
    for name in subcommands.group(1).split(",") if subcommands else []:
        lines += [
            f"### {command.module} {name}",
            "",
            fenced("text", help_text(command.module, name).rstrip().splitlines()),
        ]
    return "\n".join(lines)


def body(root: Path) -> str:
    found = commands()
    rows = [
        (f"[{code('python -m ' + c.module)}](#{c.module.replace('.', '')})", c.summary, codes(run_by(c.module), ""))
        for c in found
    ]
    intro = (
        f"Every command-line entry point of {', '.join(f'`{top}/`' for top in SCANNED)}: a module run with "
        f"`python -m`, with the help its own argparse parser prints ({WIDTH} columns). Run each from the repository "
        f"root as `{UV} python -m MODULE ...` (`./scripts/uv` runs the uv `./scripts/setup` installed, on PATH or "
        "not). The last column names the workflows, actions and scripts that run it themselves; `./scripts/plan` is "
        "`python -m tools.plan` with its arguments.\n\n"
    )
    return intro + table(("command", "what it does", "run by"), rows) + "\n" + "\n".join(section(c) for c in found)


PAGE = Page(
    "docs/reference/commands.md",
    "Commands",
    "every `python -m` command an operator or a workflow runs, with its usage",
    tuple(f"{top}/**" for top in SCANNED),
    body,
)
