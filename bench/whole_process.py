"""One whole process of the program or of its floor, as `pulumi preview` runs one: start, one evaluation, exit.

    python bench/whole_process.py record STACK REPOSITORIES EXTRA_SECRETS OUT.json
    python bench/whole_process.py (program|floor|floor-collector-off) RECORDING.json

`record` evaluates the real program once (in its own process) and writes its config and what it registered
(bench/replay.py). `program` and `floor` import only the mock-runtime harness (tools/evaluator.py, which imports
Pulumi's SDK core) before their one evaluation; inside it the program imports what __main__.py imports and the
floor what bench/replay.py imports (the provider SDKs). Neither touches the garbage collector: the program's
own settings hold, as in the process Pulumi runs (`floor-collector-off` is the floor with the program's
collector settings, infra/collector.py). Then, as Pulumi's exec script does, it closes the event loop
and exits. Prints {"harness_s", "evaluation_s", "resources", "modules", "database_libraries"} as JSON; the parent
times the whole process and reads its CPU time and peak memory.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import asyncio  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools import evaluator  # noqa: E402

HARNESS = time.perf_counter()


def record(stack: str, repositories: int, extras: int, out: Path) -> None:
    from bench import replay  # noqa: PLC0415 - the measured modes must not import it up front
    from tests.fakes import PRODUCTION_STACK_NAME, stack_values  # noqa: PLC0415

    values, secret_keys = stack_values(stack)
    if repositories:
        values["repositories"] = json.dumps([f"bench-repository-{n:03d}" for n in range(repositories)])
    if extras:
        values["extraSecrets"] = json.dumps({f"LLM_KEY_{n:03d}": f"sk-bench-{n}" for n in range(extras)})
    reference = {PRODUCTION_STACK_NAME: dict(evaluator.evaluate("production", *stack_values("production")).outputs)}
    evaluation = evaluator.evaluate(stack, values, secret_keys, stack_outputs=reference)
    document = {
        "stack": stack,
        "values": values,
        "secret_keys": sorted(secret_keys),
        "stack_outputs": reference,
        "recording": replay.record(evaluation),
        "resources": len(evaluation.resources),
    }
    out.write_text(json.dumps(document))


def measure(which: str, path: Path) -> dict[str, Any]:
    spec = json.loads(path.read_text())

    def floor() -> None:
        if which == "floor-collector-off":
            from infra import collector  # noqa: PLC0415 - as __main__.py does, first

            collector.off_until_exit()
        from bench import replay  # noqa: PLC0415 - its imports (the provider SDKs) are part of the floor's run

        replay.replay(spec["recording"])

    arguments = (spec["stack"], spec["values"], spec["secret_keys"])
    start = time.perf_counter()
    if which == "program":
        evaluation = evaluator.evaluate(*arguments, stack_outputs=spec["stack_outputs"], restore_gc=False)
    else:
        evaluation = evaluator.run_program(floor, *arguments, stack_outputs=spec["stack_outputs"], restore_gc=False)
    seconds = time.perf_counter() - start
    # sdk/python/cmd/pulumi-language-python-exec (pulumi/pulumi) closes its loop before sys.exit.
    asyncio.get_event_loop().close()
    return {
        "harness_s": HARNESS - STARTED,
        "evaluation_s": seconds,
        "resources": len(evaluation.resources),
        "modules": len(sys.modules),
        "database_libraries": sorted({name.split(".")[0] for name in sys.modules} & {"alembic", "sqlalchemy"}),
    }


if __name__ == "__main__":
    if sys.argv[1] == "record":
        record(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), Path(sys.argv[5]))
    else:
        print(json.dumps(measure(sys.argv[1], Path(sys.argv[2]))))
