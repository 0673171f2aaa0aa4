"""infra/config/rules/secret_values.py: each secret's value, the extra secrets, GitHub's limits."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from infra.config.rules.secret_values import extra_problems
from tests.fakes import secret_part as P  # noqa: N812 - short, since the cases read as data
from tests.program.config.refusals import FAKE_CI, FAKE_STAGING_CI, PROD_DB, Bad, assert_refused_clearly, extras, ids
from tools import evaluator

CASES = [
    # Malformed or non-PostgreSQL URLs.
    Bad(
        "mysql-url",
        "preview",
        {"ciDbUrl": f"mysql://ci:{P('ciDbUrl', 'preview')}@db/tg"},
        "ciDbUrl",
        "does not start with postgresql://",
    ),
    Bad("url-without-host", "preview", {"ciDbUrl": "postgresql:///tenantguard"}, "ciDbUrl", "has no host"),
    Bad(
        "url-with-an-invisible-character-in-its-host",
        "staging",
        {"ciDbUrl": f"postgresql://ci:{P('ciDbUrl', 'staging')}@db.pro%C2%ADduction.internal:5432/tenantguard"},
        "ciDbUrl",
        "has a host that is not ASCII once percent-decoded",
    ),
    Bad(
        "url-without-database",
        "staging",
        {"ciDbUrl": f"postgresql://ci:{P('ciDbUrl', 'staging')}@db:5432/"},
        "ciDbUrl",
        "no database name",
    ),
    Bad(
        "url-with-bad-port",
        "preview",
        {"ciDbUrl": f"postgresql://ci:{P('ciDbUrl', 'preview')}@db:port/tg"},
        "ciDbUrl",
        "has a port that is not a number",
    ),
    Bad(
        "not-a-url",
        "preview",
        {"databaseUrl": P("databaseUrl", "preview")},
        "databaseUrl",
        "does not start with postgresql://",
    ),
    Bad(
        "redis-over-http",
        "staging",
        {"redisUrl": f"http://default:{P('redisUrl', 'staging')}@redis:6379"},
        "redisUrl",
        "does not start with redis:// or rediss://",
    ),
    # Non-TLS endpoints in production.
    Bad("production-db-without-sslmode", "production", {"ciDbUrl": PROD_DB}, "ciDbUrl", "sslmode"),
    Bad(
        "production-db-sslmode-prefer",
        "production",
        {"databaseUrl": PROD_DB + "?sslmode=prefer"},
        "databaseUrl",
        "sslmode",
    ),
    Bad(
        "production-redis-without-tls",
        "production",
        {"redisUrl": f"redis://default:{P('redisUrl', 'production')}@redis:6379/0"},
        "redisUrl",
        "rediss://",
    ),
    # Invalid, reserved or duplicate secret names.
    Bad(
        "secret-name-with-dash",
        "preview",
        {"extraSecrets": extras({"OPENAI-KEY": P("OPENAI_API_KEY", "preview")})},
        "extraSecrets",
        "extra secret names are upper-case",
    ),
    Bad(
        "secret-name-starting-with-digit",
        "preview",
        {"extraSecrets": extras({"1KEY": P("OPENAI_API_KEY", "preview")})},
        "extraSecrets",
        "extra secret names are upper-case",
    ),
    Bad(
        "github-prefixed-name",
        "staging",
        {"extraSecrets": extras({"GITHUB_TOKEN": P("OPENAI_API_KEY", "staging")})},
        "extraSecrets",
        "GITHUB_",
    ),
    Bad(
        "names-differing-in-case",
        "preview",
        {
            "extraSecrets": extras(
                {"OPENAI_API_KEY": P("OPENAI_API_KEY", "preview"), "openai_api_key": P("OPENAI_API_KEY", "preview")}
            )
        },
        "extraSecrets",
        "extra secret names are upper-case",
    ),
    Bad(
        "extra-shadows-managed-secret",
        "preview",
        {"extraSecrets": extras({"REDIS_URL": P("OPENAI_API_KEY", "preview")})},
        "extraSecrets",
        "managed by this program",
    ),
    Bad(
        "empty-extra-secret",
        "preview",
        {"extraSecrets": extras({"ANTHROPIC_API_KEY": " "})},
        "extraSecrets",
        "is empty",
    ),
    Bad("plaintext-extra-secrets", "staging", {}, "extraSecrets", "must be secrets", plaintext=("extraSecrets",)),
    # Empty or malformed values.
    Bad("empty-vercel-token", "preview", {"vercelToken": ""}, "vercelToken", "is empty"),
    Bad(
        "token-with-whitespace",
        "preview",
        {"vercelToken": f"{P('vercelToken', 'preview')} pasted twice"},
        "vercelToken",
        "whitespace",
    ),
    Bad("short-fingerprint-key", "preview", {"dbFingerprintKey": "short"}, "dbFingerprintKey", "at least 16"),
    # URLs that libpq and URL parsers read differently, or that hide where the driver connects.
    Bad(
        "password-in-query",
        "preview",
        {"ciDbUrl": f"postgresql://ci@db/tg?password={FAKE_CI}"},
        "ciDbUrl",
        "query string",
    ),
    Bad(
        "raw-at-in-password",
        "preview",
        {"ciDbUrl": f"postgresql://ci:{FAKE_CI}@x@db/tg"},
        "ciDbUrl",
        "read differently",
    ),
    Bad(
        "raw-slash-in-password",
        "preview",
        {"ciDbUrl": f"postgresql://ci:{FAKE_CI}/x@db/tg"},
        "ciDbUrl",
        "percent-encode",
    ),
    Bad(
        "raw-hash-in-password",
        "preview",
        {"ciDbUrl": f"postgresql://ci:{FAKE_CI}#x@db/tg"},
        "ciDbUrl",
        "percent-encode",
    ),
    Bad(
        "raw-question-in-password",
        "staging",
        {"ciDbUrl": f"postgresql://ci:{FAKE_STAGING_CI}?x@db/tg"},
        "ciDbUrl",
        "%3F",
    ),
    Bad("several-hosts", "preview", {"ciDbUrl": f"postgresql://ci:{FAKE_CI}@db1,db2/tg"}, "ciDbUrl", "several hosts"),
    Bad("host-in-query", "preview", {"ciDbUrl": f"postgresql://ci:{FAKE_CI}@db/tg?host=prod"}, "ciDbUrl", "'host'"),
    Bad("dbname-in-query", "preview", {"ciDbUrl": f"postgresql://ci:{FAKE_CI}@db/tg?dbname=x"}, "ciDbUrl", "'dbname'"),
    Bad("unix-socket", "preview", {"ciDbUrl": f"postgresql://ci:{FAKE_CI}@%2Frun%2Fpg/tg"}, "ciDbUrl", "Unix-socket"),
    Bad(
        "duplicated-sslmode",
        "production",
        {"ciDbUrl": PROD_DB + "?sslmode=require&sslmode=disable"},
        "ciDbUrl",
        "'sslmode' 2 times",
    ),
    Bad(
        "digits-slash-password",
        "staging",
        {"ciDbUrl": f"postgresql://ci:2024/{FAKE_STAGING_CI}@db.staging.internal:5432/tenantguard"},
        "ciDbUrl",
        "where the user-info cannot hold it",
    ),
    # A password sent inside the user name (':' written as %3A) would be shown as the user.
    Bad(
        "password-in-user-name",
        "staging",
        {"ciDbUrl": f"postgresql://ci%3A{FAKE_STAGING_CI}@db.staging.internal:5432/tenantguard"},
        "ciDbUrl",
        "has a user name that is not a plain role name (accepted: letters, digits",
    ),
    Bad(
        "redis-password-in-user-name",
        "preview",
        {"redisUrl": f"redis://default%3A{P('redisUrl', 'preview')}@redis:6379/0"},
        "redisUrl",
        "has a user name that is not a plain ACL user name (accepted: letters, digits",
    ),
    Bad(
        "secret-as-sslmode",
        "preview",
        {"databaseUrl": f"postgresql://app:{P('databaseUrl', 'preview')}@db/tg?sslmode={FAKE_CI}"},
        "databaseUrl",
        "sets sslmode to a value libpq does not know; accepted: disable, allow, prefer, require",
    ),
    Bad("fullwidth-at", "preview", {"ciDbUrl": f"postgresql://ci:{FAKE_CI}\uff20x@db/tg"}, "ciDbUrl", "outside ASCII"),
    Bad(
        "brackets-in-password",
        "preview",
        {"ciDbUrl": f"postgresql://ci:Zx9[{FAKE_CI}]q@db/tg"},
        "ciDbUrl",
        "percent-encode",
    ),
    Bad(
        "redis-brackets-in-password",
        "preview",
        {"redisUrl": f"redis://default:Zx9[{P('redisUrl', 'preview')}]q@redis:6379/0"},
        "redisUrl",
        "percent-encode",
    ),
    Bad(
        "extra-name-with-newline",
        "preview",
        {"extraSecrets": extras({"OPENAI_API_KEY\n": P("OPENAI_API_KEY", "preview")})},
        "extraSecrets",
        "extra secret names are upper-case",
    ),
    Bad(
        "extra-name-looks-like-a-value",
        "preview",
        {"extraSecrets": extras({"sk_live_51HxQ7vKj3Lm9": P("OPENAI_API_KEY", "preview")})},
        "extraSecrets",
        "extra secret names are upper-case",
    ),
    Bad("token-still-the-example", "preview", {"vercelToken": "..."}, "vercelToken", "documentation's `...`"),
    Bad(
        "url-still-the-example",
        "staging",
        {"ciDbUrl": "postgresql://ci:...@db.staging.internal:5432/tenantguard"},
        "ciDbUrl",
        "documentation's `...`",
    ),
    Bad(
        "extra-still-the-example",
        "preview",
        {"extraSecrets": extras({"OPENAI_API_KEY": "..."})},
        "extraSecrets",
        "`...`",
    ),
    Bad("upper-case-scheme", "preview", {"ciDbUrl": f"POSTGRESQL://ci:{FAKE_CI}@db/tg"}, "ciDbUrl", "in lower case"),
    Bad("scheme-is-a-password", "preview", {"ciDbUrl": f"{FAKE_CI}://ci@db/tg"}, "ciDbUrl", "does not start with"),
    Bad("leading-space", "preview", {"ciDbUrl": f" postgresql://ci:{FAKE_CI}@db/tg"}, "ciDbUrl", "whitespace"),
    Bad("trailing-newline-url", "preview", {"ciDbUrl": f"postgresql://ci:{FAKE_CI}@db/tg\n"}, "ciDbUrl", "whitespace"),
    Bad(
        "redis-password-in-query",
        "preview",
        {"redisUrl": f"redis://redis:6379/0?password={P('redisUrl', 'preview')}"},
        "redisUrl",
        "query string",
    ),
    Bad(
        "redis-query-parameter-twice",
        "production",
        {
            "redisUrl": f"rediss://default:{P('redisUrl', 'production')}@redis.production.internal:6379/0"
            "?ssl_cert_reqs=required&ssl_cert_reqs=none"
        },
        "redisUrl",
        "sets a query parameter twice; set each once",
    ),
    Bad(
        "token-with-newline",
        "preview",
        {"vercelToken": f"{P('vercelToken', 'preview')}\n"},
        "vercelToken",
        "whitespace",
    ),
    Bad(
        "secret-as-extra-name",
        "preview",
        {"extraSecrets": extras({f"sk-{FAKE_CI}": "value"})},
        "extraSecrets",
        "extra secret names are upper-case",
    ),
    # A PostgreSQL URL the production-database guard could not compare, wherever it is put.
    Bad(
        "extra-secret-postgres-url-with-two-hosts",
        "staging",
        {"extraSecrets": extras({"REPORTING_DB_URL": f"postgresql://r:{FAKE_STAGING_CI}@a,b/reporting"})},
        "extraSecrets.REPORTING_DB_URL",
        "holds a PostgreSQL URL that names several hosts",
    ),
    Bad(
        "token-holding-an-unreadable-postgres-url",
        "production",
        {"vercelToken": f"POSTGRES://ci:{P('ciDbUrl', 'production')}@db/x?password=y"},
        "vercelToken",
        "holds a PostgreSQL URL that carries a password in the query string",
    ),
    Bad(
        "extra-secret-jdbc-url-with-a-password-in-the-query",
        "staging",
        {"extraSecrets": extras({"EXTRA_DB": f"jdbc:postgresql://db/tg?user=ci&password={FAKE_STAGING_CI}"})},
        "extraSecrets.EXTRA_DB",
        "holds a PostgreSQL URL that carries a password in the query string",
    ),
    Bad(
        "extra-secret-env-line-with-two-hosts",
        "staging",
        {"extraSecrets": extras({"EXTRA_DB": f"DATABASE_URL=postgresql://r:{FAKE_STAGING_CI}@a,b/reporting"})},
        "extraSecrets.EXTRA_DB",
        "holds a PostgreSQL URL that names several hosts",
    ),
    Bad(
        "extra-secret-json-url-with-host-in-the-query",
        "preview",
        {"extraSecrets": extras({"EXTRA_DB": json.dumps({"url": f"postgresql://r:{FAKE_CI}@db/tg?host=prod"})})},
        "extraSecrets.EXTRA_DB",
        "holds a PostgreSQL URL that sets the query parameter 'host'",
    ),
    Bad(
        "extra-secret-keyword-string-with-two-hosts",
        "staging",
        {"extraSecrets": extras({"EXTRA_DB": f"host=a,b dbname=tg password={FAKE_STAGING_CI}"})},
        "extraSecrets.EXTRA_DB",
        "holds a libpq connection string that names several hosts",
    ),
    Bad(
        "extra-named-for-node-options",
        "staging",
        {"extraSecrets": extras({"NODE_OPTIONS": "--require=./x.js"})},
        "extraSecrets",
        "'NODE_OPTIONS' is a name to leave alone (NODE_*: Node.js reads",
    ),
    Bad(
        "extra-named-for-vercel",
        "preview",
        {"extraSecrets": extras({"VERCEL_OIDC_TOKEN": P("OPENAI_API_KEY", "preview")})},
        "extraSecrets",
        "'VERCEL_OIDC_TOKEN' is a name to leave alone (VERCEL_*: Vercel's system variables",
    ),
    Bad(
        "extra-value-with-nul",
        "preview",
        {"extraSecrets": extras({"OPENAI_API_KEY": P("OPENAI_API_KEY", "preview") + "\x00tail"})},
        "extraSecrets",
        "'OPENAI_API_KEY' holds a NUL character",
    ),
    Bad(
        "extra-value-with-escape-sequence",
        "staging",
        {"extraSecrets": extras({"OPENAI_API_KEY": P("OPENAI_API_KEY", "staging") + "\x1b[2K\rsk-other"})},
        "extraSecrets",
        "'OPENAI_API_KEY' holds a control character (U+001B)",
    ),
    Bad(
        "secret-over-48-kb",
        "preview",
        {"extraSecrets": extras({"LONG_KEY": "k" * (48 * 1024 + 1)})},
        "extraSecrets",
        "over 48 KB",
    ),
    Bad(
        "more-than-100-secrets",
        "preview",
        {"extraSecrets": extras({f"KEY_{n:03d}": "value" for n in range(98)})},
        "extraSecrets",
        "at most 100",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_a_bad_secret_value_is_refused_clearly(run_stack: Callable[..., evaluator.Evaluation], case: Bad) -> None:
    assert_refused_clearly(run_stack, case)


ACCEPTED = {
    "OPENAI_API_KEY": "sk-fake-accepted-1",
    "ANTHROPIC_API_KEY": "sk-ant-fake-accepted-2",
    "AWS_ACCESS_KEY_ID": "AKIAFAKEACCEPTED",  # Vercel lists it as allowed
    "CIRCLE_TOKEN": "fake-accepted-3",  # CI only as a whole name
    "HOMEBREW_API_TOKEN": "fake-accepted-4",  # HOME only as a whole name
    "PUBLICATION_KEY": "fake-accepted-5",  # PUBLIC_ needs its underscore
    "NODEJS_ORG_TOKEN": "fake-accepted-6",  # NODE_ needs its underscore
    "ENVOY_TOKEN": "fake-accepted-7",
}


def test_ordinary_extra_secrets_are_accepted() -> None:
    assert extra_problems("preview", ACCEPTED, is_secret=True) == []


@pytest.mark.parametrize(
    ("character", "says"),
    [
        ("\x00", "a NUL character"),
        ("\r", "a control character (U+000D)"),  # a carriage return alone rewrites the line it is shown on
        ("\x1b", "a control character (U+001B)"),
        ("\x08", "a control character (U+0008)"),
        ("\x7f", "a control character (U+007F)"),
        ("\x85", "a control character (U+0085)"),
    ],
)
def test_a_value_with_a_control_character_is_refused_without_quoting_it(character: str, says: str) -> None:
    value = f"sk-fake-{character}-Zq81value"
    (problem,) = extra_problems("preview", {"OPENAI_API_KEY": value}, is_secret=True)
    assert problem.startswith(f"tenantguard-infra:extraSecrets: 'OPENAI_API_KEY' holds {says};")
    assert "Zq81value" not in problem
    assert "base64" in problem


@pytest.mark.parametrize("text", ["line\nline", "line\r\nline", "key\tvalue"])
def test_multi_line_material_is_text(text: str) -> None:
    value = f"-----BEGIN FAKE KEY-----\n{text}\n-----END FAKE KEY-----"
    assert extra_problems("preview", {"SIGNING_KEY": value}, is_secret=True) == []


def test_a_refused_name_is_named_by_its_position_only() -> None:
    (problem,) = extra_problems("preview", {"OPENAI_API_KEY": "sk-fake-1", "sk_live_Zq81": "x"}, is_secret=True)
    assert problem.startswith("tenantguard-infra:extraSecrets: name 2 of 2 is not accepted")
    assert "sk_live_Zq81" not in problem


@pytest.mark.parametrize(
    ("character", "says"),
    [
        ("\u00ad", "an invisible character (U+00AD)"),  # resolvers drop it from a host name (nameprep)
        ("\u200b", "an invisible character (U+200B)"),
        ("\u202e", "an invisible character (U+202E)"),  # reverses what a page or a terminal shows after it
        ("\ufeff", "an invisible character (U+FEFF)"),
        ("\ufe0f", "an invisible character (U+FE0F)"),  # a variation selector (Mn), mapped to nothing too
        ("\u2028", "an invisible character (U+2028)"),  # a line terminator to JavaScript and some .env readers
        ("\u2029", "an invisible character (U+2029)"),
    ],
)
def test_a_value_with_an_invisible_character_is_refused_without_quoting_it(character: str, says: str) -> None:
    value = f"sk-fake-{character}-Zq81value"
    (problem,) = extra_problems("preview", {"OPENAI_API_KEY": value}, is_secret=True)
    assert problem.startswith(f"tenantguard-infra:extraSecrets: 'OPENAI_API_KEY' holds {says};")
    assert "Zq81value" not in problem
