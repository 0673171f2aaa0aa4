"""Reading the workflows and actions as the tests about them do: plain YAML, steps, the secrets a job reads."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONS = ROOT / ".github" / "actions"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")
SECRET = re.compile(r"secrets\.(\w+)")
NAMES = sorted(path.name for path in WORKFLOWS.glob("*.yml"))


def load(path: Path) -> dict[str, Any]:
    # BaseLoader builds only strings, lists and maps (so `on:` stays a key, not True): safe.
    document: dict[str, Any] = yaml.load(path.read_text(), Loader=yaml.BaseLoader)  # noqa: S506
    return document


def workflow(name: str) -> dict[str, Any]:
    return load(WORKFLOWS / name)


def jobs(name: str) -> dict[str, dict[str, Any]]:
    return dict(workflow(name)["jobs"])


def steps_of(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps", []))


def secrets_read(job: dict[str, Any]) -> set[str]:
    return set(SECRET.findall(yaml.safe_dump(job))) - {"GITHUB_TOKEN"}
