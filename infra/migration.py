"""The migration's dynamic provider, AlembicProvider: upgrades a stack's database with Alembic, never downgrades.

This module keeps this path on purpose. Pulumi serializes the provider into every stack's state (the migration
resource's `__provider` input) with dill, which pickles a class of an importable module by reference: the state
records `infra.migration.AlembicProvider`, and `pulumi refresh` and `pulumi destroy` of an existing stack import
the class by that name. Moving or renaming it would break them (tests/program/test_urns.py and
components/test_migration.py check the path). The component that uses it is infra/components/migration.py.
"""

from __future__ import annotations

from typing import Any

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
