"""The Pulumi program that provisions TenantGuard's delivery environments.

    stack.py       the whole deployment in order: guard, environment, secrets, Vercel variables, migration
    config/        the only reader of Pulumi config: schema, one rules module per concern, Settings
    tables/        data the program, the tools, the docs and the policy pack read (tiers, routes, secret keys, ...)
    guard/         the production-database guard, the repositories' visibility, what counts as a shadow secret
    components/    one ComponentResource per module, each with its typed Args
    migration.py   the migration's dynamic provider, at the path every stack's state records
    collector.py   the process's garbage collector, off until exit (__main__.py calls it first)

Packages import only downwards: tables, guard, config, components, then stack.py (tests/static/test_import_graph.py).
"""
