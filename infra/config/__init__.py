"""The only reader of Pulumi config: a stack's raw config in, one validated Settings out, or every problem at once.

    errors          ConfigError: every problem, one line each, naming the key and never a value
    approval_gate   what the plan and visibility let each environment have: the gate that approves a deployment
    settings        Settings, the typed result the stack and the components read
    schema          the keys Pulumi.yaml declares, and the raw values read as their declared types
    rules/          one module per concern (GitHub, Vercel, secret values, ...), each returning its problems
    load            parse (schema, then the rules, then Settings) and load (from the Pulumi runtime)

Each module imports only from the ones listed before it (and from infra/tables/ and infra/guard/). Components take
Settings as typed arguments and never read config themselves.
"""
