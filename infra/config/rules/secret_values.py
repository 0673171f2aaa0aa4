"""Each secret's value: set, trimmed, no longer the docs' example, of its kind, readable by the guard, within GitHub's
limits; and the extra secrets' names."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

from infra.config.schema import declared_config, set_secret_hint
from infra.config.settings import Secret
from infra.guard.database_names import UnguardableValueError, database_identities
from infra.tables.how_to import ADD_LLM_KEY
from infra.tables.reserved_names import reserved
from infra.tables.routes import (
    EXTRA_NAME_RULE,
    EXTRA_SECRETS_KEY,
    ROUTES,
    SECRET_NAME,
    SECRET_NAME_RULE,
    extra_name_shown,
)
from infra.tables.secret_keys import BY_KEY, set_secret_command
from infra.tables.tiers import TierProfile
from infra.tables.type_tokens import full_key
from tenantguard_db.urls import MAPPED_TO_NOTHING

# Limits GitHub documents; a value past one is refused here, before any resource exists.
MAX_ENVIRONMENT_SECRETS = 100  # GitHub: "Environments can have a maximum of 100 secrets" (docs: secrets limits)
MAX_SECRET_BYTES = 48 * 1024  # GitHub: "Secrets are limited to 48 KB in size" (docs: secrets limits)
PLACEHOLDER_MARK = "..."
"""What the docs' example values hold where the real secret goes; a real value never does."""


def problems(stack: str, secrets: Mapping[str, Secret], profile: TierProfile) -> list[str]:
    """The secret keys' values (infra/tables/secret_keys.py), each checked by its kind's validator."""
    found = []
    for key, secret in secrets.items():
        if not secret.value and declared_config()[key].get("default") == "":
            # Left at its empty default (ciDbUrl, databaseUrl: only a stack generating them goes without).
            found.append(f"{full_key(key)} is required: {set_secret_hint(key, stack)}")
            continue
        if not secret.value.strip():
            found.append(f"{full_key(key)} is empty: {set_secret_hint(key, stack)}")
            continue
        if secret.value != secret.value.strip():
            found.append(f"{full_key(key)} starts or ends with whitespace; set the value alone")
            continue
        if PLACEHOLDER_MARK in secret.value:
            found.append(f"{full_key(key)} still holds the documentation's `...`: {set_secret_hint(key, stack)}")
            continue
        if (control := _control_character(secret.value)) is not None:
            found.append(f"{full_key(key)} holds {control}; {CONTROL_RULE}")
            continue
        refused = BY_KEY[key].kind.validate(full_key(key), secret.value, profile)
        found.extend(refused or _unguardable(full_key(key), secret.value))
    return found


def extra_problems(stack: str, extras: Mapping[str, str], is_secret: bool) -> list[str]:
    """The extra secrets (`extraSecrets`): encrypted, named as GitHub, Vercel and the routing table accept and as no
    runtime reads, set, and with no control character in a value."""
    name = full_key(EXTRA_SECRETS_KEY)
    found = []
    if extras and not is_secret:
        found.append(
            f"{name} values must be secrets: set each with "
            f"`{set_secret_command(f'{EXTRA_SECRETS_KEY}.NAME', stack)}` (it asks for the value; {ADD_LLM_KEY})"
        )
    managed = {route.name.upper() for route in ROUTES}
    seen: set[str] = set()
    for position, (secret_name, value) in enumerate(extras.items(), start=1):
        if not SECRET_NAME.fullmatch(secret_name) or not extra_name_shown(secret_name):
            # The name is not shown: a value pasted as a name would be printed.
            found.append(
                f"{name}: name {position} of {len(extras)} is not accepted; extra secret names are "
                f"{EXTRA_NAME_RULE} ({SECRET_NAME_RULE}; {ADD_LLM_KEY})"
            )
            continue
        if (row := reserved(secret_name)) is not None:
            taken = f"{row.name}*" if row.prefix else row.name
            found.append(
                f"{name}: {secret_name!r} is a name to leave alone ({taken}: {row.does}; {row.source}); "
                f"choose another name ({ADD_LLM_KEY})"
            )
        elif secret_name.upper() in managed:
            found.append(
                f"{name}: {secret_name!r} is managed by this program already; choose another name ({ADD_LLM_KEY})"
            )
        elif secret_name.upper() in seen:
            found.append(f"{name}: {secret_name!r} differs from another name only in case; GitHub treats them as one")
        if not value.strip():
            found.append(f"{name}: {secret_name!r} is empty")
        elif value != value.strip():
            found.append(f"{name}: {secret_name!r} starts or ends with whitespace; set the value alone")
        elif (control := _control_character(value)) is not None:
            found.append(f"{name}: {secret_name!r} holds {control}; {CONTROL_RULE}")
        elif PLACEHOLDER_MARK in value:
            found.append(f"{name}: {secret_name!r} still holds the documentation's `...`; set the real value")
        else:
            found.extend(_unguardable(f"{name}.{secret_name}", value))
        seen.add(secret_name.upper())
    return found


CONTROL_RULE = "a value holds printable text, tabs and line breaks only (binary material goes in base64)"
INVISIBLE_CATEGORIES = ("Cf", "Zl", "Zp")
"""Format characters (soft hyphen, zero-width, bidi overrides, U+FEFF) and the Unicode line and paragraph separators:
invisible where the value is shown, U+2028/U+2029 end a line for JavaScript; with the variation selectors and the
rest a resolver maps to nothing (tenantguard_db.urls.MAPPED_TO_NOTHING), they also hide a host from the
production-database guard while the driver reaches it. No key or token holds one."""


def _control_character(value: str) -> str | None:
    """The control character the value holds, if any, said without quoting the value; tabs, line feeds and CR LF
    pairs are text.

    Neither GitHub nor Vercel documents a rule for them (GitHub limits a value's size only), so this is ours, from
    where the value goes. A process environment is a list of NUL-terminated strings (POSIX `execve`): a NUL cuts the
    value short there or the runtime refuses it (Python's `os.environ`: "embedded null byte"). Any other control
    character (an escape sequence, a backspace, a carriage return without its line feed) is invisible in GitHub's and
    Vercel's settings pages and can rewrite what a terminal or a log shows around it; no key holds one, so it came
    with something pasted alongside. The same holds for the invisible characters (INVISIBLE_CATEGORIES). Line breaks
    and tabs stay: multi-line material holds them (a PEM key, a `.env` or JSON document, which the
    production-database guard reads line by line); a workflow writing such a value to `$GITHUB_ENV` uses the
    delimiter form GitHub documents ("Workflow commands", "Multiline strings").
    """
    for index, character in enumerate(value):
        if character == "\x00":
            return "a NUL character"
        if character in "\t\n" or (character == "\r" and value[index + 1 : index + 2] == "\n"):
            continue
        category = unicodedata.category(character)
        if category == "Cc":
            return f"a control character (U+{ord(character):04X})"
        if category in INVISIBLE_CATEGORIES or ord(character) in MAPPED_TO_NOTHING:
            return f"an invisible character (U+{ord(character):04X})"
    return None


def limit_problems(routed: Mapping[str, Secret], extras: Mapping[str, Secret]) -> list[str]:
    """What GitHub (the stricter of the two providers) would refuse only after other secrets were written."""
    found = []
    delivered = [route.name for route in ROUTES if route.github] + list(extras)
    if len(delivered) > MAX_ENVIRONMENT_SECRETS:
        found.append(
            f"{full_key(EXTRA_SECRETS_KEY)} brings the environment to {len(delivered)} secrets; "
            f"GitHub allows at most {MAX_ENVIRONMENT_SECRETS} per environment"
        )
    sources = {route.name: full_key(route.source) for route in ROUTES}
    for name, secret in {**routed, **extras}.items():
        if len(secret.value.encode()) > MAX_SECRET_BYTES:
            where = sources.get(name, f"{full_key(EXTRA_SECRETS_KEY)} ({name})")
            found.append(f"{where} is over {MAX_SECRET_BYTES // 1024} KB, GitHub's limit for one secret")
    return found


def _unguardable(where: str, value: str) -> list[str]:
    """A PostgreSQL URL or libpq keyword string, anywhere in the value, that the production-database guard
    could not compare (it reads them as libpq does).

    Refused in every tier, whatever key holds it: production fingerprints every database it distributes,
    and the other stacks compare every one of theirs (infra/stack.py guarded_values).
    """
    try:
        database_identities(value)
    except UnguardableValueError as refused:
        return [f"{where} {refused}"]
    return []
