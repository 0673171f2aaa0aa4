"""Rotation counters move by one per change: `--base` refuses a change that lowers one or raises it by more.

Each counter is the keeper of generated passwords (infra/components/generated_secrets.py, database_roles.py): the
session key's previous key is the one of the counter minus one, and a generated login's password is renewed when its
slot's last rotation changes (infra/tables/database_roles.py `slot_rotation`). Raising the database counter by two
renews both logins' passwords, the one running deployments use included; lowering it (a revert of a rotation) renews
the active one and hands a retired password out again; a session key counter raised by two drops the key every signed-in
session was signed with. So the offline plan, which every pull request runs against its base, says so and fails.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from infra.tables.database_roles import ROTATION_KEY as DATABASE_ROTATION

SESSION_KEY_ROTATION = "sessionKeyRotation"

COUNTERS = {
    SESSION_KEY_ROTATION: "docs/how-to/rotate-session-key.md",
    DATABASE_ROTATION: "docs/how-to/rotate-database-password.md",
}
"""Each counter, and the runbook that raises it."""
DEFAULT = 1
"""Pulumi.yaml's default for both."""


def read(values: Mapping[str, str]) -> dict[str, int]:
    """The counters a stack's config sets (its default where absent); one that is not a number is left out (the
    config rules refuse it)."""
    found = {}
    for key in COUNTERS:
        text = values.get(key, str(DEFAULT))
        if text.isdigit():
            found[key] = int(text)
    return found


def steps(plans: Sequence[tuple[str, Mapping[str, int]]], base: Mapping[str, Mapping[str, int]]) -> list[str]:
    """A problem for each counter a stack's change lowers or raises by more than one, against the base."""
    problems = []
    for stack, now in plans:
        before = base.get(stack, {})
        for key, runbook in COUNTERS.items():
            if key not in now or key not in before:
                continue
            if not before[key] <= now[key] <= before[key] + 1:
                problems.append(
                    f"Pulumi.{stack}.yaml: {key} goes from {before[key]} to {now[key]}; raise it by one per reviewed "
                    f"change, never lower it (a revert included): each step renews generated secrets in use "
                    f"({runbook})"
                )
    return problems
