"""The config rules: one module per concern, each a function of the typed values returning its problems.

    names              every name, id and branch checked whole and once (shared by the others)
    github             owner, repositories, environment name, reviewers, deployment branches, plan, visibility
    vercel             project, team, git branch and custom environments for the tier's targets
    production_stack   the stack the production-database guard compares with, the servers acknowledged
    session_key        rotation counter, date and overlap window
    database_credentials  provided or generated database URLs, the generated roles' server and rotation counter
    secret_values      each secret's value, the extra secrets, GitHub's limits per environment and per secret
    shadow_secrets     legacy credential names and acknowledged copies (the shadow-secret check's config)

infra/config/load.py calls them in this order, after infra/config/schema.py has typed the values, and lists every
problem at once. A message names the key and never the value.
"""
