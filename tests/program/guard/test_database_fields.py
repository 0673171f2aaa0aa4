"""infra/guard/database_fields.py: connection settings written as labelled fields or .pgpass lines."""

from __future__ import annotations

import json

import pytest

from infra.guard.database_fields import fields, pgpass_databases, role


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("PGHOST", "host"),
        ("DB_HOST", "host"),
        ("Data Source", "host"),
        ("serverName", "host"),
        ("HOSTDB", "dbname"),
        ("PGPORT", "port"),
        ("portNumber", "port"),
        ("PGDATABASE", "dbname"),
        ("POSTGRES_DB", "dbname"),
        ("Initial Catalog", "dbname"),
        ("NAME", "dbname"),
        ("spring.datasource.username", "user"),
        ("User Id", "user"),
        ("PGPASSWORD", None),
        ("db_password", None),
        ("api_key", None),
        ("APPNAME", None),
    ],
)
def test_a_label_is_classified_by_how_it_ends(label: str, expected: str | None) -> None:
    assert role(label) == expected


def test_fields_are_found_wherever_their_labels_stand() -> None:
    found = fields("pgsql:host=db1,db2;port=6432;dbname=tg;user=ci;password=secret")
    assert set(found.hosts) >= {"db1", "db2"}
    assert found.ports == ("6432",)
    assert found.dbnames == ("tg",)
    assert "secret" not in repr(found)


def test_a_port_written_beside_a_host_is_a_port() -> None:
    found = fields(json.dumps({"host": "[2001:db8::5]:6432", "replica_host": "db2:6433"}))
    assert set(found.hosts) == {"2001:db8::5", "db2"}
    assert set(found.ports) == {"6432", "6433"}


def test_a_host_and_a_user_make_a_database_only_in_a_value_about_postgresql() -> None:
    mail = fields(json.dumps({"host": "smtp.example.com", "user": "mailer"}))
    assert mail.databases() == []
    rds = fields(json.dumps({"engine": "postgres", "host": "db.example.com", "username": "app"}))
    assert rds.databases() == [("db.example.com", None, "app")]


def test_a_labelled_database_wins_over_the_user_name() -> None:
    found = fields("PGHOST=db\nPGUSER=tenantguard\nPGDATABASE=reporting")
    assert found.databases() == [("db", None, "reporting")]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("db.internal:5432:tg:ci:pw", [("db.internal", "5432", "tg")]),
        ("db.internal:*:tg:ci:pw", [("db.internal", None, "tg")]),
        ("db.internal:5432:*:ci:pw", []),
        ("*:5432:tg:ci:pw", []),
        ("2001\\:db8\\:\\:5:5432:tg:ci:pw:with:colons", [("2001:db8::5", "5432", "tg")]),
        ("db.internal:port:tg:ci:pw", []),
        ("a:b:c", []),
    ],
)
def test_pgpass_lines_are_read_as_libpq_reads_them(line: str, expected: list[tuple[str, str | None, str]]) -> None:
    assert pgpass_databases(line) == expected
