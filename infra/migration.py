"""DatabaseMigration: runs TenantGuard's Alembic migrations against a stack's database after provisioning."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi.dynamic


class AlembicProvider(pulumi.dynamic.ResourceProvider):
    """Upgrades on create/update, reads the live revision on refresh, never downgrades.

    Pulumi serializes this object into the stack's state: it holds no attributes, and imports what
    it needs inside its methods, so nothing secret or large is captured with it.
    """

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.DiffResult:
        changed = [key for key in ("revision", "database_url") if olds.get(key) != news.get(key)]
        return pulumi.dynamic.DiffResult(changes=bool(changed), replaces=[], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        from tenantguard_db import migrate

        applied = migrate.upgrade(props["database_url"], props["revision"])
        return pulumi.dynamic.CreateResult(id_="alembic_version", outs={**props, "applied_revision": applied})

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.UpdateResult:
        from tenantguard_db import migrate

        applied = migrate.upgrade(news["database_url"], news["revision"])
        return pulumi.dynamic.UpdateResult(outs={**news, "applied_revision": applied})

    def read(self, id_: str, props: dict[str, Any]) -> pulumi.dynamic.ReadResult:
        from tenantguard_db import migrate

        # The live revision replaces the recorded one, so `pulumi refresh` shows drift and the
        # next `pulumi up` upgrades again.
        current = migrate.current_revision(props["database_url"])
        return pulumi.dynamic.ReadResult(id_=id_, outs={**props, "revision": current, "applied_revision": current})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        # Removing the resource from the stack must never drop or downgrade a database.
        return None


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
