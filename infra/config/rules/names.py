"""Names, ids and branches checked whole and once: the check every rule about a name uses."""

from __future__ import annotations

import re
from collections.abc import Collection

from infra.tables.type_tokens import full_key

BRANCH = re.compile(r"[\x21-\x39\x3b-\x3e\x40-\x5a\x5d\x5f-\x7d]{1,255}")
"""What a git branch name (or a deployment branch pattern) may hold: printable ASCII but for what git refuses
(`~ ^ : ? \\ [`, space); every pattern here is matched whole (re.fullmatch), so a trailing newline is not a valid
name. Git itself takes any other character, but a look-alike letter (Cyrillic U+0430 in `main`) names another branch
that reads as this one in a diff and in the plan, and a C1 control rewrites the terminal the plan is read in."""


def name_problems(
    key: str, values: Collection[str], pattern: re.Pattern[str], accepted: str, *, listed: bool = True
) -> list[str]:
    """Each value matches `pattern` whole, none twice (GitHub compares names case-insensitively).

    A message names the key and the item's position, never the value: it may be something that
    belongs elsewhere, pasted here by mistake.
    """
    problems: list[str] = []
    seen: set[str] = set()
    for position, value in enumerate(values, start=1):
        where = f"{full_key(key)} (item {position} of {len(values)})" if listed else full_key(key)
        if not pattern.fullmatch(value):
            problems.append(f"{where} is not accepted; expected {accepted}")
        elif value.casefold() in seen:
            problems.append(f"{where} repeats an earlier item (compared case-insensitively); list each once")
        seen.add(value.casefold())
    return problems
