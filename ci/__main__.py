"""Entry point `pulumi up` runs from ci/: load the settings, declare the resources, export the outputs."""

import sys
from pathlib import Path

# The program reads the main project's stack files and tables (ci/main_project.py), one directory up; Pulumi runs it
# with this directory first on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pulumi

from ci import config, program

try:
    settings = config.load()
except config.ConfigError as error:
    raise pulumi.RunError(str(error)) from error

for name, value in program.build(settings).items():
    pulumi.export(name, value)
