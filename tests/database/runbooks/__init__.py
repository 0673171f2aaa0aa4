"""The how-to runbooks' SQL (docs/how-to/), run on a real PostgreSQL."""
