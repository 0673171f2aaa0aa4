"""Entry point `pulumi up` runs: load the stack's settings, declare its resources, export its outputs."""

from infra import collector

# First, so that not even importing the SDKs below pays for collections (infra/collector.py says why).
collector.off_until_exit()

import pulumi  # noqa: E402 - after the collector is off

from infra import config, stack  # noqa: E402 - after the collector is off

try:
    settings = config.load()
except config.ConfigError as error:
    # RunError prints the message without a Python traceback; tools.plan reads the problems from its cause.
    raise pulumi.RunError(str(error)) from error

for name, value in stack.build(settings).items():
    pulumi.export(name, value)
