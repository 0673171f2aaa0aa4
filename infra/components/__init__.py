"""The components: one pulumi.ComponentResource per module, each with its typed Args, in the order
infra/stack.py uses them.

    generated_secrets    GeneratedSecrets: the session keys the program generates (two slots that alternate)
    database_roles       DatabaseRoles: a generated stack's PostgreSQL roles, their rights and alternating logins
    shadow_secret_check  ShadowSecretCheck: every other copy of a credential looked up; values wait on the check
    environment          DeploymentEnvironment: a repository's deployment environment, its gate and branch rules
    github_secrets       EnvironmentSecrets: the environment's Actions secrets, never repository- or org-wide
    vercel               VercelVariables: sensitive Vercel variables for the tier's targets
    migration            DatabaseMigration: Alembic's upgrade after everything else (its provider: infra/migration.py)

Their type tokens (`tenantguard:<module>:<Class>`) were fixed when each lived in infra/ directly and stay so: a
changed token would replace real resources.
"""
