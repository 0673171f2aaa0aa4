"""Bad configurations, as data: each fails with a message naming its key, no secret in it, nothing registered."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.helpers import assert_no_secret
from tools import evaluator
from tools.fakes import secret_part as P  # noqa: N812 - short, since the cases below read as data


@dataclass(frozen=True)
class Bad:
    id: str
    stack: str
    overrides: dict[str, str | None]
    key: str
    says: str
    plaintext: tuple[str, ...] = field(default=())
    """Keys stored unencrypted although they are secrets."""
    encrypted: tuple[str, ...] = field(default=())
    """Keys stored encrypted although they are not secrets."""


def extras(mapping: dict[str, str]) -> str:
    return json.dumps(mapping)


PROD_DB = f"postgresql://ci:{P('ciDbUrl', 'production')}@db.production.internal:5432/tenantguard"
FAKE_CI = P("ciDbUrl", "preview")
"""The preview stack's CI database password: whatever is refused below, it must not be quoted."""
FAKE_STAGING_CI = P("ciDbUrl", "staging")
CASES = [
    # A required key is missing.
    Bad("missing-tier", "preview", {"tier": None}, "tier", "is required"),
    Bad("missing-owner", "preview", {"githubOwner": None}, "githubOwner", "is required"),
    Bad("missing-repositories", "staging", {"repositories": None}, "repositories", "is required"),
    Bad("missing-vercel-project", "preview", {"vercelProjectId": None}, "vercelProjectId", "is required"),
    Bad(
        "missing-ci-db-url",
        "staging",
        {"ciDbUrl": None},
        "ciDbUrl",
        "`pulumi config set --secret --stack staging ciDbUrl`",
    ),
    Bad("missing-database-url", "preview", {"databaseUrl": None}, "databaseUrl", "is required"),
    Bad("missing-redis-url", "production", {"redisUrl": None}, "redisUrl", "is required"),
    Bad("missing-vercel-token", "preview", {"vercelToken": None}, "vercelToken", "is required"),
    Bad("missing-fingerprint-key", "preview", {"dbFingerprintKey": None}, "dbFingerprintKey", "is required"),
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
    # Plaintext where a secret is required.
    Bad("plaintext-ci-db-url", "preview", {}, "ciDbUrl", "must be a secret", plaintext=("ciDbUrl",)),
    Bad("plaintext-vercel-token", "production", {}, "vercelToken", "must be a secret", plaintext=("vercelToken",)),
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
    Bad("bad-vercel-project-id", "preview", {"vercelProjectId": "tenantguard-web"}, "vercelProjectId", "prj_"),
    Bad("bad-owner", "preview", {"githubOwner": "tenant guard"}, "githubOwner", "GitHub organization"),
    Bad(
        "unknown-key",
        "preview",
        {"reviewerTeam": '["ops"]'},
        "reviewerTeam",
        "did you mean reviewerTeams? (`pulumi config rm --stack preview reviewerTeam`)",
    ),
    Bad(
        "plaintext-under-mis-cased-secret-key",
        "staging",
        {"ciDbURL": f"postgresql://ci:{FAKE_STAGING_CI}@db.staging.internal:5432/tenantguard"},
        "ciDbURL",
        "(did you mean ciDbUrl?) and holds plaintext where a secret belongs: if the stack file was ever committed or "
        "shared, rotate it; remove it (`pulumi config rm --stack staging ciDbURL`) and set the (new) value with "
        "`pulumi config set --secret --stack staging ciDbUrl`, which asks for it",
    ),
    Bad("unknown-tier", "preview", {"tier": "qa"}, "tier", "preview, staging, production"),
    # Protection rules.
    Bad("production-without-reviewers", "production", {"reviewerTeams": "[]"}, "reviewerTeams", "at least one team"),
    Bad(
        "too-many-reviewers",
        "production",
        {"reviewerTeams": json.dumps([f"team-{n}" for n in range(7)])},
        "reviewerTeams",
        "at most 6",
    ),
    Bad(
        "production-environment-renamed",
        "production",
        {"environmentName": "prod"},
        "environmentName",
        "must be 'production' in production",
    ),
    Bad(
        "production-self-review",
        "production",
        {"preventSelfReview": "false"},
        "preventSelfReview",
        "must be true in production",
    ),
    Bad(
        "production-wildcard-branch",
        "production",
        {"deploymentBranches": '["*"]'},
        "deploymentBranches",
        "no wildcards",
    ),
    Bad(
        "staging-without-branches",
        "staging",
        {"deploymentBranches": "[]"},
        "deploymentBranches",
        "must name the branches",
    ),
    Bad(
        "staging-without-vercel-branch", "staging", {"vercelGitBranch": None}, "vercelGitBranch", "required in staging"
    ),
    Bad(
        "preview-with-vercel-branch",
        "preview",
        {"vercelGitBranch": "staging"},
        "vercelGitBranch",
        "only accepted in staging",
    ),
    # Vercel targets: only staging narrows them (git branch or custom environments), and ids are checked whole.
    Bad(
        "production-with-custom-environment",
        "production",
        {"vercelCustomEnvironmentIds": '["env_Production1"]'},
        "vercelCustomEnvironmentIds",
        "only accepted in staging; production uses the production target",
    ),
    Bad(
        "preview-with-custom-environment",
        "preview",
        {"vercelCustomEnvironmentIds": '["env_Preview1"]'},
        "vercelCustomEnvironmentIds",
        "only accepted in staging; preview uses the preview target",
    ),
    Bad(
        "custom-environment-not-an-id",
        "staging",
        {"vercelGitBranch": None, "vercelCustomEnvironmentIds": '["staging"]'},
        "vercelCustomEnvironmentIds",
        "(item 1 of 1) is not accepted; expected Vercel custom environment ids (env_...)",
    ),
    Bad(
        "custom-environment-id-with-newline",
        "staging",
        {"vercelGitBranch": None, "vercelCustomEnvironmentIds": '["env_Staging42", "env_Staging43\\n"]'},
        "vercelCustomEnvironmentIds",
        "(item 2 of 2) is not accepted; expected Vercel custom environment ids (env_...)",
    ),
    Bad(
        "staging-git-branch-and-custom-environment",
        "staging",
        {"vercelCustomEnvironmentIds": '["env_Staging42"]'},
        "vercelCustomEnvironmentIds",
        "give one of them",
    ),
    Bad(
        "team-id-not-an-id",
        "preview",
        {"vercelTeamId": "tenantguard"},
        "vercelTeamId",
        "is not accepted; expected a Vercel team id (team_...)",
    ),
    Bad("secret-as-team-id", "preview", {"vercelTeamId": FAKE_CI}, "vercelTeamId", "expected a Vercel team id"),
    Bad("wait-timer-too-long", "production", {"waitTimerMinutes": "50000"}, "waitTimerMinutes", "between 0 and 43200"),
    # Wrong types.
    Bad("wait-timer-not-a-number", "production", {"waitTimerMinutes": "soon"}, "waitTimerMinutes", "whole number"),
    Bad("boolean-not-a-boolean", "preview", {"runMigrations": "maybe"}, "runMigrations", "true or false"),
    Bad("list-not-a-list", "preview", {"repositories": "tenantguard"}, "repositories", "list of strings"),
    Bad("map-not-a-map", "preview", {"extraSecrets": '["OPENAI_API_KEY"]'}, "extraSecrets", "map of names"),
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
    Bad(
        "legacy-name-with-newline",
        "preview",
        {"legacySecretNames": '["DB_URL\\n"]'},
        "legacySecretNames",
        "not a valid",
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
    # A secret stored under the wrong key is never echoed.
    Bad("secret-as-vercel-project", "preview", {"vercelProjectId": FAKE_CI}, "vercelProjectId", "not accepted"),
    Bad("secret-as-owner", "preview", {"githubOwner": f"{FAKE_CI}!"}, "githubOwner", "not accepted"),
    Bad("secret-as-environment", "preview", {"environmentName": f"{FAKE_CI} x"}, "environmentName", "not accepted"),
    Bad(
        "secret-as-branch",
        "staging",
        {"deploymentBranches": json.dumps([f"{FAKE_STAGING_CI} x"])},
        "deploymentBranches",
        "item 1",
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
        "non-secret-stored-as-secret",
        "preview",
        {},
        "vercelProjectId",
        "stored as a secret",
        encrypted=("vercelProjectId",),
    ),
    Bad(
        "repositories-stored-as-secret",
        "staging",
        {},
        "repositories",
        "store it in plaintext: `pulumi config rm --stack staging repositories` then "
        "`pulumi config set --stack staging repositories <value>`",
        encrypted=("repositories",),
    ),
    # GitHub environment names ignore case: no look-alike of production outside production.
    Bad("preview-named-Production", "preview", {"environmentName": "Production"}, "environmentName", "in any casing"),
    Bad("staging-named-PRODUCTION", "staging", {"environmentName": "PRODUCTION"}, "environmentName", "in any casing"),
    # Nor a name that claims production by one of its words, the rule tools.bootstrap applies to stack names.
    Bad(
        "staging-named-production-dot",
        "staging",
        {"environmentName": "production."},
        "environmentName",
        "(or the stack name it defaults to) claims production (production) in a staging stack; choose a name",
    ),
    Bad(
        "staging-named-prod",
        "staging",
        {"environmentName": "prod"},
        "environmentName",
        "(or the stack name it defaults to) claims production (prod) in a staging stack; choose a name",
    ),
    Bad(
        "preview-named-Live-EU",
        "preview",
        {"environmentName": "Live-EU"},
        "environmentName",
        "(or the stack name it defaults to) claims production (live) in a preview stack; choose a name",
    ),
    Bad(
        "staging-named-ProdEU",
        "staging",
        {"environmentName": "ProdEU"},
        "environmentName",
        "(or the stack name it defaults to) claims production (prod) in a staging stack; choose a name",
    ),
    Bad(
        "staging-named-liveEU",
        "staging",
        {"environmentName": "liveEU"},
        "environmentName",
        "(or the stack name it defaults to) claims production (live) in a staging stack; choose a name",
    ),
    Bad(
        "staging-named-ProductionEU",
        "staging",
        {"environmentName": "ProductionEU"},
        "environmentName",
        "(or the stack name it defaults to) claims production (production) in a staging stack; choose a name",
    ),
    Bad(
        "staging-named-prd2",
        "staging",
        {"environmentName": "prd2"},
        "environmentName",
        "(or the stack name it defaults to) claims production (prd) in a staging stack; choose a name",
    ),
    # Outside the preview tier, an exact name or whole path segments before any wildcard: anything else can
    # match a branch anyone with push access creates.
    Bad(
        "staging-any-branch",
        "staging",
        {"deploymentBranches": '["*"]'},
        "deploymentBranches",
        "(item 1 of 1) is not accepted in staging: give an exact branch name (e.g. staging) or whole path segments "
        "before any wildcard (e.g. release/*, hotfix/v2/*), with no braces or brackets; anyone who can push a "
        "matching branch gets staging's secrets, so protect that namespace with a ruleset that limits who can "
        "create such branches",
    ),
    Bad(
        "staging-any-path",
        "staging",
        {"deploymentBranches": '["**"]'},
        "deploymentBranches",
        "(item 1 of 1) is not accepted in staging: give an exact branch name",
    ),
    Bad(
        "staging-wildcard-dash-wildcard",
        "staging",
        {"deploymentBranches": '["staging", "*-*"]'},
        "deploymentBranches",
        "(item 2 of 2) is not accepted in staging: give an exact branch name",
    ),
    Bad(
        "staging-brace-with-wildcard",
        "staging",
        {"deploymentBranches": '["{staging,*}"]'},
        "deploymentBranches",
        "(item 1 of 1) is not accepted in staging: give an exact branch name",
    ),
    Bad(
        "staging-separator-then-wildcard",
        "staging",
        {"deploymentBranches": '["-*"]'},
        "deploymentBranches",
        "(item 1 of 1) is not accepted in staging: give an exact branch name",
    ),
    Bad(
        "staging-one-letter-then-wildcard",
        "staging",
        {"deploymentBranches": '["s*"]'},
        "deploymentBranches",
        "(item 1 of 1) is not accepted in staging: give an exact branch name",
    ),
    Bad(
        "staging-one-other-letter-then-wildcard",
        "staging",
        {"deploymentBranches": '["x*"]'},
        "deploymentBranches",
        "(item 1 of 1) is not accepted in staging: give an exact branch name",
    ),
    Bad(
        "staging-one-digit-then-wildcard",
        "staging",
        {"deploymentBranches": '["1*"]'},
        "deploymentBranches",
        "(item 1 of 1) is not accepted in staging: give an exact branch name",
    ),
    Bad(
        "staging-letter-then-question-mark",
        "staging",
        {"deploymentBranches": '["a?*"]'},
        "deploymentBranches",
        "(item 1 of 1) is not accepted",
    ),
    Bad(
        "staging-letter-then-brace-with-wildcard",
        "staging",
        {"deploymentBranches": '["f{a,*}"]'},
        "deploymentBranches",
        "(item 1 of 1) is not accepted in staging: give an exact branch name",
    ),
    Bad(
        "staging-date-prefix",
        "staging",
        {"deploymentBranches": '["2026-*"]'},
        "deploymentBranches",
        "(item 1 of 1) is not accepted in staging: give an exact branch name",
    ),
    Bad(
        "staging-brace-alternatives",
        "staging",
        {"deploymentBranches": '["hotfix-{a,b}"]'},
        "deploymentBranches",
        "(item 1 of 1) is not accepted in staging: give an exact branch name",
    ),
    Bad(
        "staging-brace-inside-a-namespace",
        "staging",
        {"deploymentBranches": '["release/{a,b}"]'},
        "deploymentBranches",
        "(item 1 of 1) is not accepted in staging: give an exact branch name",
    ),
    Bad(
        "staging-brace-after-a-namespace-wildcard",
        "staging",
        {"deploymentBranches": '["release/*-{a,b}"]'},
        "deploymentBranches",
        "(item 1 of 1) is not accepted in staging: give an exact branch name",
    ),
    Bad(
        "staging-namespace-without-a-segment",
        "staging",
        {"deploymentBranches": '["/*"]'},
        "deploymentBranches",
        "(item 1 of 1) is not accepted in staging: give an exact branch name",
    ),
    Bad(
        "staging-namespace-segment-of-punctuation",
        "staging",
        {"deploymentBranches": '["-/*"]'},
        "deploymentBranches",
        "(item 1 of 1) is not accepted in staging: give an exact branch name",
    ),
    Bad(
        "staging-partial-segment",
        "staging",
        {"deploymentBranches": '["release/v*"]'},
        "deploymentBranches",
        "(item 1 of 1) is not accepted in staging: give an exact branch name",
    ),
    Bad(
        "production-brace-alternatives",
        "production",
        {"deploymentBranches": '["{main,dev}"]'},
        "deploymentBranches",
        "no wildcards or braces",
    ),
    Bad(
        "production-pattern",
        "production",
        {"deploymentBranches": '["release/*"]'},
        "deploymentBranches",
        "no wildcards",
    ),
    # Values that used to pass and fail later, after resources were registered.
    Bad("owner-with-newline", "preview", {"githubOwner": "tenantguard\n"}, "githubOwner", "not accepted"),
    Bad("dot-dot-repository", "preview", {"repositories": '[".."]'}, "repositories", "'.' or '..'"),
    Bad(
        "repositories-differing-in-case",
        "preview",
        {"repositories": '["tenantguard", "TenantGuard"]'},
        "repositories",
        "repeats an earlier item",
    ),
    Bad(
        "teams-repeated",
        "production",
        {"reviewerTeams": '["security", "security"]'},
        "reviewerTeams",
        "repeats an earlier item",
    ),
    Bad(
        "branches-repeated",
        "staging",
        {"deploymentBranches": '["staging", "Staging"]'},
        "deploymentBranches",
        "repeats an earlier item",
    ),
    Bad("wait-timer-with-newline", "production", {"waitTimerMinutes": "5\n"}, "waitTimerMinutes", "whole number"),
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
    Bad(
        "production-stack-not-a-name",
        "staging",
        {"productionStack": "prod stack!"},
        "productionStack",
        "not a stack name",
    ),
    Bad("rotation-not-a-counter", "preview", {"sessionKeyRotation": "two"}, "sessionKeyRotation", "whole number"),
    Bad("rotation-without-a-date", "preview", {"sessionKeyRotation": "2"}, "sessionKeyRotatedOn", "is required"),
    Bad(
        "rotation-date-malformed",
        "preview",
        {"sessionKeyRotation": "2", "sessionKeyRotatedOn": "25/11/2026"},
        "sessionKeyRotatedOn",
        "YYYY-MM-DD",
    ),
    Bad(
        "rotation-date-in-the-future",
        "preview",
        {"sessionKeyRotation": "2", "sessionKeyRotatedOn": "2999-01-01"},
        "sessionKeyRotatedOn",
        "in the future",
    ),
    Bad("overlap-too-long", "preview", {"sessionKeyOverlapDays": "365"}, "sessionKeyOverlapDays", "between 0 and 90"),
    Bad(
        "production-stack-in-production",
        "production",
        {"productionStack": "organization/tenantguard-infra/production"},
        "productionStack",
        "only read by tiers",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_configuration_is_refused_clearly(run_stack: Callable[..., evaluator.Evaluation], case: Bad) -> None:
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack(case.stack, case.overrides, plaintext=case.plaintext, encrypted=case.encrypted)
    message = str(failure.value)
    assert f"tenantguard-infra:{case.key}" in message
    assert case.says in message
    assert_no_secret(case.stack, [message])
    assert failure.value.resources == {}


@pytest.mark.parametrize(
    "name",
    [f"sk-proj-{FAKE_CI}", FAKE_CI, "correctHorseBatteryStaple", "reviewerTeams\n", "dbFingerprintKeyA1b2C3d4"],
    ids=["token", "camel-case", "words", "near-miss-with-newline", "value-appended-to-a-key"],
)
def test_an_unknown_key_is_counted_not_named_unless_a_near_miss(
    run_stack: Callable[..., evaluator.Evaluation], name: str
) -> None:
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack("preview", {name: "x"})
    message = str(failure.value)
    assert "tenantguard-infra: 1 key not declared in Pulumi.yaml is set; names not shown" in message
    assert "list the keys with `pulumi config --stack preview`" in message
    assert name.casefold() not in message.casefold()
    assert_no_secret("preview", [message])
    assert failure.value.resources == {}


def test_an_encrypted_value_under_a_mis_cased_secret_key_is_not_called_plaintext(
    run_stack: Callable[..., evaluator.Evaluation],
) -> None:
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack("preview", {"ciDbURL": f"postgresql://ci:{FAKE_CI}@db/tg"}, encrypted=("ciDbURL",))
    message = str(failure.value)
    assert "tenantguard-infra:ciDbURL is not a known key; did you mean ciDbUrl?" in message
    assert "plaintext" not in message
    assert failure.value.resources == {}


def test_every_problem_is_listed_at_once(run_stack: Callable[..., evaluator.Evaluation]) -> None:
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack(
            "production", {"reviewerTeams": "[]", "redisUrl": f"redis://default:{P('redisUrl', 'production')}@r:6379"}
        )
    assert "reviewerTeams" in str(failure.value)
    assert "redisUrl" in str(failure.value)


@pytest.mark.stack_files
def test_unknown_stack_file_names_the_known_stacks(stack_dir: Path) -> None:
    with pytest.raises(
        FileNotFoundError, match=r"no stack file Pulumi\.qa\.yaml.*known stacks: preview, production, staging$"
    ):
        evaluator.stack_config("qa", stack_dir)
