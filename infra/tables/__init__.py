"""The tables: data the program, the tools, the docs and the policy pack read, and no Pulumi resource.

    type_tokens          the project's name and the Pulumi type tokens of what the program declares
    tiers                what each tier of stack is held to (one profile per tier)
    github_plans         what GitHub gives an environment, by plan and repository visibility
    github_permissions   the token permission each GitHub call of the program needs
    routes               which secret lands where (GitHub environment, Vercel targets)
    reserved_names       names an extra secret may not take (GitHub's, Vercel's, or read by a runtime), with sources
    secret_keys          what each secret config key holds, how it is checked, what an example looks like
    database_roles       the roles a stack generating its database credentials declares, and what each may do

Kept apart from the components and the config so that the evaluator, the docs and the policy pack read them
without importing the program.
"""
