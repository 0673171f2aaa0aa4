"""The session key's rotation: a counter from 1 up, the day it was last raised, and the overlap window."""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from typing import Any

from infra.tables.type_tokens import full_key

MAX_OVERLAP_DAYS = 90
_ROTATION = re.compile(r"[1-9][0-9]{0,5}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def problems(typed: Mapping[str, Any], today: datetime.date) -> list[str]:
    if not _ROTATION.fullmatch(typed["sessionKeyRotation"]):
        return [f"{full_key('sessionKeyRotation')} must be a whole number from 1 up (raise it by one to rotate)"]
    found = []
    rotated_on = typed["sessionKeyRotatedOn"]
    if rotated_on:
        try:
            date = datetime.date.fromisoformat(rotated_on) if _DATE.fullmatch(rotated_on) else None
        except ValueError:
            date = None
        if date is None:
            found.append(f"{full_key('sessionKeyRotatedOn')} must be a date written YYYY-MM-DD")
        elif date > today:
            found.append(f"{full_key('sessionKeyRotatedOn')} is in the future; set the day of the rotation")
    elif int(typed["sessionKeyRotation"]) > 1:
        found.append(
            f"{full_key('sessionKeyRotatedOn')} is required once sessionKeyRotation is above 1: set it to the day "
            "you raised it (YYYY-MM-DD), so the previous key is delivered for sessionKeyOverlapDays"
        )
    if not 0 <= typed["sessionKeyOverlapDays"] <= MAX_OVERLAP_DAYS:
        found.append(f"{full_key('sessionKeyOverlapDays')} must be between 0 and {MAX_OVERLAP_DAYS}")
    return found
