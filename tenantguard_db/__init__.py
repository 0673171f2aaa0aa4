"""TenantGuard's database schema and the safe way to migrate it, shared by Alembic and the Pulumi program."""
