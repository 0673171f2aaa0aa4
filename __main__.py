"""Entry point `pulumi up` runs: load the stack's settings, declare its resources, export its outputs."""

from infra import collector

# First, so that not even importing the SDKs below pays for collections (infra/collector.py says why).
collector.off_until_exit()

import pulumi  # noqa: E402 - after the collector is off

from infra import stack  # noqa: E402 - after the collector is off
from infra.config.errors import ConfigError  # noqa: E402
from infra.config.load import load  # noqa: E402

try:
    settings = load()
except ConfigError as error:
    # RunError prints the message without a Python traceback; tools.plan reads the problems from its cause.
    raise pulumi.RunError(str(error)) from error

for name, value in stack.build(settings).items():
    pulumi.export(name, value)
