"""The runbooks of docs/how-to/ that meet a real PostgreSQL (a failed production migration)."""
