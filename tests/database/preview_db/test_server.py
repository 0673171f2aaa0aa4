"""The server CI_DB_URL points at: the names derived from its database, the URLs, refusals before connecting."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from tenantguard_db.preview_db import cli
from tenantguard_db.preview_db.errors import UsageError
from tenantguard_db.preview_db.names import PullRequest
from tenantguard_db.preview_db.server import Server
from tenantguard_db.preview_db.status_codes import EXIT_USAGE
from tests.database.preview_db.harness import IN_REPO, REPO, Preview


def test_pr_database_names_are_the_base_name_the_repository_id_and_the_number() -> None:
    server = Server.from_url("postgresql://ci:pw@db.internal:5432/tenantguard")
    assert server.pr_name(PullRequest(987654321, 123)) == "tenantguard_pr_987654321_123"
    assert server.template == "tenantguard_pr_template"
    assert server.pr_from_name("tenantguard_pr_987654321_123") == PullRequest(987654321, 123)
    others = ["tenantguard", "tenantguard_pr_template", "tenantguard_pr_012", "tenantguardx_pr_1", "tg_pr_1"]
    others += ["tenantguard_pr_0_1", "tenantguard_pr_1_01", "tenantguard_pr_1_2_3", "tenantguard_pr__1"]
    others += [f"tenantguard_pr_{2**63}_1", f"tenantguard_pr_1_{2**31}"]
    for other in others:
        assert server.pr_from_name(other) is None


def test_legacy_names_without_a_repository_are_still_read() -> None:
    server = Server.from_url("postgresql://ci:pw@db.internal:5432/tenantguard")
    assert server.pr_from_name("tenantguard_pr_123") == PullRequest(None, 123)
    assert server.pr_name(PullRequest(None, 123)) == "tenantguard_pr_123"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://ci:fake%40s3cr%2Fx@db.internal:5432/tenantguard?sslmode=require&application_name=ci",
        "postgresql://ci:pw@db.internal/tenantguard?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem",
        "postgres://ci@[2001:db8::1]:6432/tenantguard",
    ],
)
def test_the_new_url_differs_from_ci_db_url_only_in_its_database(url: str) -> None:
    server = Server.from_url(url)
    assert server.base == "tenantguard"
    new = conninfo_to_dict(server.ci_url_for("tenantguard_pr_7"))
    assert new.pop("dbname") == "tenantguard_pr_7"
    assert new == {k: v for k, v in conninfo_to_dict(url).items() if k != "dbname"}


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql://ci:pw@db.internal/ignored?dbname=tenantguard", "'dbname'"),
        ("postgresql://ci:pw@db1.internal:5432,db2.internal:5433/tenantguard", "several hosts"),
        ("postgresql://ci:pw@%2Fvar%2Frun%2Fpostgresql/tenantguard", "Unix-socket"),
        ("postgresql://ci%3AFakePw-Rq72@db.internal/tenantguard", "not a plain role name"),
    ],
)
def test_a_url_libpq_would_read_otherwise_is_refused(url: str, says: str) -> None:
    with pytest.raises(UsageError, match=says) as refused:
        Server.from_url(url)
    assert "Rq72" not in str(refused.value)


def test_the_server_shows_no_password_in_its_repr() -> None:
    assert "fake-s3cr" not in repr(Server.from_url("postgresql://ci:fake-s3cr3t@db.internal:5432/tenantguard"))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "postgresql://ci:pw@db.internal:5432/" + "t" * 30,
            "63-byte identifier limit: use a base database name of at most 29 bytes",
        ),
        ("postgresql://ci:pw@db.internal:5432/", "CI_DB_URL has no database name"),
        ("postgresql://ci:pw@db.internal:5432/tenant-guard", "ASCII letters, digits and underscores"),
        ("postgresql://ci:FakePw-Rq72@db.internal:5432/FakePw-Rq72", "ASCII letters, digits and underscores"),
        ("mysql://ci:pw@db.internal/tenantguard", "does not start with postgresql://"),
    ],
)
def test_a_base_database_the_names_cannot_be_built_from_is_refused_before_connecting(
    url: str, message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI_DB_URL", url)
    assert cli.main(["create", *IN_REPO, "--pr", "1"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert message in err
    assert "cannot connect" not in err
    assert "Rq72" not in err


def test_the_deployment_url_differs_from_ci_db_url_in_user_password_and_database_only() -> None:
    url = "postgresql://ci:pw@db.internal:6432/tenantguard?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem"
    handed = conninfo_to_dict(Server.from_url(url).deployment_url(PullRequest(42, 7), "Zq-9_kP"))
    assert (handed.pop("user"), handed.pop("password"), handed.pop("dbname")) == (
        "tenantguard_pr_42_7",
        "Zq-9_kP",
        "tenantguard_pr_42_7",
    )
    assert handed == {k: v for k, v in conninfo_to_dict(url).items() if k not in ("user", "password", "dbname")}


def test_the_deployment_url_leaves_out_the_ci_roles_session_options_and_client_certificate() -> None:
    url = (
        "postgresql://ci:pw@db.internal/tenantguard?sslmode=verify-full&options=-c%20search_path%3Dci"
        "&sslcert=%2Fci%2Fclient.crt&sslkey=%2Fci%2Fclient.key&connect_timeout=7"
    )
    handed = conninfo_to_dict(Server.from_url(url).deployment_url(PullRequest(42, 7), "Zq-9_kP"))
    assert {key: handed[key] for key in ("sslmode", "connect_timeout")} == {
        "sslmode": "verify-full",
        "connect_timeout": "7",
    }
    assert not {"options", "sslcert", "sslkey"} & set(handed)


# What a pull request's role can plant in its own database for a session of the CI role to run: functions and an
# operator shadowing the catalog's, put first on the search path by a database setting, and settings that would make
# such a session act as the pull request's role, end it, or fail each statement. Each spy fails a statement the CI
# role runs ("ran ... as"), so a command that ran one fails.
PLANTED = """
CREATE FUNCTION public.spied(what text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN IF current_user <> {role_literal} THEN RAISE EXCEPTION 'ran % as %', what, current_user; END IF; END $$;
CREATE FUNCTION public.set_config(text, text, boolean) RETURNS text LANGUAGE plpgsql AS $$
BEGIN PERFORM public.spied('set_config'); RETURN pg_catalog.set_config($1, $2, $3); END $$;
CREATE FUNCTION public.pg_has_role(oid, text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN PERFORM public.spied('pg_has_role'); RETURN pg_catalog.pg_has_role($1, $2); END $$;
CREATE FUNCTION public.name_is(name, text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN PERFORM public.spied('='); RETURN $1::text OPERATOR(pg_catalog.=) $2; END $$;
CREATE OPERATOR public.= (LEFTARG = name, RIGHTARG = text, FUNCTION = public.name_is);
"""
HOSTILE_SETTINGS = (
    "ALTER DATABASE {database} SET search_path = public, pg_catalog",
    "ALTER DATABASE {database} SET role = {role}",
    "ALTER DATABASE {database} SET idle_session_timeout = '1ms'",
    "ALTER DATABASE {database} SET statement_timeout = '1ms'",
    "ALTER DATABASE {database} SET default_transaction_read_only = on",
    "ALTER DATABASE {database} WITH CONNECTION LIMIT 0 IS_TEMPLATE true",
)


def plant(deployment: str, role: str) -> None:
    with psycopg.connect(deployment, autocommit=True) as hostile:
        for statement in HOSTILE_SETTINGS:
            hostile.execute(statement.format(database=f'"{role}"', role=f'"{role}"'))


def test_nothing_a_prs_role_plants_in_its_database_runs_as_the_ci_role(preview: Preview) -> None:
    preview.template()
    hostile = preview.create(1)
    preview.create(2)
    role, victim = f"{preview.base}_pr_{REPO}_1", f"{preview.base}_pr_{REPO}_2"
    with psycopg.connect(hostile, autocommit=True) as planting:
        planting.execute(PLANTED.format(role_literal=sql.Literal(role).as_string(planting)))
        # Something for drop to take back in here, so it has to come in.
        planting.execute(
            sql.SQL("ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO {}").format(sql.Identifier(victim))
        )
    plant(hostile, role)
    for args in (("drop", *IN_REPO, "--pr", "2"), ("list",), ("prune", "--older-than", "1", *IN_REPO)):
        result = preview.run(*args)
        assert result.code == 0, result.stderr
        assert " as tg_preview" not in result.stderr
    assert victim not in preview.roles()
    deployment = preview.create(1)  # its migration, as its own role, gets the server's defaults back
    with psycopg.connect(deployment, autocommit=True) as leaving:
        leaving.execute("BEGIN")
        leaving.execute("CREATE TABLE pinned (id int)")
        leaving.execute("PREPARE TRANSACTION 'pinned'")
    plant(deployment, role)
    result = preview.run("drop", *IN_REPO, "--pr", "1")
    assert result.code == 0, result.stderr
    assert preview.databases() == {preview.base, f"{preview.base}_pr_template"}
