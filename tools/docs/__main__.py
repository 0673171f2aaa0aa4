"""`python -m tools.docs`: the command line (tools/docs/cli.py)."""

import sys

from tools.docs.cli import main

if __name__ == "__main__":
    sys.exit(main())
