"""docs/tutorial/first-deploy.md: the commands a new team runs, checked against what the program and the CI project
declare, so the tutorial cannot fall behind a new secret key or CI secret."""

from __future__ import annotations

import re
import shlex

import yaml

from infra.tables.secret_keys import SECRET_KEYS
from tests import runbooks

PAGE = "tutorial/first-deploy.md"
STEPS = [heading for heading in runbooks.headings(PAGE) if re.match(r"\d+\. ", heading)]


def lines() -> list[str]:
    return [line for step in STEPS for line in runbooks.commands(PAGE, step)]


def test_the_first_deploy_is_ten_command_lines_in_eight_steps() -> None:
    assert len(STEPS) == 8
    assert len(lines()) == 10


def test_every_pulumi_command_names_its_stack() -> None:
    assert runbooks.without_stack(lines()) == []


def test_each_stack_gets_every_secret_key_the_table_holds() -> None:
    step = " ".join(runbooks.commands(PAGE, "4. Create the three stacks and set their secrets"))
    typed = re.search(r"for k in ([\w ]+); do", step)
    assert typed is not None
    asked = set(typed[1].split())
    shared = {key.key for key in SECRET_KEYS if key.shared}
    assert asked == {key.key for key in SECRET_KEYS} - shared
    assert all(f"--stack $s {key} < ~/.config/tenantguard/" in step for key in shared)


def test_the_ci_project_gets_every_secret_its_program_reads_on_a_passphrase_backend() -> None:
    declared = yaml.safe_load((runbooks.ROOT / "ci" / "Pulumi.yaml").read_text())["config"]
    step = " ".join(runbooks.commands(PAGE, "5. Create the CI project's stack and its config"))
    apps = re.search(r"for a in ([\w ]+); do", step)
    assert apps is not None
    app_keys = {f"{app}AppKey" for app in apps[1].split()}
    assert app_keys == {key for key, spec in declared.items() if spec.get("secret")}
    for path in ("passphrases", "vercelTokens"):
        assert f'--path "{path}.$s"' in step


def test_production_s_deploy_reads_the_ci_stack_before_the_production_passphrase_applies() -> None:
    # Bash expands a simple command's assignments left to right, each `$(...)` seeing the ones before it: the CI
    # config must be read while the CI passphrase (exported in step 5) is still the one in the environment.
    (line,) = runbooks.commands(PAGE, "7. Deploy production by hand, once")
    words = shlex.split(line)
    assignments = [word.split("=", 1)[0] for word in words[: words.index("pulumi")]]
    assert assignments.index("VERCEL_API_TOKEN") < assignments.index("PULUMI_CONFIG_PASSPHRASE_FILE")
    step5 = " ".join(runbooks.commands(PAGE, "5. Create the CI project's stack and its config"))
    assert "export PULUMI_CONFIG_PASSPHRASE_FILE=~/.config/tenantguard/ci.passphrase" in step5
