"""The database roles a stack generates (`databaseCredentials: generated`) and what each may do: one table.

Rendered twice from these rows: into pulumi-postgresql resources (infra/components/database_roles.py), and into SQL
(tools/role_sql.py) that the tests run on a real PostgreSQL, so what the tests prove is what the stack declares.

    migrator     group, NOLOGIN: owns schema public and every object the migrations create; nothing else
    migrator_a/b logins, NOINHERIT, each acting as the migrator group (ALTER ROLE ... SET role): CI_DB_URL
    app          group, NOLOGIN: reads and writes the tables, uses the sequences; no DDL, no other database
    app_a/b      logins acting as the app group: DATABASE_URL
    observer     login, member of nothing: CONNECT, so the drift check can read the catalogs (infra-drift.yml)
    manager      login, preview tier only: makes and drops the per-pull-request databases and roles
                 (tenantguard_db/preview_db/privileges.py lists its rights per subcommand)

Two logins per group alternate, as AWS Secrets Manager's "alternating users" rotation does: rotation N changes the
password of the login of N's parity and hands that one out, so the other, handed out at N-1, keeps working until
rotation N+1. Each login acts as its group, so whatever a session creates is the group's and a dropped login leaves
nothing behind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from infra.tables.tiers import Tier

CREDENTIALS_KEY = "databaseCredentials"
SERVER_KEY = "databaseServer"
ROTATION_KEY = "databaseRotation"
PROVIDED = "provided"
GENERATED = "generated"
CREDENTIAL_MODES = (PROVIDED, GENERATED)

SCHEMA = "public"
"""Where the migrations create their tables (Alembic's default search path): the migrator group owns it."""
PASSWORD_LENGTH = 32
"""Characters of each generated password (letters and digits: nothing a URL must encode)."""
ROLE_PREFIX = "tg_"
MAX_STACK_NAME = 40
"""Role names are `tg_<stack>_<suffix>` within PostgreSQL's 63 bytes; the longest suffix is `_migrator_a`."""

MIGRATOR = "migrator"
APP = "app"
OBSERVER = "observer"
MANAGER = "manager"
SLOTS = ("a", "b")
"""The two logins of each group: slot a serves odd rotations, slot b even ones."""

Kind = Literal["group", "login"]


CATALOG_ONLY = ("pg_catalog", "pg_temp")
"""A search_path that resolves names in the system catalog and the session's own temporary schema only, in that order
(pg_temp last, or it would be searched first: docs, "search_path")."""


@dataclass(frozen=True)
class RoleSpec:
    """One role a generated stack declares; the name is `tg_<stack>_<suffix>`."""

    suffix: str
    kind: Kind
    purpose: str
    inherit: bool
    """Whether it uses its groups' privileges without SET ROLE (NOINHERIT: only once it has switched)."""
    connection_limit: int
    """For a login, how many sessions at once (-1: no limit); a group never logs in, so its limit is documentation."""
    group: str | None = None
    """The group a login is a member of and acts as (`ALTER ROLE login SET role = group`)."""
    create_database: bool = False
    create_role: bool = False
    tiers: tuple[Tier, ...] = ("preview", "staging", "production")
    """The tiers whose stacks declare it."""
    slotted: bool = False
    """Two logins, `_a` and `_b`, alternating with the rotation counter."""
    search_path: tuple[str, ...] = ()
    """Its sessions' search_path (`ALTER ROLE ... SET search_path`) where PostgreSQL's default ("$user", public) would
    not do: a role running catalog queries in a database whose schema public the migrator group owns would resolve an
    unqualified function or operator the group planted there (the class of CVE-2018-1058; docs, "Function Type
    Resolution": an exact match in any schema on the path beats pg_catalog's polymorphic one)."""


ROLES: tuple[RoleSpec, ...] = (
    RoleSpec(MIGRATOR, "group", "owns schema public and what the migrations create", inherit=False, connection_limit=0),
    # NOINHERIT: a session that did not switch to the group (the per-role setting failing is only a WARNING,
    # guc.c set_config_option for PGC_S_USER) holds no right of the group, so it cannot create an object it would own.
    RoleSpec(MIGRATOR, "login", "CI_DB_URL: runs the migrations", False, 5, group=MIGRATOR, slotted=True),
    RoleSpec(APP, "group", "the app's data rights", inherit=False, connection_limit=0),
    RoleSpec(APP, "login", "DATABASE_URL: the app at runtime", True, 50, group=APP, slotted=True),
    # The refresh's catalog queries run as the observer: names resolve in pg_catalog only, so nothing the migrator
    # group defines in public can answer for a built-in (and hide drift).
    RoleSpec(
        OBSERVER,
        "login",
        "the drift check reads the catalogs",
        inherit=False,
        connection_limit=5,
        search_path=CATALOG_ONLY,
    ),
    RoleSpec(
        MANAGER,
        "login",
        "CI_DB_URL in the preview tier: the per-pull-request databases",
        inherit=True,
        connection_limit=50,
        create_database=True,
        create_role=True,
        tiers=("preview",),
    ),
)
"""Every role a generated stack may declare. No role is a superuser, replicates or bypasses row security."""
SLOTTED = frozenset(role.suffix for role in ROLES if role.slotted)
"""The groups whose logins alternate."""


Scope = Literal["database", "schema", "tables", "sequences"]


@dataclass(frozen=True)
class Privilege:
    """What one role (a suffix of ROLES, or PUBLIC) holds on the stack's database or on schema public."""

    grantee: str
    """A role's suffix (MIGRATOR, APP, ...; a slotted login's means both logins), or "public"."""
    scope: Scope
    privileges: tuple[str, ...]
    """Empty: none at all (REVOKE ALL), for PUBLIC."""
    future: bool = False
    """Also on objects the migrator group creates later (ALTER DEFAULT PRIVILEGES FOR ROLE <migrator>)."""
    login: bool = False
    """Granted to the logins themselves, not to their group: CONNECT of a NOINHERIT login, checked before any
    per-role setting switches it to its group (postinit.c: CheckMyDatabase runs before process_settings)."""


PUBLIC = "public"

PRIVILEGES: tuple[Privilege, ...] = (
    # The migrations connect as a migrator login, then act as the group, which owns schema public (below).
    Privilege(MIGRATOR, "database", ("CONNECT",), login=True),
    Privilege(APP, "database", ("CONNECT",)),
    Privilege(APP, "schema", ("USAGE",)),
    Privilege(APP, "tables", ("SELECT", "INSERT", "UPDATE", "DELETE"), future=True),
    Privilege(APP, "sequences", ("USAGE", "SELECT"), future=True),
    Privilege(OBSERVER, "database", ("CONNECT",)),
    Privilege(MANAGER, "database", ("CONNECT",)),
    # PostgreSQL gives PUBLIC CONNECT and TEMPORARY on every new database (docs, "Privileges"): only the roles above.
    Privilege(PUBLIC, "database", ()),
    # Before PostgreSQL 15, PUBLIC may also CREATE in schema public, and a database upgraded or restored from one
    # keeps that (release notes 15, "Remove PUBLIC creation permission on the public schema"): nobody but the owner
    # creates there, or any login could plant a function the others' unqualified names resolve to.
    Privilege(PUBLIC, "schema", ()),
)
"""What each role may do; the migrator group's rights come from owning schema public and what it creates."""

OWNS_SCHEMA = MIGRATOR
"""The group that owns SCHEMA, and so may create, alter and drop in it; what it creates, it owns."""

MAINTENANCE_DATABASES = ("postgres", "template1")
"""Databases every server has and PUBLIC may connect to by default: the runbook's one-time SQL closes them, so an app
login reaches no database but its own (template0 refuses connections already)."""

DATABASE_LOGIN_BY_ROUTE: dict[str, dict[Tier, str]] = {
    # Config key of the provided value -> the generated login that replaces it, per tier.
    "ciDbUrl": {"preview": MANAGER, "staging": MIGRATOR, "production": MIGRATOR},
    "databaseUrl": {"preview": APP, "staging": APP, "production": APP},
}
"""Whose URL each routed secret carries. In the preview tier the environment's CI jobs make a database per pull
request (the app repositories' preview action runs `preview_db` with CI_DB_URL): CI_DB_URL is the manager's there,
as it was before, and the stack's own migration of the shared preview database runs as a migrator login."""

_STACK = re.compile(r"[a-z0-9][a-z0-9_-]*")


def role_prefix(stack: str) -> str:
    """`tg_<stack>`, with `-` as `_`: the roles of two stacks sharing a server never collide."""
    return ROLE_PREFIX + stack.replace("-", "_")


def stack_name_problem(stack: str) -> str | None:
    """Why a stack's name cannot prefix its role names, or None."""
    if not _STACK.fullmatch(stack) or len(stack) > MAX_STACK_NAME:
        return (
            f"a stack generating its database credentials needs a name of lower-case letters, digits, '-' and '_', "
            f"at most {MAX_STACK_NAME} characters (its roles are named tg_<stack>_...)"
        )
    return None


def role_name(stack: str, suffix: str, slot: str | None = None) -> str:
    return f"{role_prefix(stack)}_{suffix}" + (f"_{slot}" if slot else "")


def roles_for(tier: Tier) -> tuple[RoleSpec, ...]:
    return tuple(role for role in ROLES if tier in role.tiers)


def active_slot(rotation: int) -> str:
    """The login slot handed out at rotation N: a for odd N, b for even."""
    return SLOTS[(rotation + 1) % 2]


def slot_rotation(slot: str, rotation: int) -> int:
    """The last rotation (at most N) whose turn `slot` had: its password's keeper. Slot b's is 0 before rotation 2."""
    parity = SLOTS.index(slot)  # a: odd rotations, b: even ones
    return rotation if (rotation + 1) % 2 == parity else rotation - 1


def login_names(stack: str, spec: RoleSpec) -> tuple[str, ...]:
    """The login role names of a spec: two slots, one login, or none for a group."""
    if spec.kind == "group":
        return ()
    if spec.slotted:
        return tuple(role_name(stack, spec.suffix, slot) for slot in SLOTS)
    return (role_name(stack, spec.suffix),)
