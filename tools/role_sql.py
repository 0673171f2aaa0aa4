"""The privilege table (infra/tables/database_roles.py) as the SQL pulumi-postgresql runs for it, for a real PostgreSQL.

The tests run this SQL on a throwaway server and prove the roles' rights there; an administrator can read it to see
what `pulumi up` of a generated stack does. Each statement is the one the provider's resource issues (cyrilgdn/
terraform-provider-postgresql at ff936b95, the commit pulumi-postgresql 3.18.0 wraps):

    Role               CREATE ROLE ... (resource_postgresql_role.go), GRANT <each of roles> TO <role>, and
                       ALTER ROLE <role> SET ROLE TO <assume_role> (setAssumeRole); a new password:
                       ALTER ROLE <role> PASSWORD '<password>' (setRolePassword)
    Schema             ALTER SCHEMA <name> OWNER TO <owner> for an existing schema (createSchema)
    Grant              REVOKE ALL ... FROM <role>, then GRANT <privileges> ON DATABASE | SCHEMA | ALL TABLES IN SCHEMA
                       | ALL SEQUENCES IN SCHEMA ... TO <role>, in one transaction (resource_postgresql_grant.go)
    DefaultPrivileges  ALTER DEFAULT PRIVILEGES FOR ROLE <owner> IN SCHEMA <schema> GRANT ... ON TABLES | SEQUENCES
                       TO <role> (resource_postgresql_default_privileges.go)
    Role, deleted      REASSIGN OWNED BY <role> TO <admin>; DROP OWNED BY <role>; DROP ROLE <role>

An administrator who is not a superuser is granted the role it acts for around a statement that needs it, and that
grant is revoked afterwards, as the provider's withRolesGranted does (helpers.go).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from psycopg import sql

from infra.tables.database_roles import (
    OWNS_SCHEMA,
    PRIVILEGES,
    PUBLIC,
    SCHEMA,
    SLOTS,
    RoleSpec,
    login_names,
    role_name,
    roles_for,
    slot_rotation,
)
from infra.tables.tiers import Tier

Password = Callable[[str, int], str]
"""(login, the rotation its password was made at) -> the password: what RandomPassword's keeper decides."""

_ON = {
    "database": "DATABASE",
    "schema": "SCHEMA",
    "tables": "ALL TABLES IN SCHEMA",
    "sequences": "ALL SEQUENCES IN SCHEMA",
}
_DEFAULT_ON = {"tables": "TABLES", "sequences": "SEQUENCES"}


@dataclass(frozen=True)
class Roles:
    """One stack's generated roles, as SQL."""

    stack: str
    tier: Tier
    database: str

    def name(self, suffix: str, slot: str | None = None) -> str:
        return role_name(self.stack, suffix, slot)

    def server(self, password: Password, rotation: int) -> list[sql.Composed]:
        """The roles, their memberships and per-role settings: run once, in any database, by the administrator."""
        statements: list[sql.Composed] = []
        for spec in roles_for(self.tier):
            if spec.kind == "group":
                statements.append(_create(self.name(spec.suffix), spec, None))
                continue
            for login in login_names(self.stack, spec):
                statements.append(_create(login, spec, password(login, self.keeper(spec, login, rotation))))
                if spec.search_path:
                    statements.append(
                        sql.SQL("ALTER ROLE {} SET search_path TO {}").format(
                            sql.Identifier(login), sql.SQL(", ").join(map(sql.Identifier, spec.search_path))
                        )
                    )
                if spec.group:
                    group = sql.Identifier(self.name(spec.group))
                    statements.append(sql.SQL("GRANT {} TO {}").format(group, sql.Identifier(login)))
                    statements.append(sql.SQL("ALTER ROLE {} SET ROLE TO {}").format(sql.Identifier(login), group))
        return statements

    def rotate(self, password: Password, before: int, after: int) -> list[sql.Composed]:
        """What raising the counter from `before` to `after` changes: the passwords whose keeper changed."""
        statements = []
        for spec in roles_for(self.tier):
            for login in login_names(self.stack, spec):
                new = self.keeper(spec, login, after)
                if new != self.keeper(spec, login, before):
                    statements.append(
                        sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                            sql.Identifier(login), sql.Literal(password(login, new))
                        )
                    )
        return statements

    def database_rights(self, admin_is_superuser: bool = False) -> list[sql.Composed]:
        """Schema ownership, grants and default privileges: run connected to the stack's database."""
        owner = sql.Identifier(self.name(OWNS_SCHEMA))
        statements = _as_member(
            owner, admin_is_superuser, [sql.SQL("ALTER SCHEMA {} OWNER TO {}").format(sql.Identifier(SCHEMA), owner)]
        )
        present = {spec.suffix: spec for spec in roles_for(self.tier)}
        for privilege in PRIVILEGES:
            if privilege.grantee != PUBLIC and privilege.grantee not in present:
                continue
            grantees: list[sql.Composable]
            if privilege.grantee == PUBLIC:
                grantees = [sql.SQL("PUBLIC")]
            elif privilege.login:
                grantees = [sql.Identifier(n) for n in login_names(self.stack, present[privilege.grantee])]
            else:
                grantees = [sql.Identifier(self.name(privilege.grantee))]
            target = sql.Identifier(self.database if privilege.scope == "database" else SCHEMA)
            on = sql.SQL(_ON[privilege.scope])
            for grantee in grantees:
                # The objects belong to the migrator group, so a non-superuser administrator acts as a member of it.
                revoke_grant = [sql.SQL("REVOKE ALL ON {} {} FROM {}").format(on, target, grantee)]
                if privilege.privileges:
                    revoke_grant.append(
                        sql.SQL("GRANT {} ON {} {} TO {}").format(
                            _privileges(privilege.privileges), on, target, grantee
                        )
                    )
                statements += _as_member(owner, admin_is_superuser, revoke_grant)
                if privilege.future:
                    default = sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT {} ON {} TO {}").format(
                        owner,
                        sql.Identifier(SCHEMA),
                        _privileges(privilege.privileges),
                        sql.SQL(_DEFAULT_ON[privilege.scope]),
                        grantee,
                    )
                    statements += _as_member(owner, admin_is_superuser, [default])
        return statements

    def drop_login(self, login: str) -> list[sql.Composed]:
        """What deleting a login's Role does (resourcePostgreSQLRoleDelete), in the provider's database."""
        role = sql.Identifier(login)
        owned = [sql.SQL("REASSIGN OWNED BY {} TO CURRENT_USER").format(role), sql.SQL("DROP OWNED BY {}").format(role)]
        return [*_as_member(role, False, owned), sql.SQL("DROP ROLE {}").format(role)]

    def keeper(self, spec: RoleSpec, login: str, rotation: int) -> int:
        """The rotation a login's password was made at, as of `rotation` (its RandomPassword's keeper)."""
        if not spec.slotted:
            return rotation
        slot = next(slot for slot in SLOTS if login.endswith(f"_{slot}"))
        return slot_rotation(slot, rotation)


def _create(name: str, spec: RoleSpec, password: str | None) -> sql.Composed:
    options = [
        "LOGIN" if spec.kind == "login" else "NOLOGIN",
        "NOSUPERUSER",
        "CREATEDB" if spec.create_database else "NOCREATEDB",
        "CREATEROLE" if spec.create_role else "NOCREATEROLE",
        "INHERIT" if spec.inherit else "NOINHERIT",
        "NOREPLICATION",
        "NOBYPASSRLS",
        f"CONNECTION LIMIT {int(spec.connection_limit)}",
    ]
    statement = sql.SQL("CREATE ROLE {} ").format(sql.Identifier(name)) + sql.SQL(" ".join(options))
    if password is not None:
        statement += sql.SQL(" PASSWORD {}").format(sql.Literal(password))
    return statement


def _privileges(privileges: tuple[str, ...]) -> sql.Composable:
    return sql.SQL(", ").join(sql.SQL(privilege) for privilege in privileges)


def _as_member(role: sql.Identifier, superuser: bool, statements: list[sql.Composed]) -> list[sql.Composed]:
    if superuser:
        return statements
    return [
        sql.SQL("GRANT {} TO CURRENT_USER").format(role),
        *statements,
        sql.SQL("REVOKE {} FROM CURRENT_USER").format(role),
    ]


def passwords(seed: str) -> Password:
    """Distinct, stable fake passwords per login and keeper (a stand-in for RandomPassword's results)."""

    def make(login: str, keeper: int) -> str:
        return f"{seed}-{login}-{keeper}"

    return make


def urls(roles: Roles, host: str, port: int, password: Password, rotation: int) -> Mapping[str, str]:
    """Every login's URL at `rotation` (its password the one its keeper gives), by login name."""
    found = {}
    for spec in roles_for(roles.tier):
        for login in login_names(roles.stack, spec):
            secret = password(login, roles.keeper(spec, login, rotation))
            found[login] = f"postgresql://{login}:{secret}@{host}:{port}/{roles.database}"
    return found
