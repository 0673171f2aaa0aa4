"""DatabaseMigration: runs TenantGuard's Alembic migrations against a stack's database after provisioning.

Its dynamic provider stays at infra/migration.py, the path every stack's state records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi.dynamic

from infra.migration import AlembicProvider


class AlembicMigration(pulumi.dynamic.Resource):
    """The dynamic resource behind DatabaseMigration."""

    revision: pulumi.Output[str]
    applied_revision: pulumi.Output[str]

    def __init__(self, name: str, database_url: pulumi.Input[str], revision: str, opts: pulumi.ResourceOptions) -> None:
        props = {"database_url": pulumi.Output.secret(database_url), "revision": revision, "applied_revision": None}
        super().__init__(AlembicProvider(), name, props, opts)


@dataclass(frozen=True)
class DatabaseMigrationArgs:
    database_url: pulumi.Input[str]
    """URL of the database to migrate; kept a Pulumi secret."""
    revision: str
    """Revision to upgrade to: the script directory's head when the program runs."""
    depends_on: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """What must be provisioned before migrating (the environment's secrets and variables)."""


class DatabaseMigration(pulumi.ComponentResource):
    """Upgrades one database to `revision` with Alembic, after what it depends on exists."""

    revision: pulumi.Output[str]
    """The revision asked for."""
    applied_revision: pulumi.Output[str]
    """The revision the database was left at."""

    def __init__(self, name: str, args: DatabaseMigrationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("tenantguard:migration:DatabaseMigration", name, None, opts)
        migration = AlembicMigration(
            f"{name}-alembic",
            args.database_url,
            args.revision,
            pulumi.ResourceOptions(
                parent=self,
                depends_on=list(args.depends_on),
                additional_secret_outputs=["database_url"],
            ),
        )
        self.revision = migration.revision
        self.applied_revision = migration.applied_revision
        self.register_outputs({"revision": self.revision, "applied_revision": self.applied_revision})
