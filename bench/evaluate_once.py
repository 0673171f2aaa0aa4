"""One measured evaluation in a fresh process: prints {"seconds", "peak_kib", "resources"} as JSON.

python bench/evaluate_once.py (program|baseline) STACK EXTRA_SECRETS [REPEATS]

The baseline replays the custom resources the program registered (bench/replay.py).
"""

import json
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import replay  # noqa: E402
from tools import evaluator  # noqa: E402
from tools.fakes import PRODUCTION_STACK_NAME, stack_values  # noqa: E402

which, stack, extra_count = sys.argv[1], sys.argv[2], int(sys.argv[3])
repeats = int(sys.argv[4]) if len(sys.argv) > 4 else 1
values, secret = stack_values(stack)
if extra_count:
    values["extraSecrets"] = json.dumps({f"LLM_KEY_{n:04d}": f"sk-bench-{n}" for n in range(extra_count)})
# Non-production stacks compare their database with production's: its outputs answer the reference.
reference = {PRODUCTION_STACK_NAME: dict(evaluator.evaluate("production", *stack_values("production")).outputs)}
# The first evaluation pays the SDKs' lazy imports; the second is the one measured.
first = evaluator.evaluate(stack, values, secret, stack_outputs=reference)
recording = replay.record(first)


def run() -> evaluator.Evaluation:
    if which == "program":
        return evaluator.evaluate(stack, values, secret, stack_outputs=reference)
    return evaluator.run_program(lambda: replay.replay(recording), stack, stack_outputs=reference)


samples = []
for _ in range(repeats):
    start = time.perf_counter()
    evaluation = run()
    samples.append(time.perf_counter() - start)
seconds = statistics.median(samples)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_kib": peak, "resources": len(evaluation.resources)}))
