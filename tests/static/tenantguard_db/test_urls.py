"""tenantguard_db.urls: libpq's reading of a URL, refusal where URL parsers disagree, display by allow-list."""

from __future__ import annotations

import ipaddress
import socket
import stringprep
import sys

import pytest

from tenantguard_db.urls import (
    TABLE_B1,
    UNSHOWABLE,
    UnsafeUrlError,
    database_identity,
    inet_aton,
    libpq_port,
    mask_error,
    mask_text,
    mask_url,
    parse_postgres_url,
    sqlalchemy_url,
)

FAKE_PASSWORD = "FakePw-Zq81-secret"


def test_display_is_rebuilt_from_the_allowed_parts_only() -> None:
    url = (
        f"postgresql://ci:{FAKE_PASSWORD}@db.example.internal:6432/tenantguard"
        "?sslmode=verify-full&application_name=ci&options=-c%20search_path%3Dx&sslrootcert=/etc/ca.pem"
    )
    assert mask_url(url) == "postgresql://ci:***@db.example.internal:6432/tenantguard?sslmode=verify-full"


def test_display_hides_a_part_outside_its_plain_shape() -> None:
    url = f"postgresql://ci:{FAKE_PASSWORD}@[::1]:5432/tenant%2Fguard"
    assert mask_url(url) == "postgresql://ci:***@[::1]:5432/***"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"postgresql://ci:{FAKE_PASSWORD}@db:5432/{FAKE_PASSWORD}", "postgresql://ci:***@db:5432/***"),
        (f"postgresql://ci:{FAKE_PASSWORD}@{FAKE_PASSWORD}.internal/tg", "postgresql://ci:***@***/tg"),
        (f"postgresql://{FAKE_PASSWORD}:{FAKE_PASSWORD}@db/tg", "postgresql://***:***@db/tg"),
    ],
    ids=["database", "host", "user"],
)
def test_display_hides_a_part_that_holds_the_password(url: str, shown: str) -> None:
    assert mask_url(url) == shown


def test_display_without_a_password_has_no_mask() -> None:
    assert mask_url("postgres://ci@db/tg") == "postgres://ci@db/tg"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        (f"postgresql://ci@db/tg?password={FAKE_PASSWORD}", "query string"),
        (f"postgresql://ci:{FAKE_PASSWORD}@x@db/tg", "read differently"),
        (f"postgresql://ci:{FAKE_PASSWORD}/x@db/tg", "percent-encode"),
        (f"postgresql://ci:{FAKE_PASSWORD}@db1,db2/tg", "several hosts"),
        (f"postgresql://ci:{FAKE_PASSWORD}@db/tg?host=elsewhere", "'host'"),
        (f"postgresql://ci:{FAKE_PASSWORD}@db/tg?hostaddr=10.0.0.1", "'hostaddr'"),
        (f"postgresql://ci:{FAKE_PASSWORD}@db/tg?service=prod", "'service'"),
        (f"postgresql://ci:{FAKE_PASSWORD}@%2Frun/tg", "Unix-socket"),
        (f"postgresql://ci:{FAKE_PASSWORD}@db/tg?sslmode=require&sslmode=disable", "2 times"),
        (f"Postgresql://ci:{FAKE_PASSWORD}@db/tg", "lower case"),
        (f"postgresql://ci:{FAKE_PASSWORD}@db/tg\n", "whitespace"),
        (f"postgresql://ci:{FAKE_PASSWORD}@db:0/tg", "port"),
        (f"postgresql://ci:{FAKE_PASSWORD}@db/", "no database name"),
        (f"postgresql://ci:{FAKE_PASSWORD}@db/tg?{FAKE_PASSWORD}=1", "a query parameter"),
        (f"postgresql://ci%3A{FAKE_PASSWORD}@db/tg", "not a plain role name"),
        (f"postgresql://ci%40{FAKE_PASSWORD}:x@db/tg", "not a plain role name"),
        (f"postgresql://ci@db/tg?sslmode={FAKE_PASSWORD}", "sslmode to a value libpq does not know"),
    ],
)
def test_a_url_the_driver_reads_differently_is_refused_without_quoting_it(url: str, says: str) -> None:
    with pytest.raises(UnsafeUrlError) as refused:
        parse_postgres_url(url)
    assert says in str(refused.value)
    assert "FakePw-Zq81" not in str(refused.value)
    assert mask_url(url) == UNSHOWABLE


def test_identity_is_what_libpq_connects_to() -> None:
    spellings = [
        "postgresql://a:x@db.internal:5432/tg",
        "postgres://b@DB.Internal./tg",
        "postgresql://c:y@db.internal/t%67?sslmode=require",
    ]
    assert {parse_postgres_url(url).identity() for url in spellings} == {"db.internal:5432/tg"}


def test_another_database_on_the_same_server_keeps_everything_else() -> None:
    parsed = parse_postgres_url(f"postgresql://ci:{FAKE_PASSWORD}%40x@db:5433/tg?sslmode=require")
    other = parse_postgres_url(parsed.with_database("tg_pr_7"))
    assert (other.user, other.password, other.host, other.port, other.dbname, other.sslmode) == (
        "ci",
        f"{FAKE_PASSWORD}@x",
        "db",
        "5433",
        "tg_pr_7",
        "require",
    )


def test_a_driver_error_is_masked_in_every_spelling_of_the_password() -> None:
    url = f"postgresql://ci:{FAKE_PASSWORD}%40x@db/tg"
    error = RuntimeError(
        f"failed for {FAKE_PASSWORD}@x and {FAKE_PASSWORD}%40x at postgresql://ci:{FAKE_PASSWORD}%40x@db/tg"
    )
    assert "FakePw-Zq81" not in mask_error(error, url)


def test_a_driver_error_is_masked_where_it_quotes_a_password_sent_as_the_user_name() -> None:
    url = f"postgresql://ci%3A{FAKE_PASSWORD}@db/tg"
    error = RuntimeError(
        f'role "ci:{FAKE_PASSWORD}" failed; {FAKE_PASSWORD} at {url} and redis://x%3A{FAKE_PASSWORD}@r'
    )
    assert "FakePw-Zq81" not in mask_error(error, url)


def test_text_quoting_a_url_hides_a_user_name_that_is_not_a_plain_one() -> None:
    text = (
        f"at postgresql://ci%3A{FAKE_PASSWORD}@db/tg, postgresql://ci:{FAKE_PASSWORD}@db/tg and postgresql://ci@db/tg"
    )
    assert mask_text(text) == "at postgresql://***@db/tg, postgresql://ci:***@db/tg and postgresql://ci@db/tg"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        # Digits then / in an unencoded password: both parsers read host `ci`, port 2024 and a
        # database name that holds the rest of the password.
        (f"postgresql://ci:2024/{FAKE_PASSWORD}@db.internal:5432/tenantguard", "where the user-info cannot hold it"),
        (f"postgresql://ci:{FAKE_PASSWORD}\uff20x@db/tg", "outside ASCII"),
        (f"postgresql://ci:Zx9[{FAKE_PASSWORD}]q@db/tg", "percent-encode"),
        (f"postgresql://ci:{FAKE_PASSWORD}@db/tg#frag", "where the user-info cannot hold it"),
    ],
    ids=["digits-slash-password", "fullwidth-at", "brackets", "fragment"],
)
def test_spellings_urllib_raises_on_or_misreads_are_refused_without_a_fragment(url: str, says: str) -> None:
    with pytest.raises(UnsafeUrlError) as refused:
        parse_postgres_url(url)
    assert says in str(refused.value)
    assert "Zq81" not in str(refused.value)
    assert "Zq81" not in mask_url(url)
    assert "Zq81" not in mask_error(ValueError("boom"), url)


@pytest.mark.parametrize("host", ["10.0.5", "167772165", "0xa.0.0.5", "10.0.0.05", "[::ffff:10.0.0.5]"])
def test_ip_spellings_libpq_resolves_alike_have_one_identity(host: str) -> None:
    assert parse_postgres_url(f"postgresql://ci@{host}/tg").identity() == "10.0.0.5:5432/tg"


def test_sqlalchemy_gets_the_parts_libpq_read_not_the_string() -> None:
    url = sqlalchemy_url(f"postgresql://ci:{FAKE_PASSWORD}%40x@db:6432/tg?sslmode=require&application_name=a")
    assert (url.drivername, url.username, url.password, url.host, url.port, url.database) == (
        "postgresql+psycopg",
        "ci",
        f"{FAKE_PASSWORD}@x",
        "db",
        6432,
        "tg",
    )
    assert dict(url.query) == {"sslmode": "require", "application_name": "a"}


@pytest.mark.parametrize(
    ("written", "port"),
    [
        (None, "5432"),
        ("", "5432"),
        ("6432", "6432"),
        ("+5432", "5432"),  # strtol takes a sign
        (" 5432", "5432"),  # and leading whitespace; parse_int_param skips trailing whitespace too
        ("\t5432 \n", "5432"),
        ("05432", "5432"),
        ("5432abc", "5432"),  # libpq 9.x's atoi stops at the first non-digit
        ("4294972728", "5432"),  # and keeps the low 32 bits (2**32 + 5432)
        ("-5432", "-5432"),  # no libpq connects: kept, matching no other spelling
        ("abc", "abc"),
        ("9" * 5000, "-1"),
    ],
)
def test_a_port_is_what_libpq_reads_it_as(written: str | None, port: str) -> None:
    assert libpq_port(written) == port


def test_a_keyword_port_spelled_with_a_sign_is_the_same_database() -> None:
    assert database_identity("DB.internal.", "+5432", "tg") == database_identity("db.internal", None, "tg")


INET_ATON_SPELLINGS = [
    "10.0.0.5",
    "10.0.5",
    "10.5",
    "167772165",
    "0xa.0.0.5",
    "0XA000005",
    "012.0.0.5",
    "10.0.0.05",
    "1.2.3.4 trailing words",
    "1.2.3.4\tx",
    "1.2.3.4.",
    "1.2.3.256",
    "256.1",
    "1.65535",
    "1.65536",
    "4294967295",
    "4294967296",
    "08.0.0.1",
    "0x.1",
    "0x",
    "1..2",
    ".1",
    "1.2.3.4x",
    "",
    "9" * 50,
    "0" * 50 + "177.0.0.1",  # strtoul reads any number of leading zeros
    "0x" + "0" * 50 + "7f000001",
    "1.2.3." + "0" * 45 + "4",
    "0" * 300,
    "0x" + "0" * 60 + "1" + "0" * 41,
    "0" * 60 + "7" * 41,
]


@pytest.mark.parametrize("spelling", INET_ATON_SPELLINGS)
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="compares with glibc's own inet_aton")
def test_inet_aton_reads_every_spelling_as_this_machine_s_glibc_does(spelling: str) -> None:
    try:
        expected: ipaddress.IPv4Address | None = ipaddress.IPv4Address(socket.inet_aton(spelling))
    except OSError:
        expected = None
    assert inet_aton(spelling) == expected


def test_the_characters_mapped_to_nothing_are_rfc_3454_table_b1_as_python_reads_it() -> None:
    assert set(TABLE_B1) == {code for code in range(0x110000) if stringprep.in_table_b1(chr(code))}


@pytest.mark.parametrize("host", ["db.pro%C2%ADduction.internal", "db%E2%80%8B.internal", "d%C3%A9.internal"])
def test_a_host_that_is_not_ascii_once_decoded_is_refused(host: str) -> None:
    # An invisible character reaches another name through the driver's resolver (nameprep drops it); an IDN is
    # written in its xn-- form, which every resolver reads alike.
    with pytest.raises(UnsafeUrlError, match="has a host that is not ASCII once percent-decoded"):
        parse_postgres_url(f"postgresql://ci:{FAKE_PASSWORD}@{host}:5432/tenantguard")


def test_a_database_on_an_address_padded_with_zeros_is_that_address_s() -> None:
    assert database_identity("0" * 40 + "12.0.0.5", "5432", "tg") == database_identity("10.0.0.5", None, "tg")


@pytest.mark.parametrize(
    "query", ["sslmode=require&correct_horse_battery", "password=x&frag_a&frag_a", "frag_a=1&frag_a=2"]
)
def test_a_query_parameter_that_is_no_libpq_keyword_is_not_named(query: str) -> None:
    # Its name could be a fragment of pasted secret text (an unencoded ? in a password starts a query string).
    with pytest.raises(UnsafeUrlError) as refused:
        parse_postgres_url(f"postgresql://ci:{FAKE_PASSWORD}@db/tg?{query}")
    assert "correct_horse" not in str(refused.value)
    assert "frag_a" not in str(refused.value)
    assert "a query parameter" in str(refused.value)
