"""What every test group shares: no fake secret outside a Pulumi secret; a copy of what the docs are made from."""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from pulumi.runtime.rpc import is_rpc_secret

from tests.fakes import needles


def assert_no_secret(stack: str, texts: Iterable[str]) -> None:
    """None of `stack`'s distinctive fake secrets appears in any of the texts, in any letter case."""
    text = "\n".join(texts).casefold()
    for needle in needles(stack):
        assert needle.casefold() not in text


def plain_strings(value: Any) -> Iterator[str]:
    """Every string in a resource's state that is not inside a Pulumi secret."""
    if is_rpc_secret(value):
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield str(key)
            yield from plain_strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from plain_strings(item)


STACKS = ("preview", "staging", "production")
"""The stacks this repository ships, in the order changes travel."""


DOCS_FILES = (
    "README.md",
    "workorders/WO-ci-secrets.md",
    "Pulumi.yaml",
    "ci/Pulumi.yaml",
    "ci/Pulumi.ci.yaml",
    ".github/workflows",
    "docs/reference",
)
"""What `python -m tools.docs --dir DIR` reads and writes in a checkout, besides the stack files."""


def docs_checkout(target: Path) -> Path:
    """A copy of the files the generated documents are made from and written to, and of the stack files."""
    root = Path(__file__).resolve().parent.parent
    for name in [*DOCS_FILES, *(path.name for path in sorted(root.glob("Pulumi.*.yaml")))]:
        source, copy = root / name, target / name
        copy.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, copy)
        else:
            shutil.copy(source, copy)
    return target
