"""Which names are credentials' and where each may be given a value.

A managed name (the routing table's, and the stack's extra secrets') belongs in one place: a GitHub
environment secret or a sensitive Vercel project variable, as its route says. A legacy name (the
stack's `legacySecretNames`) belongs nowhere, and neither does a look-alike of either (CI_DB_URL_2,
STAGING_REDIS_URL): a second copy under a new name is still a copy. GitHub names ignore case.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from infra.tables.routes import ROUTES
from policy.catalog import Place

_WORD = re.compile(r"[A-Z]+|[0-9]+")
_IDENTIFIER = re.compile(r"(?<![A-Za-z0-9_])[A-Za-z_][A-Za-z0-9_]*")


def _words(name: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(name.upper()))


def _contains(words: tuple[str, ...], part: tuple[str, ...]) -> bool:
    return any(words[start : start + len(part)] == part for start in range(len(words) - len(part) + 1))


@dataclass(frozen=True)
class Names:
    github: frozenset[str]
    """Upper-case names that belong as GitHub environment secrets."""
    vercel: frozenset[str]
    """Upper-case names that belong as sensitive Vercel project variables."""
    legacy: frozenset[str]

    @classmethod
    def of(cls, extras: Iterable[str], legacy: Iterable[str]) -> Names:
        """The routing table's names plus the stack's extra secrets (delivered to both places), and its legacy names."""
        extra = {name.upper() for name in extras}
        return cls(
            github=frozenset({route.name.upper() for route in ROUTES if route.github} | extra),
            vercel=frozenset({route.name.upper() for route in ROUTES if route.vercel} | extra),
            legacy=frozenset(name.upper() for name in legacy),
        )

    @property
    def managed(self) -> frozenset[str]:
        return self.github | self.vercel

    def credential(self, name: str) -> str | None:
        """The credential name `name` is, or looks like (its words contain one of two words or more), or None."""
        upper = name.upper()
        known = self.managed | self.legacy
        if upper in known:
            return upper
        words = _words(upper)
        alike = [base for base in known if len(_words(base)) > 1 and _contains(words, _words(base))]
        return max(alike, key=len) if alike else None

    def named_in(self, text: str) -> list[str]:
        """The identifiers in `text` (a command, a script) that are or look like credential names."""
        found = (match[0] for match in _IDENTIFIER.finditer(text))
        return list(dict.fromkeys(name for name in found if self.credential(name) is not None))

    def problem(self, name: str, place: Place) -> str | None:
        """Why `name` may not be given a value in `place`, or None when it may."""
        upper = name.upper()
        if (upper in self.github and place is Place.GITHUB_ENVIRONMENT) or (
            upper in self.vercel and place is Place.VERCEL_PROJECT
        ):
            return None
        if upper in self.legacy:
            return f"{name} is a legacy credential name: no job or deployment may read it any more"
        if upper in self.managed:
            return f"{name} is managed by this stack and belongs in {self._home(upper)} only"
        if (alike := self.credential(upper)) is not None:
            return f"{name} looks like a copy of {alike}: a second copy under another name is still a copy"
        return None

    def _home(self, upper: str) -> str:
        homes = ((Place.GITHUB_ENVIRONMENT, self.github), (Place.VERCEL_PROJECT, self.vercel))
        return " or ".join(place.value for place, names in homes if upper in names)
