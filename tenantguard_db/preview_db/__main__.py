"""`python -m tenantguard_db.preview_db`: Alembic's upgrade lines on stderr, then the command."""

import sys

from tenantguard_db.preview_db import main, show_revisions_run

if __name__ == "__main__":
    show_revisions_run()
    sys.exit(main())
