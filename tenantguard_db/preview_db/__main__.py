"""`python -m tenantguard_db.preview_db`: the command (the revision files it applies run in worker.py's process)."""

import sys

from tenantguard_db.preview_db.cli import main

if __name__ == "__main__":
    sys.exit(main())
