"""DatabaseRoles: a generated stack's PostgreSQL roles and rights, declared from infra/tables/database_roles.py.

The provider connects with the deploy job's administrative login, which reaches it only through the environment
(PGUSER and PGPASSWORD, the Terraform provider's defaults for `username` and `password`: postgresql/provider.go in
cyrilgdn/terraform-provider-postgresql at ff936b95, the commit pulumi-postgresql 3.18.0 wraps). The bridge's
CheckConfig returns the program's inputs only (pulumi-terraform-bridge v3.134.0 pkg/tfbridge/provider.go), so that
login is never in the provider's inputs, the stack's config or its state. The server's coordinates are set here, from
`databaseServer`, so the connection goes where the production-database guard looked, whatever PGHOST says.

Nothing here connects during `pulumi preview` without refresh: Configure only builds a client, and the resources
connect in their Create/Read/Update/Delete (helpers.go PGResourceFunc -> client.Connect); no resource of the
provider has a CustomizeDiff that a plan would run (docs/explanation/generated-credentials.md has the sources).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_postgresql as postgresql
import pulumi_random as random

from infra.config.settings import DatabaseServer
from infra.tables.database_roles import (
    OWNS_SCHEMA,
    PASSWORD_LENGTH,
    PRIVILEGES,
    PUBLIC,
    SCHEMA,
    SLOTS,
    Privilege,
    RoleSpec,
    active_slot,
    role_name,
    roles_for,
    slot_rotation,
)
from infra.tables.tiers import Tier

OBJECT_TYPES = {"database": "database", "schema": "schema", "tables": "table", "sequences": "sequence"}
"""The provider's `object_type` for each scope of the privilege table."""


@dataclass(frozen=True)
class DatabaseRolesArgs:
    stack: str
    """Names the roles (`tg_<stack>_...`): stacks sharing a server never share a role."""
    tier: Tier
    server: DatabaseServer
    rotation: int
    """The rotation counter: which login of each group is handed out, and which passwords are new."""


class DatabaseRoles(pulumi.ComponentResource):
    """The groups, their alternating logins, the observer (and, in the preview tier, the manager), and their rights."""

    urls: dict[str, pulumi.Output[str]]
    """A URL per role suffix with a login (migrator, app: the login of this rotation; observer, manager), secret."""
    logins: dict[str, str]
    """The login handed out now, by suffix."""

    def __init__(self, name: str, args: DatabaseRolesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("tenantguard:database_roles:DatabaseRoles", name, None, opts)
        self._component = name
        server = args.server
        # superuser=False: a managed service's admin is not one, and with True the provider reads pg_shadow after each
        # create and update of a login role, which fails for a non-superuser (resource_postgresql_role.go
        # readRolePassword); no other behaviour of the provider depends on it (withRolesGranted asks the server).
        self.provider = postgresql.Provider(
            f"{name}-provider",
            host=server.host,
            port=server.port,
            database=server.database,
            sslmode=server.sslmode,
            superuser=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._child = pulumi.ResourceOptions(parent=self, provider=self.provider)
        self._args = args
        self.roles: dict[str, postgresql.Role] = {}
        self.urls = {}
        self.logins = {}
        for spec in roles_for(args.tier):
            self._declare(spec)
        # The migrator group owns schema public (an existing schema only gets its owner changed: createSchema in
        # resource_postgresql_schema.go, "The schema already exists, we just set the owner"). Retained: removing it
        # from the stack must never drop the schema holding the tables.
        owner = role_name(args.stack, OWNS_SCHEMA)
        schema = postgresql.Schema(
            f"{name}-schema",
            name=SCHEMA,
            database=server.database,
            owner=owner,
            if_not_exists=True,
            drop_cascade=False,
            opts=pulumi.ResourceOptions.merge(
                self._child, pulumi.ResourceOptions(depends_on=[self.roles[owner]], retain_on_delete=True)
            ),
        )
        self._grant(schema)
        self.register_outputs({"logins": self.logins})

    def _declare(self, spec: RoleSpec) -> None:
        stack, rotation = self._args.stack, self._args.rotation
        base = role_name(stack, spec.suffix)
        if spec.kind == "group":
            self.roles[base] = self._role(base, spec)
            return
        group = self.roles[role_name(stack, spec.group)] if spec.group else None
        slots = [(slot, slot_rotation(slot, rotation)) for slot in SLOTS] if spec.slotted else [(None, rotation)]
        for slot, keeper in slots:
            login = role_name(stack, spec.suffix, slot)
            # Only a new keeper replaces the password (random's RequiresReplaceIfValuesNotNull): rotation N changes the
            # password of N's slot alone, and the other slot's login keeps the one handed out at N-1.
            password = random.RandomPassword(
                f"{self._resource_name(login)}-password",
                length=PASSWORD_LENGTH,
                special=False,
                keepers={"rotation": str(keeper)},
                opts=pulumi.ResourceOptions(parent=self),
            )
            # `result` is secret in a real run only through the provider's schema; say it ourselves.
            self.roles[login] = self._role(login, spec, pulumi.Output.secret(password.result), group)
        handed_out = self.roles[role_name(stack, spec.suffix, active_slot(rotation) if spec.slotted else None)]
        self.logins[spec.suffix] = role_name(stack, spec.suffix, active_slot(rotation) if spec.slotted else None)
        # From the role's outputs, so whatever carries the URL waits until the role has its new password.
        server = self._args.server
        self.urls[spec.suffix] = pulumi.Output.secret(
            pulumi.Output.all(handed_out.name, handed_out.password).apply(
                lambda parts: server.url(str(parts[0]), str(parts[1]))
            )
        )

    def _role(
        self,
        name: str,
        spec: RoleSpec,
        password: pulumi.Output[str] | None = None,
        group: postgresql.Role | None = None,
    ) -> postgresql.Role:
        return postgresql.Role(
            self._resource_name(name),
            name=name,
            login=spec.kind == "login",
            password=password,
            superuser=False,
            create_database=spec.create_database,
            create_role=spec.create_role,
            replication=False,
            bypass_row_level_security=False,
            inherit=spec.inherit,
            connection_limit=spec.connection_limit,
            # A member of its group only, acting as it from login on (`ALTER ROLE ... SET ROLE`): what it creates is
            # the group's. The memberships are the role's own list, never also a GrantRole: an update of `roles`
            # revokes every membership and grants the list (resource_postgresql_role.go, revokeRoles/grantRoles).
            roles=[group.name] if group is not None else [],
            assume_role=group.name if group is not None else None,
            opts=self._child,
        )

    def _grantees(self, privilege: Privilege) -> list[str]:
        if privilege.grantee == PUBLIC:
            return [PUBLIC]
        base = role_name(self._args.stack, privilege.grantee)
        if base not in self.roles and not any(name.startswith(f"{base}_") for name in self.roles):
            return []  # a role of another tier (the manager outside preview)
        if privilege.login:
            return [name for name in self.roles if name.startswith(f"{base}_")]
        return [base]

    def _grant(self, schema: postgresql.Schema) -> None:
        """Every privilege row, one resource after the other.

        Concurrent GRANTs on one object can fail with "tuple concurrently updated" (cyrilgdn/terraform-provider-
        postgresql#178, pulumi/pulumi-postgresql#126): each waits for the one before.
        """
        database = self._args.server.database
        owner = role_name(self._args.stack, OWNS_SCHEMA)
        previous: pulumi.Resource = schema
        for privilege in PRIVILEGES:
            for grantee in self._grantees(privilege):
                role = self.roles[grantee].name if grantee in self.roles else grantee
                label = f"{self._resource_name(grantee)}-{privilege.scope}"
                after = pulumi.ResourceOptions.merge(self._child, pulumi.ResourceOptions(depends_on=[previous]))
                previous = postgresql.Grant(
                    label,
                    database=database,
                    role=role,
                    object_type=OBJECT_TYPES[privilege.scope],
                    privileges=list(privilege.privileges),
                    # Tables and sequences: every one in the schema now (`GRANT ... ON ALL TABLES IN SCHEMA`).
                    schema=None if privilege.scope == "database" else SCHEMA,
                    objects=[] if privilege.scope in ("tables", "sequences") else None,
                    opts=after,
                )
                if privilege.future:
                    # Tables the migrations create later: default privileges of the group that creates them.
                    previous = postgresql.DefaultPrivileges(
                        f"{label}-future",
                        database=database,
                        role=role,
                        owner=self.roles[owner].name,
                        schema=SCHEMA,
                        object_type=OBJECT_TYPES[privilege.scope],
                        privileges=list(privilege.privileges),
                        opts=pulumi.ResourceOptions.merge(self._child, pulumi.ResourceOptions(depends_on=[previous])),
                    )

    def _resource_name(self, role: str) -> str:
        """A role's resource name: the component's and the role's suffix (`database-roles-app-a`)."""
        suffix = role.removeprefix(role_name(self._args.stack, "")).replace("_", "-")
        return f"{self._component}-{suffix}"
