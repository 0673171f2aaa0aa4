"""Benchmarks as the operator waits for them: whole processes of the program against its floor, and the tools.

    ./scripts/uv run python bench/run.py [--pairs N] [--scale-pairs N] [--rounds N] [--only SECTION ...]
                               [--skip-tests | --check-rounds N] [--check-against OTHER_CHECKOUT ...]

The floor is the program's own custom resources registered directly (bench/replay.py, recorded once per stack
and size beforehand by bench/whole_process.py). Program and floor run as whole processes, each starting
Python, importing what its side needs, evaluating once under Pulumi's mock runtime and exiting, in interleaved
pairs whose order alternates; each figure is a median, with min and max. Bytecode is controlled: every child
reads .pyc files only from a private cache (PYTHONPYCACHEPREFIX) that is either filled by an unmeasured run
first ("warm") or empty and never written ("cold": every module compiled from source). The tables, each with
what it includes and excludes, are printed and appended to bench/RESULTS.md. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.measure import PYTHON, Bytecode, Run, median, pairs, spread, table, timed_run, whole, workspace  # noqa: E402
from bench.scripts_check import check_section  # noqa: E402

WHOLE_PROCESS = str(ROOT / "bench" / "whole_process.py")
STACKS = ("production", "staging", "preview")
EXTRAS_PER_ENVIRONMENT = 97
"""The most extra secrets one GitHub environment takes: 100 secrets, 3 of them the stack's own."""
SCALE = {100: 2, 1_000: 30, 3_000: 92}
"""Issue sizes (N extra secrets in 2 repositories: about 3 N secret resources) -> repositories of 97 extras each."""
SECTIONS = ("stacks", "cold", "imports", "profile", "scale", "plan", "migrations", "preview_db", "check")


def record(work: Path, stack: str, repositories: int = 0, extras: int = 0) -> Path:
    out = work / f"{stack}-{repositories}-{extras}.json"
    command = [PYTHON, WHOLE_PROCESS, "record", stack, str(repositories), str(extras), str(out)]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return out


SIDES = ("program", "floor", "floor-collector-off")


def sides(recording: Path) -> dict[str, Sequence[str]]:
    return {side: [PYTHON, WHOLE_PROCESS, side, str(recording)] for side in SIDES}


def evaluation_seconds(runs: list[Run]) -> list[float]:
    return [float(str(run.report["evaluation_s"])) for run in runs]


def ratio(program: Sequence[float], floor: Sequence[float]) -> str:
    return f"{median(program) / median(floor):.2f}"


def stack_rows(runs: dict[str, list[Run]], label: str) -> list[object]:
    program, floor, floor_off = runs["program"], runs["floor"], runs["floor-collector-off"]
    heavy = sorted({str(name) for run in program for name in run.report["database_libraries"]})  # type: ignore[attr-defined]
    return [
        label,
        spread([r.wall for r in program]),
        spread([r.wall for r in floor]),
        ratio([r.wall for r in program], [r.wall for r in floor]),
        ratio([r.cpu for r in program], [r.cpu for r in floor]),
        spread(evaluation_seconds(program)),
        spread(evaluation_seconds(floor)),
        ratio(evaluation_seconds(program), evaluation_seconds(floor)),
        f"{median([r.peak_mib for r in program]):.0f} / {median([r.peak_mib for r in floor]):.0f}",
        spread([r.wall for r in floor_off]),
        ratio([r.wall for r in program], [r.wall for r in floor_off]),
        ratio(evaluation_seconds(program), evaluation_seconds(floor_off)),
        f"{program[0].report['modules']} / {floor[0].report['modules']}",
        ", ".join(heavy) or "none",
    ]


STACK_HEADERS = [
    "stack",
    "program s",
    "floor s",
    "ratio",
    "ratio, CPU time",
    "program s, first evaluation",
    "floor s, first evaluation",
    "ratio, first evaluation",
    "peak MiB program / floor",
    "floor, collector off, s",
    "program / that",
    "program / that, first evaluation",
    "modules program / floor",
    "Alembic or SQLAlchemy in the program",
]
SIDES_TEXT = (
    "Three sides, interleaved, the order turned round every other round: the program; the floor, the collector "
    "as Pulumi's exec script leaves it (on, Python's defaults); the floor with the program's collector settings "
    "(off from the start of the program, frozen at exit: infra/collector.py), which shows what the program costs "
    "beyond its resources alone. Times are medians with min-max."
)


def stacks_section(work: Path, bytecode: Bytecode, count: int) -> list[str]:
    rows = []
    for stack in STACKS:
        recording = record(work, stack)
        commands = sides(recording)
        bytecode.fill(*commands.values())
        rows.append(stack_rows(pairs(commands, bytecode.env(), count), stack))
    return [
        f"Warm .pyc. {count} interleaved rounds per stack. Whole process: from starting the interpreter to its exit "
        "(startup, the harness's imports, the evaluation, closing the event loop, interpreter shutdown). First "
        "evaluation: the one evaluation of that process, with the side's own imports (the program: what "
        "__main__.py imports; the floor: bench/replay.py and the provider SDKs); the harness (tools/evaluator.py, "
        "Pulumi's SDK core) is imported before it on both sides. Peak memory: the process's maximum resident set. "
        "Excluded: the Pulumi CLI, engine and providers, which are the same for both and cannot run here.",
        "",
        SIDES_TEXT,
        "",
        *table(STACK_HEADERS, rows),
    ]


def cold_section(work: Path, bytecode: Bytecode, count: int) -> list[str]:
    commands = sides(record(work, "production"))
    runs = pairs(commands, bytecode.env(warm=False), count)
    return [
        f"No .pyc at all (an empty cache, never written): every module compiled from source, as in a CI run right "
        f"after `uv sync` without --compile-bytecode. {count} interleaved rounds; otherwise as above.",
        "",
        *table(STACK_HEADERS, [stack_rows(runs, "production, cold")]),
    ]


def scale_section(work: Path, bytecode: Bytecode, count: int) -> list[str]:
    rows = []
    peaks: list[tuple[int, float, float]] = []
    for size, repositories in SCALE.items():
        recording = record(work, "preview", repositories, EXTRAS_PER_ENVIRONMENT)
        document = json.loads(recording.read_text())
        secrets = sum(
            1
            for entry in document["recording"]["resources"]
            if entry["type"].endswith(("ActionsEnvironmentSecret", "ProjectEnvironmentVariable"))
        )
        commands = sides(recording)
        bytecode.fill(*commands.values())
        runs = pairs(commands, bytecode.env(), count)
        program, floor, floor_off = runs["program"], runs["floor"], runs["floor-collector-off"]
        resources = int(str(program[0].report["resources"]))
        peak_program = median([r.peak_mib for r in program])
        peak_floor = median([r.peak_mib for r in floor])
        peaks.append((resources, peak_program, peak_floor))
        rows.append(
            [
                f"{size:,}",
                repositories,
                secrets,
                resources,
                spread([r.wall for r in program], 2),
                spread([r.wall for r in floor], 2),
                ratio([r.wall for r in program], [r.wall for r in floor]),
                f"{median([r.cpu for r in program]):.2f} / {median([r.cpu for r in floor]):.2f}",
                ratio([r.cpu for r in program], [r.cpu for r in floor]),
                f"{peak_program:.0f} / {peak_floor:.0f}",
                f"{1000 * median([r.wall for r in program]) / resources:.2f}",
                spread([r.wall for r in floor_off], 2),
                ratio([r.wall for r in program], [r.wall for r in floor_off]),
                f"{median([r.peak_mib for r in floor_off]):.0f}",
            ]
        )
    (small, small_program, small_floor), (large, large_program, large_floor) = peaks[0], peaks[-1]
    per_resource = (
        f"Memory per resource (peak, from the smallest to the largest size): program "
        f"{1024 * (large_program - small_program) / (large - small):.0f} KiB, floor "
        f"{1024 * (large_floor - small_floor) / (large - small):.0f} KiB."
    )
    headers = [
        "size (extra secrets, as in 2 repositories)",
        "repositories",
        "secret resources",
        "all resources",
        "program s",
        "floor s",
        "ratio (wall)",
        "CPU s program / floor",
        "ratio (CPU)",
        "peak MiB program / floor",
        "program ms per resource",
        "floor, collector off, s",
        "program / that",
        "its peak MiB",
    ]
    return [
        f"Preview stack. GitHub takes at most 100 secrets per environment and the program refuses more, so a size "
        f"of N extra secrets (about 3 N secret resources: two repositories' environments and Vercel) is reached "
        f"with {EXTRAS_PER_ENVIRONMENT} extra secrets in as many repositories as it takes. Whole process, warm "
        f".pyc, {count} interleaved rounds per size.",
        "",
        SIDES_TEXT,
        "",
        *table(headers, rows),
        "",
        per_resource,
    ]


SDKS = "import pulumi, pulumi_github, pulumiverse_vercel, pulumi_random"
IMPORTS = {
    "psycopg (libpq's URL parser, first parse_postgres_url)": "import psycopg.conninfo",
    "infra.components.shadow_secret_check (the shadow-secret check)": "import infra.components.shadow_secret_check",
    "tenantguard_db.revisions + the head read from source": (
        "from tenantguard_db.revisions import head_revision; head_revision()"
    ),
    "Alembic + SQLAlchemy + the head through ScriptDirectory (before)": (
        "from tenantguard_db.migrate import head_revision; head_revision()"
    ),
    "all of the program (infra.stack, infra.config.load; psycopg included)": (
        "import infra.stack, infra.config.load, psycopg.conninfo"
    ),
}


def imports_section(bytecode: Bytecode, count: int) -> list[str]:
    """What a module adds to a process that has the provider SDKs already: each in a fresh process."""
    commands = {}
    for label, statement in IMPORTS.items():
        code = (
            f"import time, json\n{SDKS}\nstart = time.perf_counter()\n{statement}\n"
            "print(json.dumps({'seconds': time.perf_counter() - start}))"
        )
        commands[label] = [PYTHON, "-c", code]
    bytecode.fill(*commands.values())
    runs = pairs(commands, bytecode.env(), count)
    rows = [
        [
            label,
            f"{1000 * median([float(str(r.report['seconds'])) for r in taken]):.0f}",
            f"{median([r.peak_mib for r in taken]):.0f}",
        ]
        for label, taken in runs.items()
    ]
    return [
        f"Warm .pyc, {count} interleaved rounds, each a fresh process that has imported the Pulumi SDK and the three "
        "provider SDKs (which the floor imports too): the time the statement adds, and the process's peak memory.",
        "",
        *table(["what", "ms added", "peak MiB"], rows),
    ]


def profile_section(work: Path, bytecode: Bytecode) -> list[str]:
    """One program process under cProfile: the time each of our modules accounts for, callees included."""
    import pstats  # noqa: PLC0415 - only this section reads profiles

    recording = record(work, "production")
    out = work / "program.prof"
    command = [PYTHON, "-m", "cProfile", "-o", str(out), WHOLE_PROCESS, "program", str(recording)]
    subprocess.run(command, cwd=ROOT, env=bytecode.env(), check=True, capture_output=True)
    stats: dict[
        tuple[str, int, str], tuple[int, int, float, float, dict[tuple[str, int, str], tuple[int, int, float, float]]]
    ]
    stats = pstats.Stats(str(out)).stats  # type: ignore[attr-defined]
    total = next(
        ct
        for (path, _, name), (_, _, _, ct, _) in stats.items()
        if path.endswith("tools/evaluator.py") and name == "evaluate"
    )

    def ours(path: str) -> str | None:
        relative = path.removeprefix(str(ROOT) + "/")
        return relative if relative.startswith(("infra/", "tenantguard_db/", "__main__.py")) else None

    attributed: dict[str, float] = {}
    for (path, _, name), (_, _, _, _, callers) in stats.items():
        module = ours(path)
        if module is None or name == "<module>":
            continue
        # Time entering this module from elsewhere, with everything it calls: its share of the run.
        entering = sum(ct for (caller, _, _), (_, _, _, ct) in callers.items() if ours(caller) != module)
        attributed[module] = attributed.get(module, 0.0) + entering
    psycopg_import = sum(
        ct
        for (path, _, name), (_, _, _, ct, _) in stats.items()
        if path.endswith("psycopg/__init__.py") and name == "<module>"
    )
    rows = [
        [module, f"{1000 * seconds:.0f}", f"{100 * seconds / total:.0f}%"]
        for module, seconds in sorted(attributed.items(), key=lambda item: -item[1])
        if seconds >= 0.001
    ]
    rows.append(
        [
            "import of psycopg (within tenantguard_db/urls.py)",
            f"{1000 * psycopg_import:.0f}",
            f"{100 * psycopg_import / total:.0f}%",
        ]
    )
    return [
        "The production stack's program, one whole process under cProfile (which slows it about twofold: compare "
        "shares, not times). Each of our modules is charged with the time its functions run when called from "
        "another module, callees included (the SDK's resource constructors, lazy imports), its import excluded "
        "(see the imports above); rows overlap where one of our modules calls another. The evaluation took "
        f"{1000 * total:.0f} ms under the profiler.",
        "",
        *table(["module", "ms under cProfile", "share of the evaluation"], rows),
    ]


def plan_section(bytecode: Bytecode, count: int) -> list[str]:
    command = [PYTHON, "-m", "tools.plan"]
    bytecode.fill(command)
    runs = [whole(command, bytecode.env()) for _ in range(count)]
    rows = [
        [
            "python -m tools.plan (every stack, text)",
            spread([r.wall for r in runs]),
            spread([r.cpu for r in runs]),
            f"{median([r.peak_mib for r in runs]):.0f}",
        ]
    ]
    return [
        f"Whole process, warm .pyc, {count} runs: evaluating the three stacks with placeholder secrets and printing "
        "the plan.",
        "",
        *table(["command", "wall s", "CPU s", "peak MiB"], rows),
    ]


def stock_project(work: Path, url: str) -> Path:
    """The same revisions under Alembic's stock env.py and alembic.ini (URL in the ini, no lock, no timeouts)."""
    import alembic  # noqa: PLC0415 - only this section needs it

    stock_env = Path(alembic.__file__ or "").parent / "templates" / "generic" / "env.py"
    project = work / "stock"
    shutil.copytree(ROOT / "alembic", project / "alembic", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(stock_env, project / "alembic" / "env.py")
    ini = (ROOT / "alembic.ini").read_text().replace("[alembic]", f"[alembic]\nsqlalchemy.url = {url}", 1)
    (project / "alembic.ini").write_text(ini)
    return project


def migrations_section(work: Path, bytecode: Bytecode, rounds: int) -> list[str]:
    from tenantguard_db.local_postgres import USER, LocalPostgres  # noqa: PLC0415 - only this section needs them

    upgrade = [PYTHON, "-m", "alembic", "upgrade", "head"]
    samples: dict[str, list[float]] = {key: [] for key in ("ours empty", "stock empty", "ours head", "stock head")}
    samples["psql"] = []
    env = bytecode.env()
    sql = subprocess.run([*upgrade, "--sql"], cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
    with LocalPostgres() as server:
        psql = shutil.which("psql") or "psql"
        script = work / "upgrade.sql"
        script.write_text(sql)
        bytecode.fill([PYTHON, "-m", "alembic", "history"])
        for index in range(rounds):
            mine, stock, raw = (server.create_database(f"{kind}_{index}") for kind in ("ours", "stock", "raw"))
            stock_dir = stock_project(work / f"stock-{index}", stock.replace("postgresql://", "postgresql+psycopg://"))
            ours_env = {**env, "CI_DB_URL": mine}
            steps: list[tuple[str, Callable[[], float]]] = [
                ("ours empty", lambda: timed_run(upgrade, ROOT, ours_env)),  # noqa: B023
                ("stock empty", lambda: timed_run(upgrade, stock_dir, env)),  # noqa: B023
                ("ours head", lambda: timed_run(upgrade, ROOT, ours_env)),  # noqa: B023
                ("stock head", lambda: timed_run(upgrade, stock_dir, env)),  # noqa: B023
            ]
            for key, step in steps:
                samples[key].append(step())
            command = [psql, "-q", "-v", "ON_ERROR_STOP=1", "-f", str(script), raw]
            samples["psql"].append(timed_run(command, ROOT, {**env, "PGUSER": USER}))
    rows = [
        [
            "upgrade head, empty database",
            spread(samples["ours empty"]),
            spread(samples["stock empty"]),
            ratio(samples["ours empty"], samples["stock empty"]),
            spread(samples["psql"]),
        ],
        [
            "upgrade head, at head (no-op)",
            spread(samples["ours head"]),
            spread(samples["stock head"]),
            ratio(samples["ours head"], samples["stock head"]),
            "-",
        ],
    ]
    headers = ["alembic CLI, whole process", "our env.py s", "stock env.py s", "ratio", "raw SQL via psql s (floor)"]
    return [
        f"Warm .pyc, {rounds} interleaved rounds on a throwaway PostgreSQL.",
        "",
        *table(headers, rows),
    ]


def preview_db_section(bytecode: Bytecode, rounds: int) -> list[str]:
    from bench import preview_db  # noqa: PLC0415 - only this section needs PostgreSQL's tooling

    bytecode.fill([PYTHON, "-m", "tenantguard_db.preview_db", "--help"])
    return [
        f"bench/preview_db.py, {rounds} interleaved rounds: "
        "`python -m tenantguard_db.preview_db create --repository-id ID --pr N` from start to a migrated database, "
        "whole process, against a throwaway PostgreSQL.",
        "",
        *preview_db.measure(rounds, bytecode.env()),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=15, help="interleaved pairs per stack (default 15)")
    parser.add_argument("--scale-pairs", type=int, default=7, help="interleaved pairs per scale size (default 7)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=7,
        help="rounds of the migrations and preview databases (default 7); the plan runs at least 15",
    )
    parser.add_argument("--skip-tests", action="store_true", help="do not time ./scripts/check")
    parser.add_argument("--check-rounds", type=int, default=1, help="measured runs of ./scripts/check (default 1)")
    parser.add_argument(
        "--check-against",
        type=Path,
        action="append",
        default=[],
        help="another checkout (e.g. `git worktree add ../before REV`) whose ./scripts/check is timed alongside",
    )
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="run only these sections")
    args = parser.parse_args()
    chosen = [s for s in SECTIONS if (args.only is None or s in args.only) and not (s == "check" and args.skip_tests)]
    titles = {
        "stacks": "Whole process: the program against its floor (bench/replay.py), every stack",
        "cold": "Whole process without .pyc: the production stack",
        "imports": "What the program's imports cost",
        "profile": "Where the program's evaluation goes",
        "scale": "Scale: whole process, the collector as Pulumi leaves it",
        "plan": "Offline plan",
        "migrations": "Migrations on a real PostgreSQL (alembic CLI)",
        "preview_db": "Preview database per pull request",
        "check": "The test command",
    }
    lines: list[str] = []
    with workspace() as (work, bytecode):
        for section in chosen:
            started = time.perf_counter()
            if section == "stacks":
                body = stacks_section(work, bytecode, args.pairs)
            elif section == "cold":
                body = cold_section(work, bytecode, args.pairs)
            elif section == "imports":
                body = imports_section(bytecode, args.pairs)
            elif section == "profile":
                body = profile_section(work, bytecode)
            elif section == "scale":
                body = scale_section(work, bytecode, args.scale_pairs)
            elif section == "plan":
                body = plan_section(bytecode, max(args.rounds, 15))
            elif section == "migrations":
                body = migrations_section(work, bytecode, args.rounds)
            elif section == "preview_db":
                body = preview_db_section(bytecode, args.rounds)
            else:
                body = check_section(args.check_against, args.check_rounds)
            lines += [f"### {titles[section]}", "", *body, ""]
            print(f"{section}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    now = datetime.datetime.now(datetime.UTC)
    machine = f"{platform.node()}, {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    load = os.getloadavg()[0]
    command = "./scripts/uv run python bench/run.py " + " ".join(sys.argv[1:])
    header = [
        f"## {now:%Y-%m-%d %H:%M} UTC on {machine}",
        "",
        f"`{command.strip()}`; load average at the end {load:.1f}.",
        "",
    ]
    report = "\n".join(header + lines)
    print(report)
    with (ROOT / "bench" / "RESULTS.md").open("a") as handle:
        handle.write(report + "\n")


if __name__ == "__main__":
    main()
