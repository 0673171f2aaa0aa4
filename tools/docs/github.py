"""docs/reference/github-plans.md and github-permissions.md: what each GitHub plan and repository visibility gives
(infra/tables/github_plans.py), and the permissions of the GitHub Apps' tokens (infra/tables/github_permissions.py)."""

from __future__ import annotations

import ast
import inspect
import itertools
import re
from dataclasses import fields
from pathlib import Path

from infra.tables import github_permissions, github_plans
from infra.tables.github_permissions import CALLS, Permission, read_token_permissions, write_token_permissions
from infra.tables.github_plans import CAPABILITIES, PLANS, VISIBILITIES, Capabilities
from tools.ci_layout import READ_APP_KEY, WRITE_APP_KEY, environment_names, token_inputs
from tools.docs.markdown import Page, code, codes, fenced, prose, table

PLANS_SOURCE = "infra/tables/github_plans.py"
PERMISSIONS_SOURCE = "infra/tables/github_permissions.py"


def field_docs(cls: type) -> dict[str, str]:
    """The docstring under each field of a dataclass, read from its source."""
    tree = ast.parse(inspect.getsource(cls))
    found: dict[str, str] = {}
    body = tree.body[0].body if isinstance(tree.body[0], ast.ClassDef) else []
    for field, following in itertools.pairwise(body):
        if (
            isinstance(field, ast.AnnAssign)
            and isinstance(field.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            found[field.target.id] = inspect.cleandoc(following.value.value)
    return found


def _mark(caps: Capabilities | None, name: str) -> str:
    if caps is None:
        return "no such repository"
    return "yes" if getattr(caps, name) else "no"


def plans_body(root: Path) -> str:
    names = [field.name for field in fields(Capabilities)]
    rows = [
        (plan, visibility, *(_mark(CAPABILITIES[(plan, visibility)], name) for name in names))
        for visibility in VISIBILITIES
        for plan in PLANS
    ]
    docs = field_docs(Capabilities)
    meaning = "\n".join(f"- {code(name)}: {prose(' '.join(docs.get(name, '').split()))}" for name in names)
    cited = inspect.getdoc(github_plans) or ""
    quote = "\n".join(f"> {line}" if line.strip() else ">" for line in cited.splitlines())
    return (
        "What GitHub gives a repository's environments and branches, by its owner's plan (config key "
        f"{code(github_plans.PLAN_KEY)}) and the repository's visibility ({code(github_plans.VISIBILITY_KEY)}). The "
        "program, the offline plan and the CI project's layout all read this one table.\n\n"
        + table(("plan", "visibility", *names), rows)
        + f"\nWhat each column means, and where GitHub says so:\n\n{meaning}\n\n"
        + f"The table's own account of its sources ({PLANS_SOURCE}):\n\n{quote}\n"
    )


def _permissions(permissions: list[Permission]) -> str:
    return "; ".join(str(permission) for permission in permissions)


def permissions_table() -> str:
    """The GitHub Apps' permissions, from the calls the program makes (each job's token is narrowed to them)."""
    previews, deploys, drift = environment_names("<stack>")
    rows = [
        (f"read App ({code(READ_APP_KEY)})", codes((previews, drift)), _permissions(read_token_permissions())),
        (f"write App ({code(WRITE_APP_KEY)})", code(deploys), _permissions(write_token_permissions())),
    ]
    return table(("GitHub App (its key's secret)", "held by", "permissions (the App's, and each job's token)"), rows)


def _inputs(writes: bool) -> list[str]:
    return [f"{name}: {access}" for name, access in token_inputs(writes=writes).items()]


def _calls() -> str:
    rows = []
    for call in CALLS:
        reads = "; ".join(f"{code(endpoint)} ({permission})" for endpoint, permission in call.reads)
        writes = "; ".join(f"{code(endpoint)} ({permission})" for endpoint, permission in call.writes)
        rows.append((code(call.token), reads, writes))
    return table(("invoke or resource type", "reads", "writes"), rows)


def permissions_body(root: Path) -> str:
    # The docstring's second paragraph, one line; a path broken after its `/` is joined again.
    cited = re.sub(r"/\s+", "/", " ".join((inspect.getdoc(github_permissions) or "").split("\n\n")[1].split()))
    return "\n".join(
        [
            "No GitHub token is stored: each job mints an installation token of a GitHub App from the App's key, "
            "narrowed to what the program's calls need (the read App's on the app repositories for previews and "
            "drift checks, the write App's for deploys). Install each App with the permissions below on the app "
            "repositories and their organization.\n",
            permissions_table(),
            "The `with:` inputs of actions/create-github-app-token that narrow each job's token (tools/ci_layout.py "
            "`token_inputs`):\n",
            "Read App (previews, drift checks):\n",
            fenced("yaml", _inputs(writes=False)),
            "Write App (deploys):\n",
            fenced("yaml", _inputs(writes=True)),
            f"## Each call and what it needs\n\n{prose(cited)}\n",
            _calls(),
        ]
    )


PLANS_PAGE = Page(
    "docs/reference/github-plans.md",
    "GitHub plans and visibility",
    "what each GitHub plan and repository visibility gives: environments, reviewers, wait timers, rulesets",
    (PLANS_SOURCE,),
    plans_body,
)
PERMISSIONS_PAGE = Page(
    "docs/reference/github-permissions.md",
    "GitHub permissions",
    "the permissions of the GitHub Apps' tokens, and the call of the program each one serves",
    (PERMISSIONS_SOURCE, "tools/ci_layout.py"),
    permissions_body,
)
