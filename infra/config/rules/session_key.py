"""The session key's rotation: a counter from 1 up, and the day the previous key's window ends, as written.

Nothing here reads the clock, so one commit declares the same resources whatever day it runs: the previous key is
delivered while `sessionKeyPreviousUntil` is set, and retired by removing it, a reviewed change (the offline plan
says when the day has passed).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Collection, Mapping
from typing import Any

from infra.tables.how_to import RETIRE_PREVIOUS_SESSION_KEY, ROTATE_SESSION_KEY
from infra.tables.type_tokens import full_key

PREVIOUS_UNTIL = "sessionKeyPreviousUntil"
REPLACED = ("sessionKeyRotatedOn", "sessionKeyOverlapDays")
"""The keys before sessionKeyPreviousUntil: the window's end was computed from the day the program ran."""
_ROTATION = re.compile(r"[1-9][0-9]{0,5}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_date(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text) if _DATE.fullmatch(text) else None
    except ValueError:
        return None


def problems(stack: str, typed: Mapping[str, Any], configured: Collection[str]) -> list[str]:
    """Problems of the rotation keys; `configured` names the keys the stack file sets (not defaults)."""
    found = _replaced(stack, typed, configured)
    if not _ROTATION.fullmatch(typed["sessionKeyRotation"]):
        return [
            *found,
            f"{full_key('sessionKeyRotation')} must be a whole number from 1 up (raise it by one to rotate: "
            f"{ROTATE_SESSION_KEY})",
        ]
    until = typed[PREVIOUS_UNTIL]
    if until and parse_date(until) is None:
        found.append(
            f"{full_key(PREVIOUS_UNTIL)} must be a date written YYYY-MM-DD (a day in UTC), or empty "
            f"({ROTATE_SESSION_KEY})"
        )
    elif until and int(typed["sessionKeyRotation"]) < 2:
        found.append(
            f"{full_key(PREVIOUS_UNTIL)} is set, but at rotation 1 there is no previous key: remove it "
            f"(`pulumi config rm --stack {stack} {PREVIOUS_UNTIL}`; {RETIRE_PREVIOUS_SESSION_KEY})"
        )
    return found


def _replaced(stack: str, typed: Mapping[str, Any], configured: Collection[str]) -> list[str]:
    """A stack that still sets the replaced keys, with the one command that says the same thing now."""
    if not any(key in configured for key in REPLACED):
        return []
    rotated_on = parse_date(str(typed.get("sessionKeyRotatedOn") or ""))
    overlap = typed.get("sessionKeyOverlapDays")
    command = " && ".join(f"pulumi config rm --stack {stack} {key}" for key in REPLACED)
    if rotated_on is not None and isinstance(overlap, int):
        until = rotated_on + datetime.timedelta(days=overlap)
        command += f" && pulumi config set --stack {stack} {PREVIOUS_UNTIL} {until.isoformat()}"
    return [
        f"{full_key('sessionKeyRotatedOn')} and {full_key('sessionKeyOverlapDays')} are replaced by "
        f"{full_key(PREVIOUS_UNTIL)}, the window's last day as written (the program no longer reads the clock): "
        f"`{command}` ({ROTATE_SESSION_KEY})"
    ]
