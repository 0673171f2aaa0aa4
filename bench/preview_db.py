"""Benchmark: seconds from `python -m tenantguard_db.preview_db create` to a migrated pull-request database.

    ./scripts/uv run python bench/preview_db.py [--rounds N]

Whole processes against a throwaway PostgreSQL, run as a role with only CREATEDB and CREATEROLE (each
create also sets up the pull request's own role, which owns its database, with a new password, and runs the
revisions as that role in a process of its own, after another that reads them). Each pull request adds one
revision on top of main's: main's 3 current revisions, or 50 generated ones more (53).
With the template (kept at main's head) only the pull request's revision runs; without it, all.
Scenarios run interleaved, one new pull request each per round; medians with min and max are
printed and appended to bench/RESULTS.md, with each median's excess over the floor (a process that
only imports the command: Python, Alembic, SQLAlchemy, psycopg). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

from tenantguard_db import migrate  # noqa: E402
from tenantguard_db.local_postgres import LocalPostgres  # noqa: E402
from tenantguard_db.preview_db.metadata import find_database, set_database_meta  # noqa: E402
from tenantguard_db.preview_db.server import Server  # noqa: E402
from tenantguard_db.revision_files import checkout  # noqa: E402

ROLE = "bench_preview"
GENERATED = 50


def bench_checkout(work: Path, label: str, generated: int, pr_revision: bool) -> tuple[Path, int]:
    """A copy of the scripts with `generated` trivial revisions after 0003 (and the PR's own); its ini, its size."""
    revisions = []
    down = migrate.head_revision()
    for number in range(1, generated + 1):
        revision = f"g{number:03d}"
        revisions.append((revision, down, f"CREATE TABLE bench_{revision} (id bigint PRIMARY KEY, note text)"))
        down = revision
    if pr_revision:
        revisions.append(("pr01", down, "ALTER TABLE tenants ADD COLUMN bench_plan text"))
    ini = checkout(work, label, *revisions)
    return ini, len(list((ini.parent / "alembic" / "versions").glob("*.py")))


@dataclass(frozen=True)
class Scenario:
    title: str
    base: str  # its own base database: its own template and pull-request databases
    config: Path
    revisions_run: str
    existing: bool = False  # the database exists at head already: a push with nothing new


def run_create(url: str, config: Path, number: int, child_env: Mapping[str, str]) -> float:
    environment = {**child_env, "CI_DB_URL": url, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "tenantguard_db.preview_db", "create", "--repository-id", "1", "--pr", str(number)]
    # A URL handed out, as the workflow's --github-output does: only then does create set the role's password.
    with tempfile.TemporaryDirectory(prefix="tenantguard-bench-url-") as handed:
        command += ["--config", str(config), "--url-to-file", str(Path(handed) / "url")]
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, env=environment, check=True, capture_output=True)
        return time.perf_counter() - start


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def measure(rounds: int, child_env: Mapping[str, str] | None = None) -> list[str]:
    """The table; `child_env` is the children's environment (bench/run.py passes one with a controlled .pyc state)."""
    child_env = dict(os.environ if child_env is None else child_env)
    with LocalPostgres() as server, tempfile.TemporaryDirectory(prefix="tenantguard-bench-pr-") as work:
        password = secrets.token_urlsafe(12)
        admin = psycopg.connect(server.url("postgres"), autocommit=True)
        admin.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} CREATEDB CREATEROLE").format(
                sql.Identifier(ROLE), sql.Literal(password)
            )
        )

        def url(database: str) -> str:
            return f"postgresql://{ROLE}:{quote(password, safe='')}@127.0.0.1:{server.port}/{database}"

        main_3, _ = bench_checkout(Path(work), "main3", 0, pr_revision=False)
        pr_3, total_3 = bench_checkout(Path(work), "pr3", 0, pr_revision=True)
        main_53, _ = bench_checkout(Path(work), "main53", GENERATED, pr_revision=False)
        pr_53, total_53 = bench_checkout(Path(work), "pr53", GENERATED, pr_revision=True)
        scenarios = [
            Scenario("main at 3 revisions + the PR's 1, no template", "b3_empty", pr_3, f"all {total_3}"),
            Scenario("main at 3 revisions + the PR's 1, template at main's head", "b3_tmpl", pr_3, "1 (the PR's)"),
            Scenario(
                f"main at {3 + GENERATED} revisions + the PR's 1, no template", "b53_empty", pr_53, f"all {total_53}"
            ),
            Scenario(
                f"main at {3 + GENERATED} revisions + the PR's 1, template at main's head",
                "b53_tmpl",
                pr_53,
                "1 (the PR's)",
            ),
            Scenario(
                f"main at {3 + GENERATED} revisions + the PR's 1, database exists at head",
                "b53_tmpl",
                pr_53,
                "none",
                existing=True,
            ),
        ]
        for base in {scenario.base for scenario in scenarios}:
            admin.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(base), sql.Identifier(ROLE)))
        environment = {**child_env, "PYTHONPATH": str(ROOT)}
        template = [sys.executable, "-m", "tenantguard_db.preview_db", "template", "--config"]
        for base, main in (("b3_tmpl", main_3), ("b53_tmpl", main_53)):
            subprocess.run(
                [*template, str(main)],
                cwd=ROOT,
                env={**environment, "CI_DB_URL": url(base)},
                check=True,
                capture_output=True,
            )
        run_create(url("b53_tmpl"), pr_53, 999_999, child_env)  # the existing database the last scenario migrates again

        samples: dict[str, list[float]] = {scenario.title: [] for scenario in scenarios}
        floor: list[float] = []
        rebuilds: dict[str, list[float]] = {"3": [], str(3 + GENERATED): []}
        help_command = [sys.executable, "-m", "tenantguard_db.preview_db", "--help"]
        for index in range(rounds):
            floor.append(timed(lambda: subprocess.run(help_command, env=environment, check=True, capture_output=True)))
            for scenario in scenarios:
                number = 999_999 if scenario.existing else index + 1
                samples[scenario.title].append(run_create(url(scenario.base), scenario.config, number, child_env))
            for size, base, main in (("3", "b3_tmpl", main_3), (str(3 + GENERATED), "b53_tmpl", main_53)):
                # Main moved: the recorded revision no longer matches, so the template is rebuilt.
                name = Server.from_url(url(base)).template
                found = find_database(admin, name)
                assert found is not None
                assert found.meta is not None
                set_database_meta(admin, name, replace(found.meta, revision=None))
                command = [*template, str(main)]
                env = {**environment, "CI_DB_URL": url(base)}
                rebuilds[size].append(
                    timed(lambda: subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True))  # noqa: B023
                )
        admin.close()

    base_cost = statistics.median(floor)

    def cells(values: list[float]) -> list[str]:
        median = statistics.median(values)
        return [f"{median:.2f}", f"{min(values):.2f}", f"{max(values):.2f}", f"{median - base_cost:+.2f}"]

    rows = [[scenario.title, scenario.revisions_run, *cells(samples[scenario.title])] for scenario in scenarios]
    rows += [
        [f"`template` rebuild when main moves ({size} revisions)", f"all {size}", *cells(values)]
        for size, values in rebuilds.items()
    ]
    rows.append(["floor: `python -m tenantguard_db.preview_db --help` (interpreter and imports)", "-", *cells(floor)])
    headers = [
        "create --repository-id ID --pr N --url-to-file PATH, whole process",
        "revisions run",
        "median s",
        "min s",
        "max s",
        "median above floor s",
    ]
    return [
        "| " + " | ".join(headers) + " |",
        "|" + "---|" * len(headers),
        *["| " + " | ".join(row) + " |" for row in rows],
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    table = measure(args.rounds)
    now = datetime.datetime.now(datetime.UTC)
    machine = f"{platform.node()}, {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    lines = [
        f"## {now:%Y-%m-%d %H:%M} UTC on {machine} ({args.rounds} rounds, interleaved)",
        "",
        "### Preview database per pull request (bench/preview_db.py)",
        "",
        *table,
        "",
    ]
    report = "\n".join(lines)
    print(report)
    with (ROOT / "bench" / "RESULTS.md").open("a") as handle:
        handle.write(report + "\n")


if __name__ == "__main__":
    main()
