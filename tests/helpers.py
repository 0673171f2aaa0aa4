"""Assertions every test group shares: no fake secret outside a Pulumi secret."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
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
