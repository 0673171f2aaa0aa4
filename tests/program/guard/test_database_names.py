"""infra/guard/database_names.py, compared as the guard compares it: a corpus of real-world connection settings, each
pointing at production's database, at another database on production's server, and at a server of its own."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest

from infra.guard.database_names import UnguardableValueError, read
from infra.guard.production_database import FINGERPRINTS_OUTPUT, SERVER_FINGERPRINTS_OUTPUT, compare, exports
from infra.tables.type_tokens import STACK_REFERENCE
from tests.fakes import PRODUCTION_STACK_NAME, fake_secrets, secret_part
from tests.helpers import assert_no_secret
from tools import evaluator

FINGERPRINT_KEY = fake_secrets("production")["dbFingerprintKey"]
PASSWORD = secret_part("ciDbUrl", "staging")


@dataclass(frozen=True)
class Target:
    host: str
    port: str
    db: str
    user: str = "ci"
    password: str = PASSWORD


PRODUCTION = Target("db.production.internal", "5432", "tenantguard")
"""Production's database, as the fake production stack's ciDbUrl and databaseUrl name it."""
PRODUCTION_SERVER = Target("db.production.internal", "5432", "reporting")
"""Another database on production's server."""
ELSEWHERE = Target("db.staging.internal", "5432", "tenantguard")
"""The staging stack's own database (its name is production's: only the server differs)."""

CORPUS: dict[str, str] = {
    "libpq URL": "postgresql://{user}:{password}@{host}:{port}/{db}?sslmode=require",
    "JDBC URL": "jdbc:postgresql://{host}:{port}/{db}?sslmode=require",
    "Spring properties": (
        "spring.datasource.url=jdbc:postgresql://{host}:{port}/{db}\n"
        "spring.datasource.username={user}\nspring.datasource.password={password}"
    ),
    "SQLAlchemy URL": "postgresql+psycopg2://{user}:{password}@{host}:{port}/{db}",
    "Django DATABASES as JSON": (
        '{{"default": {{"ENGINE": "django.db.backends.postgresql", "NAME": "{db}", "USER": "{user}", '
        '"PASSWORD": "{password}", "HOST": "{host}", "PORT": "{port}"}}}}'
    ),
    "AWS Secrets Manager RDS secret": (
        '{{"username": "{user}", "password": "{password}", "engine": "postgres", "host": "{host}", '
        '"port": {port}, "dbname": "{db}", "dbInstanceIdentifier": "tenantguard-production"}}'
    ),
    "PGHOST block": "PGHOST={host}\nPGPORT={port}\nPGDATABASE={db}\nPGUSER={user}\nPGPASSWORD={password}",
    "exported PGHOST block": (
        'export PGHOST="{host}"\nexport PGPORT={port}\nexport PGDATABASE={db}\nexport PGUSER={user}'
    ),
    ".pgpass line": "{host}:{port}:{db}:{user}:{password}",
    "Npgsql": "Host={host};Port={port};Database={db};Username={user};Password={password};SSL Mode=Require",
    "ADO.NET aliases": "Server={host};Port={port};Initial Catalog={db};User Id={user};Password={password}",
    "PHP PDO DSN": "pgsql:host={host};port={port};dbname={db};sslmode=require",
    "Go lib/pq keyword string": "host={host} port={port} user={user} password={password} dbname={db} sslmode=require",
    "psql command line": 'psql "host={host} port={port} dbname={db} user={user}"',
    "Heroku DATABASE_URL": "postgres://{user}:{password}@{host}:{port}/{db}",
    "Render external URL": "postgresql://{user}:{password}@{host}/{db}",
    "Supabase pooler URL": "postgresql://postgres.abcdefghijkl:{password}@{host}:{port}/{db}",
    "Neon URL": "postgresql://{user}:{password}@{host}/{db}?sslmode=require&channel_binding=require",
    "Prisma .env line": 'DATABASE_URL="postgresql://{user}:{password}@{host}:{port}/{db}?sslmode=require"',
    "docker-compose environment list": (
        "services:\n  app:\n    environment:\n      - POSTGRES_HOST={host}\n      - POSTGRES_PORT={port}\n"
        "      - POSTGRES_DB={db}\n      - POSTGRES_USER={user}\n      - POSTGRES_PASSWORD={password}"
    ),
    "docker-compose environment map": (
        "environment:\n  DB_HOST: {host}\n  DB_PORT: '{port}'\n  DB_NAME: {db}\n  DB_PASSWORD: {password}"
    ),
    "Rails database.yml": (
        "production:\n  adapter: postgresql\n  host: {host}\n  port: {port}\n  database: {db}\n  username: {user}"
    ),
    "Kubernetes Secret data, base64": "apiVersion: v1\nkind: Secret\ndata:\n  DATABASE_URL: {base64_url}",
    "Kubernetes Secret stringData": (
        "apiVersion: v1\nkind: Secret\nstringData:\n  DATABASE_URL: postgresql://{user}:{password}@{host}:{port}/{db}"
    ),
    "Terraform tfvars": 'db_host = "{host}"\ndb_port = {port}\ndb_name = "{db}"',
    "URL-encoded host": "postgresql://{user}:{password}@{encoded_host}:{port}/{db}",
    "keyword pairs in a sentence": "Use host={host} port={port} dbname={db} user={user}, password in the vault.",
}
"""How teams write connection settings, each a template of one database."""


def written(template: str, target: Target) -> str:
    url = f"postgresql://{target.user}:{target.password}@{target.host}:{target.port}/{target.db}"
    return template.format(
        **vars(target),
        encoded_host=quote(target.host, safe="").replace(".", "%2E"),
        base64_url=base64.b64encode(url.encode()).decode(),
    )


def named(value: str, exported: dict[str, Any]) -> str:
    """What the guard finds `value` names of production's: "database", "server" or "nothing"."""
    matches = compare(
        {"key": read(value)}, FINGERPRINT_KEY, exported[FINGERPRINTS_OUTPUT], exported[SERVER_FINGERPRINTS_OUTPUT]
    )
    return "database" if matches.databases else "server" if matches.servers else "nothing"


@pytest.fixture(scope="module")
def exported(production_reference: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """What the production stack's real program exports, as the other stacks read it."""
    return production_reference[PRODUCTION_STACK_NAME]


@pytest.mark.parametrize("form", CORPUS)
def test_each_form_naming_production_s_database_is_refused_as_a_database(form: str, exported: dict[str, Any]) -> None:
    assert named(written(CORPUS[form], PRODUCTION), exported) == "database"


@pytest.mark.parametrize("form", CORPUS)
def test_each_form_naming_another_database_on_production_s_server_is_refused_as_its_server(
    form: str, exported: dict[str, Any]
) -> None:
    assert named(written(CORPUS[form], PRODUCTION_SERVER), exported) == "server"


@pytest.mark.parametrize("form", CORPUS)
def test_each_form_naming_a_server_of_its_own_is_allowed(form: str, exported: dict[str, Any]) -> None:
    assert named(written(CORPUS[form], ELSEWHERE), exported) == "nothing"


@pytest.mark.parametrize(
    "value",
    [
        "postgresql://db.production.internal/tenantguard?schema=public",  # Prisma's own parameter: libpq refuses it
        "jdbc:postgresql://db.staging.internal:5432/tenantguard?user=ci&password=x",
        "postgresql://db.staging.internal/tenantguard postgresql://db.production.internal/tenantguard",
    ],
    ids=["prisma-parameter", "jdbc-password-in-query", "space-separated-list"],
)
def test_a_url_libpq_would_not_read_as_written_stays_refused(value: str) -> None:
    # The guard could not say what libpq would connect to: config validation refuses it, in every tier.
    with pytest.raises(UnguardableValueError):
        read(value)


def test_a_value_naming_no_server_reads_as_no_host_of_production(exported: dict[str, Any]) -> None:
    assert named(f"sk-proj-{PASSWORD}", exported) == "nothing"
    assert named(fake_secrets("production")["redisUrl"], exported) == "nothing"


ADVERSARIAL = {
    "one long dotted word": "a." * 24_000,
    "one long run of colons": "a:" * 24_000,
    "hex and colons": "abcd:" * 10_000,
    "JSON nested deeper than its decoder goes": "[" * 24_000 + "]" * 24_000,
    "thousands of labels": "\n".join(f"db_{n}_host=h{n}.example.com" for n in range(3_000)),
    "production's host beside thousands of numbers and names": "db.production.internal:5432 "
    + " ".join(f"{n} dbname={n}" for n in range(5_000)),
}
"""Values whose reading would take minutes if any step went quadratic (GitHub allows 48 KB per secret)."""


@pytest.mark.slow
@pytest.mark.parametrize("shape", ADVERSARIAL)
def test_reading_a_large_value_stays_linear(shape: str, exported: dict[str, Any]) -> None:
    assert named(ADVERSARIAL[shape][: 48 * 1024], exported) in {"nothing", "server"}


def test_a_reading_never_shows_what_it_holds() -> None:
    reading = read(written(CORPUS["libpq URL"], PRODUCTION))
    assert repr(reading) == "Reading(***)"


# What the findings showed passing, through the whole program: production's database in a shape read as libpq reads
# it, or in labelled fields beside production's server. Each failed before the shape was read.
PRODUCTION_HOST = PRODUCTION.host
STAGING_PASSWORD = PASSWORD
REUSED = "tenantguard-infra:extraSecrets.EXTRA_DB points at a database of"


def refusal(run_stack: Callable[..., evaluator.Evaluation], value: str) -> str:
    """The staging stack's failure for `value` as an extra secret; asserts nothing was registered and nothing shown."""
    with pytest.raises(evaluator.ProgramFailedError) as failure:
        run_stack("staging", {"extraSecrets": json.dumps({"EXTRA_DB": value})})
    message = str(failure.value)
    assert_no_secret("staging", [message, *failure.value.logs])
    assert PRODUCTION_HOST not in message.casefold()
    assert [urn for urn in failure.value.resources if evaluator.resource_type(urn) != STACK_REFERENCE] == []
    return message


@pytest.mark.parametrize("port", ["+5432", "' 5432'", "' +05432 '", "5432abc"])
def test_a_keyword_string_with_a_port_libpq_reads_as_production_s_is_refused(
    run_stack: Callable[..., evaluator.Evaluation], port: str
) -> None:
    value = f"host={PRODUCTION_HOST} port={port} dbname=tenantguard user=ci password={STAGING_PASSWORD}"
    assert REUSED in refusal(run_stack, value)


MULTI_FIELD_SHAPES: dict[str, str] = {
    "AWS Secrets Manager RDS secret": json.dumps(
        {
            "engine": "postgres",
            "host": PRODUCTION_HOST,
            "port": 5432,
            "dbname": "tenantguard",
            "username": "ci",
            "password": STAGING_PASSWORD,
            "dbInstanceIdentifier": "tenantguard-production",
        }
    ),
    "PGHOST block": (
        f"PGHOST={PRODUCTION_HOST}\nPGPORT=5432\nPGDATABASE=tenantguard\nPGUSER=ci\nPGPASSWORD={STAGING_PASSWORD}"
    ),
    "PGHOST block with export": (
        f"export PGHOST={PRODUCTION_HOST}\nexport PGDATABASE=tenantguard\nexport PGPASSWORD={STAGING_PASSWORD}"
    ),
    "YAML host and database": (
        f"production:\n  adapter: postgresql\n  host: {PRODUCTION_HOST}\n  database: tenantguard\n"
        f"  password: {STAGING_PASSWORD}"
    ),
    "Npgsql": f"Host={PRODUCTION_HOST};Port=5432;Database=tenantguard;Username=ci;Password={STAGING_PASSWORD}",
    "PHP PDO": f"pgsql:host={PRODUCTION_HOST};port=5432;dbname=tenantguard;user=ci;password={STAGING_PASSWORD}",
    "keyword string inside prose": (
        f"Reporting reads host={PRODUCTION_HOST} port=5432 dbname=tenantguard user=ci (password {STAGING_PASSWORD})."
    ),
}


@pytest.mark.parametrize("shape", MULTI_FIELD_SHAPES)
def test_production_s_database_in_a_multi_field_shape_is_refused(
    run_stack: Callable[..., evaluator.Evaluation], shape: str
) -> None:
    assert REUSED in refusal(run_stack, MULTI_FIELD_SHAPES[shape])


@pytest.mark.parametrize("separator", [",", ";"])
def test_each_url_of_a_list_is_compared(run_stack: Callable[..., evaluator.Evaluation], separator: str) -> None:
    # As the finding wrote them: a value starting with a URL was read as one URL, the others inside its database name.
    own, production = "postgresql://db.staging.internal/tenantguard", f"postgresql://{PRODUCTION_HOST}/tenantguard"
    for value in (own + separator + production, production + separator + own, f"urls: {own}{separator} {production}"):
        assert REUSED in refusal(run_stack, value)


# Characters a resolver drops from a host name: IDNA 2003's nameprep maps RFC 3454 table B.1 to nothing (Python's
# socket.getaddrinfo encodes a str host with the idna codec, which psycopg 3 calls); UTS 46 ignores them (Node's
# dns.lookup). Each hid production's host from the guard while the driver reached it.
INVISIBLE = ["\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u034f", "\ufe0f", "\U000e0100"]


@pytest.mark.parametrize("character", INVISIBLE, ids=lambda character: f"U+{ord(character):04X}")
@pytest.mark.parametrize(
    "template",
    [
        "host={host} port=5432 dbname=tenantguard user=app password=x",
        "Host={host};Database=tenantguard;Username=app",
        "DB_HOST={encoded}\nDB_NAME=tenantguard",
        "PGHOST={host}\nPGDATABASE=tenantguard",
    ],
    ids=["keyword string", "Npgsql", "percent-encoded host field", "PGHOST block"],
)
def test_a_character_resolvers_drop_inside_production_s_host_hides_nothing(
    character: str, template: str, exported: dict[str, Any]
) -> None:
    host = f"db.pro{character}duction.internal"
    assert named(template.format(host=host, encoded=quote(host, safe=".")), exported) == "database"


@pytest.mark.parametrize("character", INVISIBLE, ids=lambda character: f"U+{ord(character):04X}")
def test_a_url_whose_host_decodes_to_a_character_resolvers_drop_is_refused(character: str) -> None:
    # libpq and urllib both decode it, so they agree; the driver's resolver then drops it. Config refuses it.
    with pytest.raises(UnguardableValueError):
        read(f"postgresql://ci:pw@{quote(f'db.pro{character}duction.internal', safe='.')}:5432/tenantguard")


@pytest.mark.parametrize("padding", range(28, 48, 3))
@pytest.mark.parametrize("indent", ["", "    "])
def test_base64_wrapped_at_76_columns_is_read_whole(padding: int, indent: str, exported: dict[str, Any]) -> None:
    # coreutils `base64` and Kubernetes manifests wrap at 76 columns; Go's decoder (kubectl) skips the line breaks.
    # With these lengths the wrap falls inside the host name, so no line holds it whole.
    url = f"postgresql://ci:{'p' * padding}@{PRODUCTION.host}:5432/tenantguard?sslmode=require"
    lines = base64.encodebytes(url.encode()).decode().splitlines()
    value = "apiVersion: v1\nkind: Secret\ndata:\n  DATABASE_URL: |\n" + "\n".join(indent + line for line in lines)
    assert named(value, exported) == "database"
    assert named("\n".join(lines), exported) == "database"


@pytest.mark.parametrize(
    "value",
    [
        'host: "db.produc\\\n  tion.internal"\ndatabase: tenantguard',  # YAML double-quoted: the indentation goes too
        "db.host=db.produc\\\n    tion.internal\ndb.name=tenantguard",  # java.util.Properties
        'db_host = """db.produc\\\n    tion.internal"""\ndb_name = "tenantguard"',  # TOML multi-line basic string
        'host: "db.produc\\\r\n  tion.internal"\r\ndatabase: tenantguard',
    ],
    ids=["YAML", "properties", "TOML", "CRLF"],
)
def test_an_escaped_line_break_that_drops_the_indentation_hides_nothing(value: str, exported: dict[str, Any]) -> None:
    assert named(value, exported) == "database"


# An acknowledged value may name production's server, never its database, in whatever shape: where the value names one
# of production's servers, every word of it is taken as a database name on that server (finding F1).
H = PRODUCTION.host
UNREAD_SHAPES = {
    "pgsql scheme (dj-database-url, django-environ)": f"pgsql://ci:pw@{H}:5432/tenantguard",
    "psql scheme (django-environ)": f"psql://ci:pw@{H}:5432/tenantguard",
    "postgis scheme": f"postgis://ci:pw@{H}:5432/tenantguard",
    "timescale scheme": f"timescale://ci:pw@{H}:5432/tenantguard",
    "cockroachdb scheme": f"cockroachdb://ci:pw@{H}:5432/tenantguard",
    "redshift scheme": f"redshift://ci:pw@{H}:5432/tenantguard",
    "jdbc:pgsql (pgjdbc-ng)": f"jdbc:pgsql://{H}:5432/tenantguard",
    "psql flags": f"psql -h {H} -p 5432 -d tenantguard -U ci",
    "pg_dump long flags": f"pg_dump --host {H} --dbname tenantguard",
    "YAML folded scalar": f"host: {H}\ndatabase: >-\n  tenantguard\n",
    "YAML value on the next line": f"host: {H}\ndatabase:\n  tenantguard\n",
    "YAML tag": f"host: {H}\ndatabase: !!str tenantguard\n",
    "YAML anchor": f"x: &d tenantguard\nhost: {H}\ndatabase: *d\n",
    "YAML literal scalar": f"host: {H}\ndatabase: |\n  tenantguard\n",
    "label with a suffix": f"DB_HOST={H}\nDB_NAME_PRIMARY=tenantguard",
    "XML elements": f"<host>{H}</host><database>tenantguard</database>",
    ".NET appSettings": f'<add key="DbHost" value="{H}"/><add key="DbName" value="tenantguard"/>',
    "pooler port on production's host": f"postgresql://ci:pw@{H}:6432/tenantguard",
}


@pytest.mark.parametrize("shape", UNREAD_SHAPES)
def test_production_s_database_beside_its_server_in_a_shape_not_read_as_fields_is_its_database(
    shape: str, exported: dict[str, Any]
) -> None:
    assert named(UNREAD_SHAPES[shape], exported) == "database"


@pytest.mark.parametrize(
    ("production_host", "value"),
    [
        ("[2001:db8::5]", "postgresql://ci:pw@[2001:db8::5%25eth0]:5432/tenantguard"),  # a zone id
        ("10.0.0.5", "postgresql://ci:pw@[64:ff9b::a00:5]:5432/tenantguard"),  # NAT64
    ],
    ids=["IPv6 zone id", "NAT64"],
)
def test_a_database_on_production_s_address_spelled_as_the_resolver_reaches_it_is_its_database(
    production_host: str, value: str
) -> None:
    url = f"postgresql://ci:pw@{production_host}:5432/tenantguard?sslmode=require"
    exported = exports({"ciDbUrl": read(url, url=True)}, url, FINGERPRINT_KEY)
    assert named(value, exported) == "database"


def test_another_database_on_production_s_server_stays_its_server(exported: dict[str, Any]) -> None:
    assert named(f"pgsql://ci:pw@{H}:6432/reporting", exported) == "server"
