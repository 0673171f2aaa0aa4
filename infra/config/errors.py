"""The error bad config raises: every problem at once, one line each, naming the key and never a value."""

from __future__ import annotations


class ConfigError(ValueError):
    """Every problem found in a stack's configuration, one line each; never contains a secret value."""

    def __init__(self, stack: str, problems: list[str]) -> None:
        self.stack = stack
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"stack {stack!r} has invalid configuration:\n{lines}")
