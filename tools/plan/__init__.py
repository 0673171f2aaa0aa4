"""The offline plan: every stack's real program under Pulumi's mock runtime, with placeholder secrets.

    python -m tools.plan [--json | --markdown | --matrix] [--stack NAME ...] [--base GIT_REF] [--dir DIR]
                         [--require-secrets]

Each module imports only from the ones listed before it (and from tools.evaluator, tools.ci_layout, infra):

    model          StackPlan, the matrix of where each secret lands, the base's plan and each stack's changes
    stack_files    a stack file (only inside its directory) as written, its encrypted secrets, owner's plan, tier order
    placeholders   the stand-ins for the secrets a stack file must not hold
    evaluation     each stack's program evaluated offline with them, read back as a StackPlan
    collisions     the mistakes only two stacks together show
    base_commit    the plan at another commit (`--base`), planned by that commit's own code
    workflows      this repository's CI environments per stack, and the stack lists of the workflows' matrices
    render/        text for a terminal, JSON for machines, Markdown for a pull request: the model only
    cli            the command line; __main__ runs it
"""
