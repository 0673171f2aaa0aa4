"""The work order's one-time SQL for the preview server runs as written, pasted whole, on a new server."""

from __future__ import annotations

import re
from collections.abc import Iterator

import psycopg
import pytest

from tenantguard_db.local_postgres import LocalPostgres
from tests.alembic_cli import ROOT
from tests.database.conftest import server_parent

SECTION = "### One-time SQL for the preview role (an administrator, once)"


def sql_blocks() -> list[str]:
    """The ```sql blocks of the one-time SQL section, in order."""
    text = (ROOT / "workorders" / "WO-ci-secrets.md").read_text()
    section = text.split(SECTION, 1)[1].split("\n### ", 1)[0]
    return re.findall(r"```sql\n(.*?)```", section, flags=re.DOTALL)


@pytest.fixture(scope="module")
def server() -> Iterator[LocalPostgres]:
    """A server of its own: the SQL changes server-wide defaults the other tests rely on."""
    with LocalPostgres(parent=server_parent()) as fresh:
        with psycopg.connect(fresh.url("postgres"), autocommit=True) as admin:
            # What exists before the administrator runs it: the CI and app roles and the base database.
            admin.execute("CREATE ROLE ci LOGIN")
            # What the version that ran pull requests' revisions as ci may have let them grant it.
            admin.execute("GRANT pg_execute_server_program, pg_read_server_files TO ci")
            admin.execute("CREATE ROLE app LOGIN")
            admin.execute("CREATE DATABASE tenantguard OWNER ci")
        yield fresh


def test_the_section_has_the_server_block_and_the_template1_block() -> None:
    blocks = sql_blocks()
    assert len(blocks) == 2
    assert "ALTER ROLE ci LOGIN INHERIT CREATEDB CREATEROLE NOSUPERUSER" in blocks[0]
    assert blocks[1].strip() == "REVOKE CREATE ON SCHEMA public FROM PUBLIC;"


def test_the_one_time_sql_runs_whole_and_does_what_it_says(server: LocalPostgres) -> None:
    server_block, template_block = sql_blocks()
    with psycopg.connect(server.url("postgres"), autocommit=True) as admin:
        admin.execute(server_block.encode())  # one paste, every statement at once, as psql would
        ci = admin.execute(
            "SELECT rolcanlogin, rolinherit, rolcreatedb, rolcreaterole, rolsuper, rolreplication, rolbypassrls, "
            "rolconnlimit, ARRAY(SELECT roleid::regrole::text FROM pg_auth_members WHERE member = r.oid) "
            "FROM pg_roles r WHERE rolname = 'ci'"
        )
        assert ci.fetchone() == (True, True, True, True, False, False, False, 50, [])
        public_connect = admin.execute(
            "SELECT datname FROM pg_database WHERE datname IN ('tenantguard', 'postgres', 'template1')"
            " AND has_database_privilege('public', oid, 'CONNECT')"
        )
        assert public_connect.fetchall() == []
    with psycopg.connect(server.url("template1"), autocommit=True) as admin:
        admin.execute(template_block.encode())
        creatable = admin.execute("SELECT has_schema_privilege('public', 'public', 'CREATE')").fetchone()
        assert creatable == (False,)
