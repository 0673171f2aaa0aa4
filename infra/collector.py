"""How the program's process uses Python's cyclic garbage collector: not while it runs, and not at exit either.

A run is one short process (pulumi-language-python's exec script runs __main__.py once, then exits) in which
nearly everything allocated stays reachable until the end: the SDKs' modules, and a few dozen futures per
resource, in reference cycles, held by the outputs. Each automatic collection walked that growing heap again
for nothing: a stack of 3,000 secrets spent 3 s of its 6.6 s there, and every run spent 0.1-0.4 s more in
the collection Python makes at exit over the same heap (bench/RESULTS.md, with the memory this costs).
"""

from __future__ import annotations

import atexit
import functools
import gc


def off_until_exit() -> None:
    """Stop automatic collection for the rest of the process, and skip the collection at interpreter exit.

    Call it first, before the SDKs are imported. Only the process's own exit frees what is left, which
    is all of it: Pulumi's exec script awaits every outstanding RPC after the program returns, closes
    the event loop, flushes stdout and stderr, then calls sys.exit (sdk/python/cmd/pulumi-language-python-exec
    in pulumi/pulumi), and atexit handlers run after that, during interpreter finalization. Freezing
    there moves every object to the permanent generation, which the final collection does not walk
    (gc.freeze in the Python docs); objects still go away by reference counting as modules are
    cleared, only the cyclic garbage is left to the operating system, with its finalizers unrun. The
    process holds no file or connection that needs one: the dynamic provider (infra/migration.py)
    connects to the database in the provider's own process, never in this one.
    """
    gc.disable()
    _freeze_at_exit()


@functools.cache
def _freeze_at_exit() -> None:
    # Once per process: the offline evaluator runs __main__.py many times in one process.
    atexit.register(gc.freeze)
