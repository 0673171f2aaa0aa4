"""tools/plan/render/markdown.py: the matrix, each stack's changes and repositories, a Mermaid picture of what changed.

Most tests build the plans by hand (no program runs); the last ones run the whole plan against a base commit.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.program.tools.plan.harness import baseline, edit, plan_of, run
from tools.plan.model import StackPlan
from tools.plan.render.markdown import as_markdown


def mermaid_lines(text: str) -> list[str]:
    return text.split("```mermaid\n", 1)[1].split("\n```", 1)[0].splitlines()


def node_ids(text: str) -> dict[str, str]:
    """Node id -> its label as written, from the Mermaid block."""
    return dict(re.findall(r'^    ([a-z0-9]+)\["(.*)"\]$', "\n".join(mermaid_lines(text)), re.MULTILINE))


def styled(text: str, kind: str) -> set[str]:
    """Ids of the nodes a `class ... <kind>` line marks."""
    return {i for line in mermaid_lines(text) if line.endswith(f" {kind}") for i in line.split()[1].split(",")}


def test_a_removed_repository_is_a_change_named_under_its_stack() -> None:
    before = [plan_of("preview"), plan_of("staging")]
    after = [plan_of("preview"), plan_of("staging", repositories=("tenantguard",))]
    text = as_markdown(after, [], baseline(before))
    changes = text.split("### Changes against the base branch", 1)[1].split("```mermaid", 1)[0]
    assert "- `staging`, in `tenantguard/tenantguard`:" in changes
    assert (
        "  - repository `tenantguard/tenantguard-worker` **removed**: `pulumi up` deletes environment `staging` "
        "there and its secrets"
    ) in changes
    assert "Unchanged: `preview`." in changes
    assert "Nothing changes" not in text
    labels = node_ids(text)
    removed = styled(text, "removed")
    assert [labels[i] for i in removed] == ["tenantguard/tenantguard-worker #40;removed#41;"]
    assert "    g0p0 -.->|removed| g0r1" in mermaid_lines(text)  # only staging is drawn


def test_a_protected_stack_losing_a_repository_says_the_update_stops() -> None:
    before, after = plan_of("production"), plan_of("production", repositories=("tenantguard",))
    after.protected = True
    text = as_markdown([after], [], baseline([before]))
    assert "**removed**: its environment is protected, so `pulumi up` stops until it is unprotected" in text


def test_an_added_repository_is_a_change() -> None:
    before = [plan_of("staging", repositories=("tenantguard",))]
    text = as_markdown([plan_of("staging")], [], baseline(before))
    assert "  - repository `tenantguard/tenantguard-worker` **added**: environment `staging` and its secrets" in text


def test_every_stack_names_its_repositories() -> None:
    text = as_markdown([plan_of("preview"), plan_of("staging", repositories=("tenantguard",))], [], None)
    assert "| `staging` | staging | `staging` | `tenantguard/tenantguard` |" in text
    assert "| `preview` | staging | `preview` | `tenantguard/tenantguard`, `tenantguard/tenantguard-worker` |" in text


def test_a_place_that_only_gains_a_secret_is_not_marked_but_a_new_secret_is() -> None:
    before = [plan_of("staging")]
    text = as_markdown([plan_of("staging", extra=("OPENAI_API_KEY",))], [], baseline(before))
    labels = node_ids(text)
    assert {labels[i] for i in styled(text, "added")} == {"OPENAI_API_KEY #40;new#41;"}
    assert not styled(text, "removed")
    assert "  - `OPENAI_API_KEY` (new secret) **added**: `gh:staging` + `vercel:preview`" in text
    lines = mermaid_lines(text)
    added = [line for line in lines if "==>|added|" in line]
    assert len(added) == 2  # its GitHub environment and its Vercel target
    assert not any("-.->" in line for line in lines)


def test_edges_are_coloured_by_change_and_removed_ones_stay_legible() -> None:
    before = [plan_of("staging", branch="staging")]
    text = as_markdown([plan_of("staging", branch="release")], [], baseline(before))
    lines = mermaid_lines(text)
    edges = [line for line in lines if re.match(r"    g\d+[spr]\d+ (-->|==>|-\.->)", line)]
    removed = [str(i) for i, line in enumerate(edges) if "-.->|removed|" in line]
    added = [str(i) for i, line in enumerate(edges) if "==>|added|" in line]
    assert removed
    assert added
    assert (
        f"  linkStyle {','.join(removed)} stroke:#cf222e,stroke-width:3px,stroke-dasharray:8 5,color:#cf222e" in lines
    )
    assert f"  linkStyle {','.join(added)} stroke:#1a7f37,stroke-width:3px,color:#1a7f37" in lines


def test_stacks_whose_names_differ_only_in_punctuation_get_nodes_of_their_own() -> None:
    before = [plan_of("staging-next"), plan_of("staging_next")]
    after = [plan_of("staging-next", extra=("OPENAI_API_KEY",)), plan_of("staging_next", extra=("OPENAI_API_KEY",))]
    text = as_markdown(after, [], baseline(before))
    lines = mermaid_lines(text)
    ids = re.findall(r'^    ([a-z0-9]+)\["', "\n".join(lines), re.MULTILINE)
    assert len(ids) == len(set(ids))
    titles = re.findall(r'^  subgraph (g\d+)\["(.*)"\]$', "\n".join(lines), re.MULTILINE)
    assert sorted(title for _, title in titles) == ["staging-next", "staging_next"]
    assert not styled(text, "removed")
    assert not any("-.->" in line for line in lines)


def test_a_new_stack_and_a_removed_stack_file_are_changes() -> None:
    before = [plan_of("staging"), plan_of("qa")]
    text = as_markdown([plan_of("staging"), plan_of("staging-eu")], [], baseline(before))
    assert "- `staging-eu`, **new stack**, in `tenantguard/tenantguard`, `tenantguard/tenantguard-worker`:" in text
    assert (
        "- `qa`, **stack file removed**, was in `tenantguard/tenantguard`, `tenantguard/tenantguard-worker`: no "
        "workflow deploys it any more"
    ) in text
    assert 'subgraph g0["staging-eu #40;new stack#41;"]' in text
    assert 'subgraph g1["qa #40;stack file removed#41;"]' in text


def test_nothing_changed_draws_nothing_and_says_so() -> None:
    plans = [plan_of("preview"), plan_of("staging")]
    text = as_markdown(plans, [], baseline(plans))
    assert "Nothing changes: no secret moves, and every stack keeps its repositories." in text
    assert "```mermaid" not in text


def test_an_invalid_stack_is_not_drawn_as_removed() -> None:
    before = [plan_of("staging")]
    broken = StackPlan("staging", errors=["tenantguard-infra:tier must be one of preview, staging, production"])
    text = as_markdown([broken], [], baseline(before))
    assert "- `staging`: not valid in this branch, so what changes cannot be said (Problems below)" in text
    assert "```mermaid" not in text


HOSTILE_BRANCH = 'feat|x"`<script>alert(1)</script>]@security-team&#quot;;%%{init}%%'


def test_values_are_escaped_for_each_place_they_are_written() -> None:
    before = [plan_of("staging", branch="staging")]
    text = as_markdown([plan_of("staging", branch=HOSTILE_BRANCH)], [], baseline(before))
    assert "<" not in text  # the comment's quoting turns each into &lt;, and the job summary would read it as HTML
    table_rows = [line for line in text.splitlines() if line.startswith("| `REDIS_URL` |")]
    assert len(table_rows) == 1
    assert len(re.findall(r"(?<!\\)\|", table_rows[0])) == 3  # two cells: no pipe of the value splits the row
    assert "@\u2060security-team" in text  # no mention of a team in every push's comment
    for label in node_ids(text).values():
        assert re.fullmatch(r"[A-Za-z0-9 _./#;-]*", label), label


@pytest.mark.slow  # runs the whole plan: every stack's program, 0.1-1 s
@pytest.mark.stack_files
def test_the_plan_of_a_change_names_what_it_moves_and_the_repository_it_drops(
    repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(repository, "preview", extraSecrets={"OPENAI_API_KEY": {"secure": "v1:AAAA"}})
    edit(repository, "staging", repositories=["tenantguard"])
    status, text = run(capsys, "--dir", str(repository), "--base", "HEAD", "--markdown")
    assert status == 0
    assert "| `CI_DB_URL` | `gh:preview` | `gh:staging` | `gh:production` |" in text
    assert "  - `OPENAI_API_KEY` (new secret) **added**: `gh:preview` + `vercel:preview`" in text
    assert "  - repository `tenantguard/tenantguard-worker` **removed**: `pulumi up` deletes environment" in text
    assert "Unchanged: `production`." in text
    assert 'subgraph g0["preview"]' in text
    assert 'subgraph g1["staging"]' in text
    status, plain = run(capsys, "--dir", str(repository), "--base", "HEAD")
    assert "  - repository tenantguard/tenantguard-worker in staging" in plain


@pytest.mark.slow
@pytest.mark.stack_files
def test_the_plan_of_no_change_draws_nothing(repository: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, text = run(capsys, "--dir", str(repository), "--base", "HEAD", "--markdown")
    assert status == 0
    assert "Nothing changes: no secret moves, and every stack keeps its repositories." in text
    assert "```mermaid" not in text


def test_a_picture_mermaid_would_refuse_is_left_out_and_the_changes_stay() -> None:
    before = [plan_of(f"qa-{n:03d}") for n in range(60)]
    text = as_markdown([plan_of(f"qa-{n:03d}", branch="next") for n in range(60)], [], baseline(before))
    assert "```mermaid" not in text
    assert "(No picture: it would have 540 edges" in text
    assert "  - `DATABASE_URL` **moved**: `vercel:preview` → `vercel:preview@next`" in text
