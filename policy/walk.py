"""Reading a resource's inputs as the policy SDK hands them over: nested mappings and sequences, some values unknown.

During a preview an input that depends on another resource's output is unknown, and the SDK's proxy
raises UnknownValueError when it is read. A value not known yet cannot be judged: these helpers skip it,
and `pulumi up` judges the known value before the resource is created.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from pulumi_policy.proxy import UnknownValueError

T = TypeVar("T")

Path = tuple[str | int, ...]
"""Keys and list indices from a resource's inputs down to one value."""


def known(read: Callable[[], T], default: T) -> T:
    """`read()`, or `default` when the value it reads is not known during a preview."""
    try:
        return read()
    except UnknownValueError:
        return default


def field(props: Any, key: str | None) -> Any:
    """`props[key]` when `props` is a mapping holding a known value there, else None."""
    if key is None or not isinstance(props, Mapping):
        return None
    return known(lambda: props.get(key), None)


def entries(value: Any) -> Iterator[tuple[str, Any]]:
    """The known (key, value) pairs of a mapping; nothing for anything else."""
    if isinstance(value, Mapping):
        for key in list(value):
            try:
                item = value[key]
            except UnknownValueError:
                continue
            if item is not None:
                yield str(key), item


def items(value: Any) -> Iterator[tuple[int, Any]]:
    """The known (index, item) pairs of a sequence that is not a string; nothing for anything else."""
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        for index in range(len(value)):
            try:
                item = value[index]
            except UnknownValueError:
                continue
            if item is not None:
                yield index, item


def children(value: Any) -> Iterator[tuple[str | int, Any]]:
    if isinstance(value, Mapping):
        yield from entries(value)
    else:
        yield from items(value)


def strings(value: Any, path: Path = ()) -> Iterator[tuple[Path, str]]:
    """Every known string below `value`, with its path."""
    if isinstance(value, str):
        yield path, value
        return
    for step, item in children(value):
        yield from strings(item, (*path, step))


def pairs(value: Any, path: Path = ()) -> Iterator[tuple[Path, str]]:
    """Every string held under a mapping key below `value`, with its path (ending in that key)."""
    for step, item in children(value):
        if isinstance(item, str):
            if isinstance(step, str):
                yield (*path, step), item
        else:
            yield from pairs(item, (*path, step))


def under(path: Path, prefix: tuple[str | int, ...]) -> bool:
    """Whether `path` leads through `prefix`; a prefix without list indices matches any index."""
    if any(isinstance(step, int) for step in prefix):
        return path[: len(prefix)] == prefix
    keys = tuple(step for step in path if isinstance(step, str))
    return keys[: len(prefix)] == prefix


def describe(path: Path) -> str:
    """`variables[0].value`: a path as the reader writes it."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else f".{step}" if text else step
    return text or "its inputs"
