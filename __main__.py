"""Entry point `pulumi up` runs: load the stack's settings, declare its resources, export its outputs."""

import pulumi

from infra import config, stack

try:
    settings = config.load()
except config.ConfigError as error:
    # RunError prints the message without a Python traceback; tools.plan reads the problems from its cause.
    raise pulumi.RunError(str(error)) from error

for name, value in stack.build(settings).items():
    pulumi.export(name, value)
