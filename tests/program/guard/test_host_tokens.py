"""infra/guard/host_tokens.py: every host a value could name, spelled as libpq would reach it, never resolved."""

from __future__ import annotations

import base64
import json

import pytest

from infra.guard.host_tokens import hosts_in, ports_in, server_host, spellings


@pytest.mark.parametrize(
    "spelling",
    [
        "10.0.0.5",
        "10.0.5",  # inet_aton's a.b.c
        "10.5",  # a.b
        "167772165",  # one 32-bit number
        "0xa.0.0.5",
        "0x0A000005",
        "012.0.0.5",  # octal, as strtoul with base 0 reads it
        "10.0.0.05",
        "10.0.0.5.",
        "::ffff:10.0.0.5",
        "[::ffff:10.0.0.5]",
        "::ffff:a00:5",
        "64:ff9b::a00:5",  # NAT64's well-known prefix
    ],
)
def test_ipv4_spellings_getaddrinfo_reads_alike_are_one_server(spelling: str) -> None:
    assert server_host(spelling) == "10.0.0.5"


@pytest.mark.parametrize(
    "spelling", ["2001:db8::5", "2001:DB8:0:0:0:0:0:5", "[2001:db8::5]", "2001:db8::5%eth0", "[2001:0db8::0005%25eth1]"]
)
def test_ipv6_spellings_are_one_server_with_or_without_brackets_and_zone(spelling: str) -> None:
    assert server_host(spelling.replace("%25", "%")) == "2001:db8::5"


@pytest.mark.parametrize("spelling", ["DB.Production.Internal", "db.production.internal.", " db.production.internal"])
def test_names_are_one_server_whatever_their_case_or_final_dot(spelling: str) -> None:
    assert server_host(spelling) == "db.production.internal"


@pytest.mark.parametrize(
    "host", ["localhost", "LOCALHOST.", "app.localhost", "127.0.0.1", "127.1", "0x7f.0.0.1", "2130706433", "::1", "0"]
)
def test_hosts_naming_the_client_s_own_machine_name_no_server(host: str) -> None:
    # Production exporting them would refuse every stack's local database; they never reach production's.
    assert server_host(host) is None


@pytest.mark.parametrize("path", ["/var/run/postgresql", "@abstract"])
def test_unix_socket_paths_name_no_server(path: str) -> None:
    assert server_host(path) is None


@pytest.mark.parametrize(
    ("value", "host"),
    [
        ("see db.production.internal for details", "db.production.internal"),
        ("ssh prod-db", "prod-db"),  # a single label (docker-compose, /etc/hosts) is a token too
        ("postgresql://ci:pw@[2001:db8::5]:5432/tg", "2001:db8::5"),
        ("host=2001:db8::5 port=5432", "2001:db8::5"),
        ("pgpass 2001:db8::5:5432:tg", "2001:db8::5"),
        ("addr 167772165", "10.0.0.5"),
        (json.dumps({"h": "db.production.internal"}).replace(".", "\\u002e"), "db.production.internal"),
        ("db%2Eproduction%2Einternal", "db.production.internal"),
        ("db%252Eproduction%252Einternal", "db.production.internal"),  # encoded twice
        ("db&#46;production&#x2e;internal", "db.production.internal"),
        ("db\\x2eproduction\\056internal", "db.production.internal"),
        ("db\uff0eproduction\u3002internal", "db.production.internal"),
        ("\uff44\uff42.production.internal", "db.production.internal"),  # fullwidth letters
        ("[fe80::1%25eth0]", "fe80::1"),
        ('PGHOST=db.prod"uct"ion.internal', "db.production.internal"),  # one word to a shell
        ("PGHOST='db.production'.internal", "db.production.internal"),
        (
            "data:\n  url: " + base64.b64encode(b"postgresql://db.production.internal/tg").decode(),
            "db.production.internal",
        ),
        (base64.urlsafe_b64encode(b'{"host":"db.production.internal"}').decode().rstrip("="), "db.production.internal"),
        # What an encoded file may also hold: a byte-order mark, a Latin-1 byte, a control character, no padding.
        (
            "url: " + base64.b64encode(b"\xef\xbb\xbfpostgresql://db.production.internal/tg").decode(),
            "db.production.internal",
        ),
        (
            "url: " + base64.b64encode(b"caf\xe9 postgresql://db.production.internal/tg").decode(),
            "db.production.internal",
        ),
        ("url: " + base64.b64encode(b"\x01postgresql://db.production.internal/tg").decode(), "db.production.internal"),
        ("url: " + base64.b64encode("db.pro\u00adduction.internal".encode()).decode(), "db.production.internal"),
        (
            "url: " + base64.b64encode(b"postgresql://db.production.internal/tg").decode().rstrip("="),
            "db.production.internal",
        ),
        # One field per data entry: a short host alone.
        ("data:\n  host: " + base64.b64encode(b"10.0.0.5").decode(), "10.0.0.5"),
        ("data:\n  host: " + base64.b64encode(b"pg.prod").decode(), "pg.prod"),
    ],
)
def test_a_host_is_found_in_any_format_and_encoding(value: str, host: str) -> None:
    assert host in hosts_in(value)


def test_a_host_glued_to_other_letters_is_another_name() -> None:
    # `xdb.production.internal` is a different DNS name: the guard never guesses what a name resolves to.
    assert "db.production.internal" not in hosts_in("xdb.production.internal db.production.internalx")


def test_spellings_keep_the_value_and_every_decoding() -> None:
    assert spellings("a%2Eb") == ("a%2Eb", "a.b")
    assert spellings("plain") == ("plain",)


def test_a_token_that_is_no_base64_text_stays_as_written() -> None:
    token = "sk-proj-" + base64.urlsafe_b64encode(bytes(range(200, 248))).decode()
    assert spellings(token) == (token,)


def test_every_number_is_a_possible_port_and_the_default_one_always() -> None:
    assert ports_in("PGPORT=+6432 x 70000 y 0") == {"6432", "5432"}
    assert ports_in("") == {"5432"}


@pytest.mark.parametrize(
    "value",
    [
        "db.pro\u00adduction.internal",
        "db\u200b.production.internal",
        "db.production\ufeff.internal",
        "db.pro%C2%ADduction.internal",  # percent-encoded: decoded, then dropped
        "db.pro%E2%80%8Bduction.internal",
        "db.pro\\u00adduction.internal",  # JSON-escaped
        "db.pro&shy;duction.internal",
    ],
)
def test_characters_resolvers_map_to_nothing_are_dropped_from_hosts(value: str) -> None:
    assert "db.production.internal" in hosts_in(value)


def test_a_host_with_a_character_resolvers_drop_is_that_host() -> None:
    assert server_host("db.pro\u00adduction.internal") == "db.production.internal"


@pytest.mark.parametrize(
    "spelling",
    [
        "0" * 40 + "12.0.0.5",  # octal 012, padded past any digit limit: strtoul reads any number of digits
        "0x" + "0" * 50 + "a000005",
        "10.0.0." + "0" * 45 + "5",
        "0" * 300 + "12.0.0.5",  # longer than a host name may be; inet_aton does not care
    ],
)
def test_ipv4_parts_padded_with_any_number_of_zeros_are_read_as_glibc_reads_them(spelling: str) -> None:
    assert server_host(spelling) == "10.0.0.5"
    assert "10.0.0.5" in hosts_in(f"postgresql://ci:pw@{spelling}:5432/tenantguard")
