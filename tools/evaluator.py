"""Runs the real program for one stack under Pulumi's mock runtime: no CLI, no credentials, no network.

The offline plan, the tests and the benchmarks all evaluate stacks through `evaluate` (or any other
program through `run_program`), and read what was registered back through `Evaluation`.

It leans on four SDK internals that `pulumi.runtime.test` itself uses (pulumi/runtime/mocks.py):
`_sync_await`, `run_pulumi_func`, `settings.SETTINGS.{rpc_manager,outputs}.clear()` and
`settings.ROOT`. They are not public API; uv.lock pins the SDK, and every test of the program runs
through here, so an SDK upgrade that moves them fails `./scripts/check` before it lands.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import gc
import inspect
import json
import logging
import runpy
import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from infra.tables.type_tokens import PROJECT
from tools.github_listings import GitHubListings
from tools.mock_answers import OfflineMocks, team_id

__all__ = ["team_id"]  # what GitHub answers for a team lives in tools/mock_answers.py; tests read it from here

ROOT = Path(__file__).resolve().parent.parent
MAIN = ROOT / "__main__.py"


def resource_type(urn: str) -> str:
    """The type token of the resource a URN names (the last type of its parent chain)."""
    return urn.split("::")[2].rsplit("$", maxsplit=1)[-1]


def resource_name(urn: str) -> str:
    """The logical name of the resource a URN names."""
    return urn.rsplit("::", 1)[1]


@dataclass(frozen=True)
class Options:
    """The resource options a registration carried, as the engine would see them."""

    parent: str
    protect: bool
    dependencies: tuple[str, ...]
    delete_before_replace: bool
    aliases: tuple[dict[str, Any], ...]
    """Each alias as a dict: {"urn": ...} or {"spec": {"name": ..., "type": ..., "parentUrn": ...}}."""
    provider: str
    """The provider reference (`urn::id`), or "" for the default provider."""
    custom: bool
    """A custom resource (a provider's, a provider itself) rather than a component."""
    import_id: str = ""
    """The `import_` option: the id of an existing resource the engine adopts instead of creating it."""
    retain_on_delete: bool = False


@dataclass(frozen=True)
class Invoke:
    """A provider function the program called (a data source such as getTeam)."""

    token: str
    args: dict[str, Any]
    provider: str


class DuplicateUrnError(ValueError):
    """The program registered two resources under one URN, which the Pulumi engine refuses."""


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """Pulumi's mock monitor, also keeping each registration's options (protect, dependsOn, ...) and invokes."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.options: dict[str, Options] = {}
        self.inputs: dict[str, dict[str, Any]] = {}
        self.registered_outputs: dict[str, dict[str, Any]] = {}
        self._registered: set[str] = set()
        self._lock = threading.Lock()
        self.invokes: list[Invoke] = []

    def Invoke(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        args = json_format.MessageToDict(request.args)
        self.invokes.append(Invoke(token=request.tok, args=args, provider=request.provider))
        return super().Invoke(request)  # type: ignore[no-untyped-call] # untyped in the SDK

    def _refuse_duplicate(self, parent: str, type_: str, name: str) -> None:
        # Pulumi's mock monitor overwrites a second registration under one URN; the engine refuses it
        # ("Duplicate resource URN"), so the evaluation must too, or no test could see the mistake.
        urn = self.make_urn(parent, type_, name)
        with self._lock:  # registrations arrive from the SDK's threads at once
            if urn in self._registered:
                raise DuplicateUrnError(f"Duplicate resource URN '{urn}'; try giving it a unique name")
            self._registered.add(urn)

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        if request.type != "pulumi:pulumi:Stack":
            self._refuse_duplicate(request.parent, request.type, request.name)
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call] # untyped in the SDK
        # The state the mocks return adds computed outputs (a password's result); keep the inputs apart.
        self.inputs[response.urn] = rpc.deserialize_properties(request.object)
        self.options[response.urn] = Options(
            parent=request.parent,
            protect=bool(request.protect),
            dependencies=tuple(request.dependencies),
            delete_before_replace=bool(request.deleteBeforeReplace),
            # Engines with alias specs get Alias messages; older ones get the URNs the SDK computed.
            aliases=tuple(json_format.MessageToDict(alias) for alias in request.aliases)
            + tuple({"urn": urn} for urn in request.aliasURNs),
            provider=request.provider,
            custom=bool(request.custom),
            import_id=request.importId,
            retain_on_delete=bool(request.retainOnDelete),
        )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        # What a component passes to register_outputs lands in the state file; Pulumi's mock drops it.
        self.registered_outputs[request.urn] = rpc.deserialize_properties(request.outputs)
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call] # untyped in the SDK

    def ReadResource(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        # Reads (a StackReference) are custom resources with no options worth keeping.
        self._refuse_duplicate(request.parent, request.type, request.name)
        response = super().ReadResource(request)  # type: ignore[no-untyped-call] # untyped in the SDK
        self.inputs[response.urn] = rpc.deserialize_properties(request.properties)
        return response


@dataclass
class Evaluation:
    """What one stack's program declared under mocks."""

    stack: str
    resources: dict[str, pulumi_mocks.MockMonitor.ResourceRegistration]
    """Registered resources by URN; state holds the inputs, secrets still wrapped."""
    options: dict[str, Options]
    """Resource options by URN."""
    inputs: dict[str, dict[str, Any]]
    """The inputs each resource was registered with, by URN, secrets still wrapped."""
    outputs: dict[str, Any]
    """Stack outputs, resolved; secret outputs stay wrapped in Output."""
    registered_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    """What each component (and the stack) passed to register_outputs, by URN, secrets still wrapped."""
    logs: list[str] = field(default_factory=list)
    invokes: list[Invoke] = field(default_factory=list)
    """Provider functions called, in order."""

    def of_type(self, type_token: str) -> list[pulumi_mocks.MockMonitor.ResourceRegistration]:
        """The registrations of one resource type, in the order they were registered."""
        return [r for urn, r in self.resources.items() if resource_type(urn) == type_token]

    def named(self, type_token: str) -> dict[str, dict[str, Any]]:
        """The state of each resource of one type, by logical name."""
        return {resource_name(urn): r.state for urn, r in self.resources.items() if resource_type(urn) == type_token}

    def urns(self, type_token: str) -> list[str]:
        """The URNs of one resource type, in the order they were registered."""
        return [urn for urn in self.resources if resource_type(urn) == type_token]


class ProgramFailedError(Exception):
    """The program raised; carries what it had registered and logged by then."""

    def __init__(self, cause: BaseException, resources: dict[str, Any], logs: list[str]) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.resources = resources
        self.logs = logs


class _Collect(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__()
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(record.getMessage())


class _StackFileLoader(yaml.SafeLoader):
    """YAML as Pulumi reads a stack file: an unquoted 2026-11-25 stays the string it is, not a date; no aliases."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        # A few lines of nested aliases expand to billions of nodes ("billion laughs"): refused where they stand,
        # before anything expands. Pulumi's own reader (Go yaml.v3) refuses excessive aliasing too; a stack file
        # needs none.
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]  # PyYAML's stubs leave it untyped
            raise yaml.composer.ComposerError(
                None, None, "an alias (*name), which a stack file may not hold; write the value out", mark
            )
        return super().compose_node(parent, index)


_StackFileLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_stack_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_StackFileLoader)  # noqa: S506 - a SafeLoader without the timestamp resolver


def stack_file(stack: str, directory: Path = ROOT) -> Path:
    return directory / f"Pulumi.{stack}.yaml"


def stack_config(stack: str, directory: Path = ROOT) -> dict[str, str]:
    """A stack file's project config as Pulumi passes it to the program: keys without prefix, strings."""
    path = stack_file(stack, directory)
    if not path.exists():
        raise FileNotFoundError(
            f"no stack file {path.name} in {directory}; known stacks: {', '.join(known_stacks(directory))}"
        )
    document = load_stack_yaml(path.read_text()) or {}
    values: dict[str, str] = {}
    for key, value in (document.get("config") or {}).items():
        if not key.startswith(f"{PROJECT}:"):
            continue
        short = key.split(":", 1)[1]
        values[short] = value if isinstance(value, str) else json.dumps(value)
    return values


def known_stacks(directory: Path = ROOT) -> list[str]:
    return sorted(path.name[len("Pulumi.") : -len(".yaml")] for path in directory.glob("Pulumi.*.yaml"))


def evaluate(
    stack: str,
    values: Mapping[str, str],
    secret_keys: Collection[str] = (),
    *,
    stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
    program: Path = MAIN,
    log_level: int = logging.INFO,
    github_secrets: GitHubListings | None = None,
    restore_gc: bool = True,
    project: str = PROJECT,
) -> Evaluation:
    """Run __main__.py (or another program file, of `project`) for `stack` with the given config under mocks.

    `log_level=logging.DEBUG` also collects the SDK's debug messages (the leak tests read them all).
    `github_secrets` is what GitHub's secret-name lookups answer (default: a clean organization).
    `restore_gc`: see run_program.

    Raises ProgramFailedError when the program fails (its cause is a pulumi.RunError for bad config).
    """

    def run_file() -> None:
        runpy.run_path(str(program), run_name="__main__")

    return run_program(
        run_file,
        stack,
        values,
        secret_keys,
        stack_outputs=stack_outputs or {},
        log_level=log_level,
        github_secrets=github_secrets,
        restore_gc=restore_gc,
        project=project,
    )


def run_program(
    program: Callable[[], None],
    stack: str,
    values: Mapping[str, str] | None = None,
    secret_keys: Collection[str] = (),
    *,
    stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
    log_level: int = logging.INFO,
    monitor: Callable[[pulumi.runtime.Mocks], RecordingMonitor] = RecordingMonitor,
    github_secrets: GitHubListings | None = None,
    restore_gc: bool = True,
    project: str = PROJECT,
) -> Evaluation:
    """Run any Pulumi program (a callable that declares resources) for `stack` under the same mocks.

    `project` is the Pulumi project the program runs as: its name prefixes the config keys and the URNs (the CI
    project in ci/ is a second one).
    `monitor` builds the mock monitor (a RecordingMonitor subclass, to answer the SDK differently).
    `restore_gc=False` leaves the garbage collector as the program set it, as in the process Pulumi
    runs, which exits after one program (the benchmarks' whole-process figures).
    """
    run = functools.partial(
        _evaluate,
        program,
        stack,
        values or {},
        secret_keys,
        stack_outputs=stack_outputs or {},
        log_level=log_level,
        monitor=monitor,
        github_secrets=github_secrets,
        project=project,
    )
    # The collector runs as the program sets it up for its own process (infra/collector.py), so what is
    # measured and tested here is what `pulumi up` runs. Those settings are the program's, not the
    # caller's: afterwards the caller's come back (a test session evaluates hundreds of programs).
    saved = _CollectorSettings.current()
    try:
        # Pulumi's runtime keeps its state in context variables: a fresh context per evaluation.
        return contextvars.copy_context().run(run)
    finally:
        if restore_gc:
            saved.restore()


@dataclass(frozen=True)
class _CollectorSettings:
    enabled: bool
    thresholds: tuple[int, int, int]

    @classmethod
    def current(cls) -> _CollectorSettings:
        return cls(gc.isenabled(), gc.get_threshold())

    def restore(self) -> None:
        gc.set_threshold(*self.thresholds)
        if self.enabled:
            gc.enable()
        else:
            gc.disable()


def _evaluate(
    program: Callable[[], None],
    stack: str,
    values: Mapping[str, str],
    secret_keys: Collection[str],
    *,
    stack_outputs: Mapping[str, Mapping[str, Any]],
    log_level: int,
    monitor: Callable[[pulumi.runtime.Mocks], RecordingMonitor],
    github_secrets: GitHubListings | None,
    project: str,
) -> Evaluation:
    logs: list[str] = []
    logger = logging.getLogger(f"tenantguard.offline.{stack}")
    logger.propagate = False
    logger.handlers = [_Collect(logs)]
    logger.setLevel(log_level)

    recorder = monitor(OfflineMocks(stack_outputs, github_secrets))
    pulumi_settings.ROOT.set(None)
    pulumi.runtime.set_mocks(
        recorder.mocks, project=project, stack=stack, preview=False, logger=logger, monitor=recorder
    )
    pulumi.runtime.set_all_config(
        {f"{project}:{key}": value for key, value in values.items()},
        [f"{project}:{key}" for key in secret_keys],
    )

    # As pulumi.runtime.test does: a failure of the previous program must not fail this one.
    pulumi_settings.SETTINGS.rpc_manager.clear()
    pulumi_settings.SETTINGS.outputs.clear()

    try:
        _sync_await(run_pulumi_func(program))
    except Exception as error:
        loop = asyncio.get_event_loop()
        _let_the_rest_fail(loop)
        _read_abandoned_exceptions(loop)
        raise ProgramFailedError(error, recorder.get_registered_resources(), logs) from error
    root = pulumi_settings.get_root_resource()
    exported: dict[str, Any] = getattr(root, "outputs", {})
    outputs = {name: _resolve(value) for name, value in exported.items()}
    return Evaluation(
        stack=stack,
        resources=recorder.get_registered_resources(),
        options=recorder.options,
        inputs=recorder.inputs,
        outputs=outputs,
        registered_outputs=recorder.registered_outputs,
        logs=logs,
        invokes=recorder.invokes,
    )


SETTLING_ROUNDS = 200
"""Loop iterations a failed program's remaining tasks get to finish; the mock runtime needs a few."""


def _let_the_rest_fail(loop: asyncio.AbstractEventLoop) -> None:
    """Run the failed program's remaining tasks until they are done (or no longer move).

    The program fails with its first error, while registrations that wait on the same failed value
    (the production-database guard's verdict gates every resource) fail a few loop iterations later.
    Left pending, they would fail during the next program's run, where nothing reads them.
    """
    for _ in range(SETTLING_ROUNDS):
        if all(task.done() for task in asyncio.all_tasks(loop)):
            return
        _sync_await(asyncio.sleep(0))


def _read_abandoned_exceptions(loop: asyncio.AbstractEventLoop) -> None:
    """Mark as read the exceptions a failed program left in futures that nothing will await.

    A failed registration resolves every output of its resource with the error
    (`resolve_outputs_due_to_exception` in pulumi/runtime/resource.py), and the runtime keeps failed
    outputs until the next program starts (`Output._track` in pulumi/output.py). Once the program has
    failed nothing awaits them, so asyncio logs each one, with its traceback, as "Future exception was
    never retrieved" whenever it is collected: thousands of lines after pytest's summary. Pulumi's
    language host silences the whole asyncio logger for this (sdk/python/cmd/pulumi-language-python-exec
    in pulumi/pulumi); reading the failed futures of this loop keeps every other asyncio error visible.
    """
    for candidate in gc.get_objects():
        if not isinstance(candidate, asyncio.Future) or candidate.get_loop() is not loop:
            continue
        if candidate.done() and not candidate.cancelled():
            candidate.exception()
    # An Output's data task awaits its resources, then its value, then whether it is known
    # (`Output.__init__` in pulumi/output.py): when the first raises, the coroutines it was given for
    # the others (StackReference.get_output passes `value.future()` and `value.is_known()`) are never
    # started, and Python warns of each when it is collected. Nothing will await them now.
    for candidate in gc.get_objects():
        if (
            inspect.iscoroutine(candidate)
            and inspect.getcoroutinestate(candidate) == inspect.CORO_CREATED
            and candidate.__qualname__.startswith("Output.")
        ):
            candidate.close()


def _resolve(value: Any) -> Any:
    output = pulumi.Output.from_input(value)
    if _sync_await(output.is_secret()):
        return output
    return _sync_await(output.future())
