"""Where the DIY (object-storage) backend keeps one stack's objects, so an IAM policy can reach that stack only.

Read in pulumi/pulumi pkg/backend/diy at 1b5949891b3c, for the project-scoped layout (`.pulumi/meta.yaml` version 1,
which the CLI writes into an empty bucket on first login: meta.go ensurePulumiMeta):

- state: `.pulumi/stacks/<project>/<stack>` plus `.json`, `.json.gz` or `.json.zst` (store.go
  projectReferenceStore.StackBasePath; state.go stackPath finds the variant by listing the prefix `<base>.json`,
  and stackExists then reads it);
- before each write the previous state is copied to `<file>.bak` (state.go saveCheckpoint, backupTarget);
- the stack's tags: `<base>.pulumi-tags` (stack_tags.go stackTagsPath);
- after an update, `.pulumi/history/<project>/<stack>/<stack>-<ns>.history.json` and `.checkpoint.json`
  (state.go addToHistory) and `.pulumi/backups/<project>/<stack>/<stack>.<ns>.json` (state.go backupStack), only
  when not a dry run (backend.go apply: `if !opts.DryRun`);
- the lock of an update, refresh, destroy or import: `.pulumi/locks/organization/<project>/<stack>/<id>.json`,
  after listing that directory (lock.go Lock, checkForLock, lockPath); `Preview` takes none (backend.go).

Stack names may hold `.` (`staging.eu`), so state objects are named exactly, never by the prefix `<stack>.`.
"""

from __future__ import annotations

META = ".pulumi/meta.yaml"
"""Read on every login (meta.go readPulumiMeta); written only when missing, by the first login to the bucket."""
COMPRESSIONS = ("", ".gz", ".zst")


def stack_base(project: str, stack: str) -> str:
    return f".pulumi/stacks/{project}/{stack}"


def state_objects(project: str, stack: str) -> tuple[str, ...]:
    """The stack's state file, in each of its encodings: what reading the stack reads."""
    return tuple(f"{stack_base(project, stack)}.json{compression}" for compression in COMPRESSIONS)


def state_listing(project: str, stack: str) -> str:
    """The prefix `stackPath` lists to find which encoding exists (ListObjectsV2 `prefix`)."""
    return f"{stack_base(project, stack)}.json"


def written_objects(project: str, stack: str) -> tuple[str, ...]:
    """Objects an update writes or replaces by exact name: the state, its `.bak` copy, the stack's tags."""
    states = state_objects(project, stack)
    return (*states, *(f"{state}.bak" for state in states), f"{stack_base(project, stack)}.pulumi-tags")


def written_directories(project: str, stack: str) -> tuple[str, ...]:
    """Directories (with their trailing `/`) holding objects an update names by time or id: history, backups, locks."""
    return (
        f".pulumi/history/{project}/{stack}/",
        f".pulumi/backups/{project}/{stack}/",
        lock_directory(project, stack),
    )


def lock_directory(project: str, stack: str) -> str:
    """What `checkForLock` lists (listBucket: prefix `<dir>/`, delimiter `/`) before and after taking a lock."""
    return f".pulumi/locks/organization/{project}/{stack}/"
