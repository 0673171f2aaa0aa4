"""infra/tables/reserved_names.py: the names an extra secret may not take, each refused citing its source."""

from __future__ import annotations

import pytest

from infra.config.rules.secret_values import extra_problems
from infra.tables.reserved_names import RESERVED, reserved


@pytest.mark.parametrize(
    "name",
    [
        "GITHUB_APP_KEY",
        "RUNNER_TEMP",
        "ACTIONS_STEP_DEBUG",
        "ACTIONS_RUNNER_DEBUG",
        "CI",
        "VERCEL",
        "VERCEL_ENV",
        "NOW_REGION",
        "AWS_SECRET_KEY",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
        "TZ",
        "NEXT_PUBLIC_OPENAI_API_KEY",
        "PUBLIC_STRIPE_KEY",
        "VITE_API_KEY",
        "REACT_APP_API_KEY",
        "GATSBY_API_KEY",
        "NUXT_PUBLIC_API_KEY",
        "NODE_OPTIONS",
        "NODE_TLS_REJECT_UNAUTHORIZED",
        "NODE_EXTRA_CA_CERTS",
        "NPM_CONFIG_REGISTRY",
        "YARN_NPM_REGISTRY_SERVER",
        "PYTHONPATH",
        "PYTHONSTARTUP",
        "LD_PRELOAD",
        "GCONV_PATH",
        "DYLD_INSERT_LIBRARIES",
        "PIP_INDEX_URL",
        "UV_INDEX_URL",
        "BASH_ENV",
        "ENV",
        "SHELLOPTS",
        "BASHOPTS",
        "PS4",
        "PATH",
        "HOME",
        "GIT_SSH_COMMAND",
        "HTTPS_PROXY",
        "HTTP_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "OPENSSL_CONF",
        "CURL_CA_BUNDLE",
        "REQUESTS_CA_BUNDLE",
        "JAVA_TOOL_OPTIONS",
        "JDK_JAVA_OPTIONS",
        "RUBYOPT",
        "RUBYLIB",
        "PERL5OPT",
        "PERL5LIB",
        # libpq's connection defaults: PGHOSTADDR alone sends every connection to another server.
        "PGHOST",
        "PGHOSTADDR",
        "PGPORT",
        "PGDATABASE",
        "PGUSER",
        "PGPASSWORD",
        "PGPASSFILE",
        "PGSERVICE",
        "PGSERVICEFILE",
        "PGOPTIONS",
        "PGSSLMODE",
        "PGSSLROOTCERT",
        "PGTARGETSESSIONATTRS",
        "PGSYSCONFDIR",
        "NPM_RC",
        "OPENAI_BASE_URL",
        "ANTHROPIC_BASE_URL",
        "VUE_APP_OPENAI_API_KEY",
        "EXPO_PUBLIC_API_KEY",
        "GLIBC_TUNABLES",
        "LOCALDOMAIN",
        "RES_OPTIONS",
        "HOSTALIASES",
    ],
)
def test_a_name_a_platform_reserves_or_a_runtime_reads_is_refused_with_its_source(name: str) -> None:
    (problem,) = extra_problems("preview", {name: "fake-value-1"}, is_secret=True)
    row = reserved(name)
    assert row is not None
    assert problem.startswith(f"tenantguard-infra:extraSecrets: {name!r} is a name to leave alone (")
    assert row.does in problem
    assert row.source in problem


def test_every_reserved_row_cites_its_source() -> None:
    assert all(row.source.startswith("https://") and row.does for row in RESERVED)
    assert len({(row.name, row.prefix) for row in RESERVED}) == len(RESERVED)


@pytest.mark.parametrize("name", ["PGP_PRIVATE_KEY", "PGVECTOR_API_KEY", "OPENAI_API_KEY", "ANTHROPIC_API_KEY"])
def test_a_name_that_only_starts_like_a_libpq_variable_is_accepted(name: str) -> None:
    assert extra_problems("preview", {name: "fake-value-1"}, is_secret=True) == []
