"""The guards: checks against the outside world that every resource of a stack waits on, so a failed one writes
nothing.

    production_database      non-production stacks keep off production's databases and their servers (keyed
                             fingerprints compared; acknowledgements of a server)
    database_names           what a secret value names: databases in the shapes read as libpq reads them, hosts
    database_fields          connection settings written as labelled fields or .pgpass lines
    host_tokens              every host-like token of a value in any encoding, spelled as libpq would reach it
    repository_visibility    the repositories are looked up once, and their visibility is the one the stack declares
    shadow_secrets           which other copies of a credential jobs could read are findings, and the report that
                             stops the run (the lookups are a component: infra/components/shadow_secret_check.py)

Apart from the components: they register no resource of their own, only verdicts the stack's resources depend on.
"""
