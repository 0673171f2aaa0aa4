"""The guards: checks against the outside world that every resource of a stack waits on, so a failed one writes
nothing.

    production_database      non-production stacks keep off production's databases (keyed fingerprints compared)
    repository_visibility    the repositories are looked up once, and their visibility is the one the stack declares
    shadow_secrets           which other copies of a credential jobs could read are findings, and the report that
                             stops the run (the lookups are a component: infra/components/shadow_secret_check.py)

Apart from the components: they register no resource of their own, only verdicts the stack's resources depend on.
"""
