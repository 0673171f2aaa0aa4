"""The Pulumi program that provisions TenantGuard's delivery environments."""
