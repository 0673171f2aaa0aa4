"""`python -m tenantguard_db.preview_db`: Alembic's upgrade lines on stderr, then the command."""

import sys

from tenantguard_db.preview_db.cli import main
from tenantguard_db.preview_db.console import show_upgrades_on_stderr

if __name__ == "__main__":
    show_upgrades_on_stderr()
    sys.exit(main())
