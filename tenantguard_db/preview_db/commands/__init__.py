"""The five subcommands, one module each: what `python -m tenantguard_db.preview_db <command>` runs once the command
line is read (tenantguard_db.preview_db.cli)."""
