"""`python -m tools.plan`: the offline plan's command line (tools/plan/cli.py)."""

import sys

from tools.plan.cli import main

if __name__ == "__main__":
    sys.exit(main())
