"""The limits of the names derived from the base: the longest still fits PostgreSQL's identifiers."""

from __future__ import annotations

from tenantguard_db.preview_db.names import MAX_BASE_BYTES, MAX_IDENTIFIER_BYTES, MAX_PR, MAX_REPOSITORY_ID, PullRequest
from tenantguard_db.preview_db.server import Server
from tests.database.preview_db.harness import Preview


def test_the_longest_role_name_fits_postgresql_identifiers() -> None:
    server = Server.from_url(f"postgresql://ci:pw@db.internal/{'t' * MAX_BASE_BYTES}")
    longest = PullRequest(MAX_REPOSITORY_ID, MAX_PR)
    assert len(server.pr_role(longest).encode()) == MAX_IDENTIFIER_BYTES
    assert len(server.template_build.encode()) <= MAX_IDENTIFIER_BYTES


def test_the_largest_repository_id_is_accepted(preview: Preview) -> None:
    preview.create(MAX_PR, repository=MAX_REPOSITORY_ID)
    name = f"{preview.base}_pr_{MAX_REPOSITORY_ID}_{MAX_PR}"
    assert preview.roles() == {name}
    assert name in preview.databases()
