"""infra/guard/shadow_secrets.py: which copies of a credential are findings, as plain data."""

from __future__ import annotations

import pytest

from infra.guard.shadow_secrets import OrganizationSecret, RepositoryListing, find


@pytest.mark.parametrize(("visibility", "reached"), [("public", False), ("private", True), ("internal", True)])
def test_a_private_organization_secret_reaches_private_and_internal_repositories_only(
    visibility: str, reached: bool
) -> None:
    listing = RepositoryListing("app", visibility, 1, (), (), None, ())
    findings = find(
        listing,
        owner="tenantguard",
        environment="preview",
        organization=[OrganizationSecret("DB_URL", "private")],
        dependabot_organization=[],
        managed=["CI_DB_URL"],
        legacy=["DB_URL"],
    )
    assert bool(findings) is reached
