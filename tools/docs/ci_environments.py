"""docs/reference/ci-environments.md: per stack file, the environments of this repository the CI project makes for its
jobs (tools/ci_layout.py), with their branch rule, reviewers, secrets, variables and the IAM role each assumes."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import yaml

from ci.iam import ROLE_PATH, StateAccess, role_name, role_policy, subject
from ci.main_project import MAIN_PROJECT, Environment, MainStack, main_stacks, plan_of
from tools import evaluator
from tools.docs.markdown import Page, code, codes, table

CI_PROJECT = "ci/Pulumi.yaml"
CI_STACK = "ci/Pulumi.ci.yaml"


def ci_settings(root: Path) -> dict[str, Any]:
    """The CI project's plain config as its stack file sets it, the rest as ci/Pulumi.yaml defaults it."""
    declared = yaml.safe_load((root / CI_PROJECT).read_text())
    project = str(declared["name"])
    values = {key: spec["default"] for key, spec in declared["config"].items() if "default" in spec}
    stack = yaml.safe_load((root / CI_STACK).read_text()) or {}
    for key, item in (stack.get("config") or {}).items():
        if str(key).startswith(f"{project}:"):
            values[str(key).split(":", 1)[1]] = item
    return values


def _purpose(environment: Environment) -> str:
    if environment.writes:
        return "`pulumi up` on main"
    if environment.branches:
        return "the daily drift check"
    return "`pulumi preview` of a pull request"


def _reviewers(environment: Environment, stack: MainStack) -> str:
    if environment.reviewers:
        return f"{codes(stack.reviewer_teams)} (reviewerTeams); no self-review"
    return "none"


def _role(environment: Environment, repository: str) -> str:
    if not any(name == "PULUMI_BACKEND_ROLE" for name in environment.variables):
        return "none (no AWS)"
    trusted = subject(repository, environment.name)
    return f"{code(ROLE_PATH + role_name(environment.name))}, assumed only by {code(trusted)}"


def _policy(environment: Environment, stack: MainStack, bucket: str) -> list[str]:
    access = StateAccess(
        bucket=bucket,
        project=MAIN_PROJECT,
        stack=stack.name,
        writes=environment.writes,
        also_reads=(stack.reads_stack,) if stack.reads_stack else (),
        key_arns=(f"the key of {stack.kms_alias}",) if stack.kms_alias else (),
    )
    lines = []
    for statement in cast(list[Mapping[str, Any]], role_policy(access)["Statement"]):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        # The bucket is named once, above; each object by its key.
        resources = [str(resource).removeprefix(f"arn:aws:s3:::{bucket}/") for resource in resources]
        condition = ""
        if "Condition" in statement:
            prefixes = statement["Condition"]["StringEquals"]["s3:prefix"]
            condition = f", prefixes {codes(prefixes)}"
        lines.append(f"  - {code(statement['Sid'])}: {codes(actions)} on {codes(resources)}{condition}")
    return lines


def stack_section(stack: MainStack, repository: str, bucket: str) -> str:
    rows = [
        (
            code(environment.name),
            _purpose(environment),
            f"{codes(environment.branches)} only" if environment.branches else "any branch",
            _reviewers(environment, stack),
            "admins included" if environment.protection_rules else "GitHub's default (admins may bypass)",
            codes(environment.secrets),
            codes(environment.variables),
        )
        for environment in stack.environments
    ]
    headers = ("environment", "runs", "branches", "reviewers", "rules bind", "secrets", "variables")
    lines = [
        f"## {stack.name}",
        "",
        f"Tier {code(stack.tier)}; {evaluator.stack_file(stack.name, Path()).name}. {stack.summary[0].upper()}"
        f"{stack.summary[1:]}.",
        "",
        table(headers, rows),
    ]
    roles = []
    for environment in stack.environments:
        roles.append(f"- {code(environment.name)}: {_role(environment, repository)}")
        if "PULUMI_BACKEND_ROLE" in environment.variables and bucket:
            roles += _policy(environment, stack, bucket)
    where = f" (objects of the state bucket {code(bucket)} by key)" if bucket else ""
    lines += [f"IAM roles (ci/iam.py) and what each may do{where}:", "", *roles, ""]
    return "\n".join(lines)


def body(root: Path) -> str:
    settings = ci_settings(root)
    repository = str(settings["repository"])
    visibility = str(settings["repositoryVisibility"])
    owner = repository.split("/", 1)[0]
    plan = str(settings.get("githubPlan") or "")
    plan_source = f"{CI_STACK}'s githubPlan"
    if not plan:
        plan = str(plan_of(owner, root) or "")
        plan_source = f"the githubPlan the stack files give {owner}"
    backend = str(settings["backend"])
    bucket = str(settings.get("stateBucket") or "") if backend == "s3" else ""
    stacks = main_stacks(
        repository,
        visibility,
        cast(Any, plan or None),
        backend=backend,
        region=str(settings["awsRegion"]),
        directory=root,
    )
    intro = (
        f"The GitHub environments of {code(repository)} that the CI project makes for each stack file: every job "
        "that runs Pulumi holds one stack's credentials only. Which environments exist and what gates them is "
        "tools/ci_layout.py's decision for the repository's plan and visibility, here GitHub "
        f"{code(plan or 'unknown')} ({plan_source}) and {code(visibility)} with backend {code(backend)} ({CI_STACK} "
        "and the defaults of ci/Pulumi.yaml). The CI project (ci/program.py) creates them with these secrets and "
        "variables, and a role per environment whose trust admits that environment's jobs alone. Each job mints its "
        "GitHub token from the App key its environment holds, narrowed to the calls the program makes "
        "([GitHub permissions](github-permissions.md)).\n"
    )
    return intro + "\n" + "\n".join(stack_section(stack, repository, bucket) for stack in stacks)


PAGE = Page(
    "docs/reference/ci-environments.md",
    "CI environments",
    "per stack file, this repository's CI environments: branch rule, reviewers, secrets, variables, IAM role",
    ("Pulumi.*.yaml", CI_PROJECT, CI_STACK, "tools/ci_layout.py", "ci/iam.py"),
    body,
)
