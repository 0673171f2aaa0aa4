"""The Vercel CLI of the app preview action: which registry chose it, which files pinned it, how it is run.

The deploy runs with VERCEL_TOKEN in the app repository's job, after the pull request's code is checked out. The
steps are run here with `npm` and the CLI replaced by stand-ins that record how they were called; the real npm then
says which registry that call resolves to, with an .npmrc naming a local listener in the app checkout, the workspace,
the home directory and the job's environment. Nothing is fetched.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / ".github" / "actions" / "vercel-preview"
CLI = ACTION / "vercel-cli"
REGISTRY = "https://registry.npmjs.org/"
LISTENER = "http://127.0.0.1:4873/"  # where a pull request's .npmrc would send npm
# The values the app's job hands the action (its `with:` lines) and the runner's own contexts, for the steps' env.
EXPRESSIONS = {
    "inputs.vercel-token": "vercel-token-value",
    "inputs.vercel-org-id": "team_test",
    "inputs.vercel-project-id": "prj_test",
    "inputs.environment": "preview",
    "steps.database.outputs.url": "postgresql://pr_7@db.example/pr_7",
    "github.action_path": str(ACTION),
}
NPM_CONFIG_FLAGS = ("--prefix", "--registry", "--userconfig", "--globalconfig")
# Records its name, arguments, working directory and npm_config_* environment, one JSON line per call.
RECORDER = """#!/usr/bin/env python3
import json, os, sys
with open(os.environ["RECORD"], "a") as out:
    out.write(json.dumps({
        "program": os.path.basename(sys.argv[0]),
        "argv": sys.argv[1:],
        "cwd": os.getcwd(),
        "npm_env": {k: v for k, v in os.environ.items() if k.lower().startswith("npm_config_")},
        "token_in_env": os.environ.get("VERCEL_TOKEN", ""),
    }) + "\\n")
"""


def steps() -> list[dict[str, Any]]:
    # BaseLoader builds only strings, lists and maps: safe.
    action: dict[str, Any] = yaml.load((ACTION / "action.yml").read_text(), Loader=yaml.BaseLoader)  # noqa: S506
    return list(action["runs"]["steps"])


def fetches_the_cli(step: dict[str, Any]) -> bool:
    return bool(re.search(r"(^|\s)(npx|npm)\s", step.get("run", "")))


def deploy_step() -> dict[str, Any]:
    return next(step for step in steps() if step.get("name") == "Deploy to Vercel (preview)")


def expand(value: str, expressions: dict[str, str]) -> str:
    return re.sub(r"\$\{\{\s*(.*?)\s*\}\}", lambda m: expressions.get(m.group(1), ""), value)


class Job:
    """A runner's job directory (workspace, temp, home, outputs) where `hostile` says which npm configuration names
    LISTENER: the checkouts' .npmrc, the home directory's, the job's environment, or all of them."""

    def __init__(self, root: Path, hostile: str = "all") -> None:
        self.root = root
        self.workspace = root / "work" / "app-repo"
        self.temp = root / "work" / "_temp"
        self.home = root / "home"
        self.bin = root / "bin"
        self.record = root / "calls.jsonl"
        self.output = root / "github-output"
        self.expressions = dict(EXPRESSIONS)
        for folder in (self.workspace / "app", self.temp, self.home, self.bin):
            folder.mkdir(parents=True)
        self.hostile = hostile
        places = {"checkout": (self.workspace / "app", self.workspace), "home": (self.home,), "environment": ()}
        for folder in places.get(hostile, (self.workspace / "app", self.workspace, self.home)):
            (folder / ".npmrc").write_text(f"registry={LISTENER}\n")
        (self.workspace / "app" / "package.json").write_text('{"name": "app"}\n')
        for program in ("npm", "npx"):
            self.stand_in(self.bin / program)
        self.output.write_text("")

    def stand_in(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(RECORDER)
        path.chmod(path.stat().st_mode | stat.S_IXUSR)

    def run(self, step: dict[str, Any], extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
            "HOME": str(self.home),
            "RUNNER_TEMP": str(self.temp),
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_ACTION_PATH": str(ACTION),
            "GITHUB_OUTPUT": str(self.output),
            "RECORD": str(self.record),
        }
        if self.hostile in ("environment", "all"):
            env["npm_config_registry"] = LISTENER  # as a step before could have put it in GITHUB_ENV
        env |= {name: expand(value, self.expressions) for name, value in step.get("env", {}).items()}
        env |= extra_env or {}
        cwd = self.workspace / step.get("working-directory", "")
        # A composite action's `shell: bash` is `bash --noprofile --norc -eo pipefail {0}` (GitHub's workflow syntax).
        return subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    def calls(self) -> list[dict[str, Any]]:
        if not self.record.exists():
            return []
        return [json.loads(line) for line in self.record.read_text().splitlines()]

    def outputs(self) -> dict[str, str]:
        return dict(line.split("=", 1) for line in self.output.read_text().splitlines() if "=" in line)

    def install(self) -> dict[str, str]:
        """Runs the install step, puts a stand-in where it says the CLI is, and returns the step's outputs."""
        step = next(step for step in steps() if fetches_the_cli(step))
        result = self.run(step)
        assert result.returncode == 0, result.stderr
        outputs = self.outputs()
        self.expressions |= {f"steps.vercel-cli.outputs.{key}": value for key, value in outputs.items()}
        self.stand_in(Path(outputs["vercel"]))
        return outputs


def config_flags(argv: list[str]) -> list[str]:
    """The arguments of a recorded npm call that choose its configuration, to replay with `npm config get`."""
    flags: list[str] = []
    for index, arg in enumerate(argv):
        name = arg.split("=", 1)[0]
        if name in NPM_CONFIG_FLAGS:
            flags += [arg] if "=" in arg else [arg, argv[index + 1]]
    return flags


def registry_of(call: dict[str, Any], job: Job, npm: str) -> str:
    env = {"PATH": os.environ["PATH"], "HOME": str(job.home), **call["npm_env"]}
    result = subprocess.run(
        [npm, "config", "get", "registry", *config_flags(call["argv"])],
        cwd=call["cwd"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


@pytest.fixture
def npm() -> str:
    found = shutil.which("npm")
    if found is None:
        pytest.skip("npm is not installed here")
    return found


def test_the_cli_is_installed_before_any_checkout_and_never_fetched_on_the_fly() -> None:
    names = [step.get("name", step.get("uses", "")) for step in steps()]
    install = next(index for index, step in enumerate(steps()) if fetches_the_cli(step))
    assert names[install] == "Install the Vercel CLI from this action's lock file"
    checkouts = [index for index, step in enumerate(steps()) if step.get("uses", "").startswith("actions/checkout@")]
    assert install < min(checkouts)
    for step in steps():
        assert "npx" not in step.get("run", "")
        assert "vercel@" not in step.get("run", "")


@pytest.mark.parametrize("hostile", ["checkout", "home", "environment", "all"])
def test_npm_takes_the_registry_from_the_action_whatever_npmrc_the_job_holds(
    tmp_path: Path, npm: str, hostile: str
) -> None:
    job = Job(tmp_path, hostile)
    step = next(step for step in steps() if fetches_the_cli(step))
    result = job.run(step)
    assert result.returncode == 0, result.stderr
    (call,) = [call for call in job.calls() if call["program"] in ("npm", "npx")]
    assert registry_of(call, job, npm) == REGISTRY
    # Installed from a folder outside the checkouts, holding exactly this action's lock file.
    assert call["argv"][0] == "ci"
    assert "--ignore-scripts" in call["argv"]
    folder = Path(call["cwd"])
    assert not folder.is_relative_to(job.workspace)
    assert (folder / "package-lock.json").read_bytes() == (CLI / "package-lock.json").read_bytes()
    assert (folder / "package.json").read_bytes() == (CLI / "package.json").read_bytes()
    assert not call["npm_env"]  # the job's npm_config_* variables are dropped


def test_the_deploy_runs_the_installed_cli_by_its_path_with_the_token_outside_its_arguments(tmp_path: Path) -> None:
    job = Job(tmp_path)
    outputs = job.install()
    result = job.run(deploy_step())
    assert result.returncode == 0, result.stderr
    (call,) = [call for call in job.calls() if call["program"] == "vercel"]
    assert call["cwd"] == str(job.workspace / "app")
    assert call["argv"][:3] == ["--global-config", outputs["config"], "deploy"]
    assert "--yes" in call["argv"]
    assert "--env" in call["argv"]
    assert not any("vercel-token-value" in arg for arg in call["argv"])  # /proc/<pid>/cmdline is readable
    assert call["token_in_env"] == "vercel-token-value"


@pytest.mark.parametrize("missing", ["VERCEL_ORG_ID", "VERCEL_PROJECT_ID", "VERCEL_TOKEN"])
def test_the_deploy_refuses_without_both_ids_so_no_vercel_link_of_the_checkout_is_read(
    tmp_path: Path, missing: str
) -> None:
    # With only one of VERCEL_ORG_ID and VERCEL_PROJECT_ID, or neither, the CLI links the project from the
    # checkout's .vercel/project.json (getLinkedProject in vercel's src/util/projects/link.ts).
    job = Job(tmp_path)
    job.install()
    result = job.run(deploy_step(), {missing: ""})
    assert result.returncode == 1
    assert "::error title=Preview environment incomplete::" in result.stdout
    assert not [call for call in job.calls() if call["program"] == "vercel"]


def test_the_lock_file_pins_the_cli_and_every_package_by_integrity_from_the_public_registry() -> None:
    package = json.loads((CLI / "package.json").read_text())
    assert package["private"] is True
    ((name, version),) = package["dependencies"].items()
    assert name == "vercel"
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)  # an exact version, not a range
    lock = json.loads((CLI / "package-lock.json").read_text())
    assert lock["lockfileVersion"] == 3
    assert lock["packages"][""]["dependencies"] == package["dependencies"]
    assert lock["packages"]["node_modules/vercel"]["version"] == version
    for path, entry in lock["packages"].items():
        if path:
            assert entry["resolved"].startswith(REGISTRY), path
            assert entry["integrity"].startswith("sha512-"), path
