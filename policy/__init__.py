"""TenantGuard's policy pack (run with `pulumi preview --policy-pack policy`)."""
