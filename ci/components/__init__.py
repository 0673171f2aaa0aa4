"""The CI project's components, one a module: the state bucket, a stack's KMS key, a CI role, a CI environment,
this repository's settings, a Pulumi Cloud team token."""
