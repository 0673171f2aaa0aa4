"""docs/reference/workflows.md: each workflow of .github/workflows/ as its YAML says: triggers, and per job its
environment, permissions, concurrency and the secrets and variables it reads."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from tools.docs.markdown import Page, code, codes, prose, table
from tools.workflow_secrets import reads, workflow_files

WORKFLOWS = ".github/workflows"
VARS = re.compile(r"(?<![\w.])vars\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)


def _scalars(node: yaml.Node) -> list[str]:
    if isinstance(node, yaml.MappingNode):
        return [text for key, item in node.value for text in (*_scalars(key), *_scalars(item))]
    if isinstance(node, yaml.SequenceNode):
        return [text for item in node.value for text in _scalars(item)]
    return [str(node.value)]


def secrets_of(node: yaml.Node, source: list[str]) -> list[str]:
    """The secrets a job reads by name (tools/workflow_secrets.py finds them); `secrets` as a whole is shown as such."""
    names = {read.name or "(the whole secrets context)" for read in reads(node, source)}
    return sorted(names)


def vars_of(node: yaml.Node) -> list[str]:
    found = set()
    for text in _scalars(node):
        for expression in EXPRESSION.findall(text):
            found |= set(VARS.findall(expression))
    return sorted(found)


def _mapping(node: yaml.Node | None) -> dict[str, yaml.Node]:
    return {str(key.value): item for key, item in node.value} if isinstance(node, yaml.MappingNode) else {}


def _inline(data: Any) -> str:
    """A small YAML value on one line: `a, b` for lists, `key: value; ...` for maps."""
    if isinstance(data, list):
        return ", ".join(_inline(item) for item in data)
    if isinstance(data, dict):
        return "; ".join(f"{key}: {_inline(item)}" for key, item in data.items())
    return str(data)


def triggers(on: Any) -> str:
    if isinstance(on, str):
        on = {on: ""}
    if isinstance(on, list):
        on = dict.fromkeys(on, "")
    lines = []
    for event, spec in on.items():
        if not spec:
            lines.append(f"- {code(event)}")
            continue
        if isinstance(spec, list):
            lines.append(f"- {code(event)}: {', '.join(code(_inline(item)) for item in spec)}")
            continue
        details = []
        for key, item in spec.items():
            if key == "inputs" and isinstance(item, dict):
                inputs = ", ".join(
                    f"{code(name)} ({_inline({k: v for k, v in (i or {}).items() if k != 'description'})})"
                    for name, i in item.items()
                )
                details.append(f"inputs {inputs}")
            else:
                details.append(f"{key} {codes(item if isinstance(item, list) else [item])}")
        lines.append(f"- {code(event)}: {prose('; '.join(details))}")
    return "\n".join(lines) + "\n"


def _permissions(data: Any) -> str:
    if data is None:
        return "the workflow's"
    if isinstance(data, str):
        return data
    return ", ".join(f"{key}: {access}" for key, access in data.items()) or "none"


def _concurrency(data: Any) -> tuple[str, str]:
    if data is None:
        return "", ""
    if isinstance(data, str):
        return code(data), "false"
    return code(str(data.get("group", ""))), str(data.get("cancel-in-progress", "false"))


def _environment(data: Any) -> str:
    if isinstance(data, dict):
        data = data.get("name")
    return code(str(data)) if data else ""


def workflow_section(path: Path, root: Path) -> str:
    text = path.read_text()
    source = text.splitlines()
    document = yaml.compose(text, Loader=yaml.BaseLoader)
    top = _mapping(document)
    # BaseLoader builds only strings, lists and maps, so `on:` stays a key rather than True.
    data: Mapping[str, Any] = yaml.load(text, Loader=yaml.BaseLoader)  # noqa: S506
    group, cancel = _concurrency(data.get("concurrency"))
    lines = [
        f"## {path.name}",
        "",
        f"Name {code(str(data.get('name', path.stem)))}; {code(path.relative_to(root).as_posix())}.",
        "",
        "Triggers:",
        "",
        triggers(data.get("on", {})),
        f"Workflow permissions: {_permissions(data.get('permissions', 'GitHub default'))}. "
        + (f"Concurrency group {group}, cancel-in-progress {code(cancel)}." if group else "No concurrency group."),
        "",
    ]
    rows = []
    for job_id, job_node in _mapping(top.get("jobs")).items():
        job: Mapping[str, Any] = data["jobs"][job_id]
        job_group, job_cancel = _concurrency(job.get("concurrency"))
        needs = job.get("needs", [])
        rows.append(
            (
                code(job_id),
                prose(str(job.get("name", ""))),
                codes(needs if isinstance(needs, list) else [needs], ""),
                _environment(job.get("environment")),
                _permissions(job.get("permissions")),
                job_group,
                code(job_cancel) if job_group else "",
                codes(secrets_of(job_node, source), ""),
                codes(vars_of(job_node), ""),
            )
        )
    headers = (
        "job",
        "name",
        "needs",
        "environment",
        "permissions",
        "concurrency group",
        "cancel-in-progress",
        "secrets",
        "vars",
    )
    lines.append(table(headers, rows))
    return "\n".join(lines)


def body(root: Path) -> str:
    files = workflow_files([root / WORKFLOWS])
    intro = (
        "Read from the YAML of each workflow file. A job's permissions are the workflow's unless it sets its own. The "
        "workflow's concurrency group holds each whole run; a job's own group holds that job across runs. Secrets "
        "and variables are those the job's own expressions read (`secrets.NAME`, `vars.NAME`), its steps and `env:` "
        "included; a composite action gets only what the job passes it.\n"
    )
    return intro + "\n" + "\n".join(workflow_section(path, root) for path in files)


PAGE = Page(
    "docs/reference/workflows.md",
    "Workflows",
    "each workflow's triggers and jobs: environment, permissions, concurrency, secrets and variables read",
    (f"{WORKFLOWS}/*.yml",),
    body,
)
