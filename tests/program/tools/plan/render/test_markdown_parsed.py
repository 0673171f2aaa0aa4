"""The plan's Markdown as GFM's and Mermaid's own parsers read it (parsed.py: micromark with GFM, Mermaid 11 under
jsdom), with names at the edge of what validation accepts, as printed for the job summary and as
tools/preview_comments.py quotes it in the comment.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.program.tools.plan.harness import baseline, edit, plan_of, run
from tests.program.tools.plan.render.parsed import parsed
from tools.plan.model import StackPlan, matrix
from tools.plan.render.escape import WORD_JOINER, markdown_code, markdown_text, mermaid_label, visible
from tools.plan.render.markdown import as_markdown
from tools.preview_comments import quoted

pytestmark = pytest.mark.slow  # Node.js runs the parsers: about two seconds, the first install about ten

ELEMENTS = {"blockquote", "code", "h2", "h3", "li", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr"}
ELEMENTS |= {"ul"}
"""All the plan's Markdown may turn into: no link, image, script or other HTML from a value."""

# What validation lets through (infra/config/rules): stack names Pulumi accepts, git branch names, repository and
# environment names GitHub accepts, extra secret names; Mermaid's keywords, quotes, entity codes and markup among them.
BRANCH_BEFORE = 'www.evil.example/a"]-->x["#quot;|`<b>`&amp;@platform-ops+ops@evil.example'
BRANCH_AFTER = 'feat|x"`<script>alert(1)</script>]@security-team&#quot;;%%{init}%%\u202eevil'
LONG_REPOSITORY = "r" * 100
EXTRA = "Z" * 100
STACKS = ("end", "classDef", "s" * 100)


def hostile() -> tuple[list[StackPlan], list[StackPlan]]:
    before = [
        plan_of("end", environment="e" * 255, branch=BRANCH_BEFORE, repositories=("tenantguard", LONG_REPOSITORY)),
        plan_of("classDef", environment="style", repositories=("..", "a.b_c-d")),
        plan_of("s" * 100, environment="subgraph"),
    ]
    after = [
        plan_of("end", environment="e" * 255, branch=BRANCH_AFTER, repositories=("tenantguard",)),
        plan_of("classDef", environment="style", repositories=("..", "a.b_c-d"), extra=(EXTRA,)),
        plan_of("s" * 100, environment="subgraph"),
    ]
    return before, after


def shown(text: str) -> str:
    """A value as a reader sees it: invisible characters named, the word joiner that stops mentions dropped."""
    return visible(text)


def test_hostile_names_read_as_themselves_in_the_tables_and_the_picture() -> None:
    before, after = hostile()
    text = as_markdown(after, [], baseline(before))
    summary, comment = parsed([text, quoted(text)])  # one Node.js run: each start costs about a second
    assert comment["tables"] == summary["tables"]
    assert comment["diagrams"] == summary["diagrams"]
    assert set(comment["tags"]) - set(summary["tags"]) == {"blockquote"}
    document = summary
    assert set(document["tags"]) <= ELEMENTS
    assert document["links"] == []
    cells = [[cell.replace(WORD_JOINER, "") for cell in row] for row in document["tables"][0]]
    head = matrix(after)
    assert cells[0] == ["secret", *STACKS]
    assert cells[1:] == [[name, *(shown(row[s]) for s in STACKS)] for name, row in head.items()]
    stacks_table = [[cell.replace(WORD_JOINER, "") for cell in row] for row in document["tables"][1]]
    assert all(len(row) == 6 for row in stacks_table)
    assert [row[3] for row in stacks_table[1:]] == [
        "tenantguard/tenantguard",
        "tenantguard/.., tenantguard/a.b_c-d",
        "tenantguard/tenantguard, tenantguard/tenantguard-worker",
    ]

    (diagram,) = document["diagrams"]
    assert diagram["ok"], diagram.get("error")
    # The unchanged stack is not drawn; each drawn one is a subgraph of its own, titled with its exact name.
    assert [(s["id"], s["title"]) for s in diagram["subgraphs"]] == [("g1", "classDef"), ("g0", "end")]
    labels = {node: about["label"] for node, about in diagram["nodes"].items()}
    ends = sorted(labels[n] for n in next(s for s in diagram["subgraphs"] if s["id"] == "g0")["nodes"])
    assert ends == sorted(
        [
            "CI_DB_URL",
            "DATABASE_URL",
            "REDIS_URL",
            "VERCEL_TOKEN",
            f"GitHub environment {'e' * 255}",
            f"Vercel preview @ {shown(BRANCH_AFTER)} (new)",
            f"Vercel preview @ {BRANCH_BEFORE} (removed)",
            "tenantguard/tenantguard",
            f"tenantguard/{LONG_REPOSITORY} (removed)",
        ]
    )
    class_defs = sorted(labels[n] for n in next(s for s in diagram["subgraphs"] if s["id"] == "g1")["nodes"])
    assert f"{EXTRA} (new)" in class_defs
    assert "GitHub environment style" in class_defs
    assert {"tenantguard/..", "tenantguard/a.b_c-d"} <= set(class_defs)
    marked = {labels[node]: about["classes"] for node, about in diagram["nodes"].items() if about["classes"]}
    assert marked == {
        f"Vercel preview @ {shown(BRANCH_AFTER)} (new)": ["added"],
        f"Vercel preview @ {BRANCH_BEFORE} (removed)": ["removed"],
        f"tenantguard/{LONG_REPOSITORY} (removed)": ["removed"],
        f"{EXTRA} (new)": ["added"],
    }
    for edge in diagram["edges"]:
        change = edge["label"]
        assert change in ("", "added", "removed")
        assert ("stroke:#cf222e" in edge["style"]) == (change == "removed")
        assert ("stroke:#1a7f37" in edge["style"]) == (change == "added")
        assert (edge["stroke"] == "dotted") == (change == "removed")
    removed = {(labels[e["start"]], labels[e["end"]]) for e in diagram["edges"] if e["label"] == "removed"}
    assert (f"GitHub environment {'e' * 255}", f"tenantguard/{LONG_REPOSITORY} (removed)") in removed


@pytest.mark.stack_files
def test_the_plan_of_a_change_parses_as_gfm_and_mermaid(repository: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(repository, "staging", repositories=["tenantguard"], vercelGitBranch='st|a"g`i<n>g]')
    status, text = run(capsys, "--dir", str(repository), "--base", "HEAD", "--markdown")
    assert status == 0
    for document in parsed([text, quoted(text)]):
        assert set(document["tags"]) <= ELEMENTS
        rows = [[cell.replace(WORD_JOINER, "") for cell in row] for row in document["tables"][0]]
        database_url = next(row for row in rows if row[0] == "DATABASE_URL")
        assert database_url == ["DATABASE_URL", "vercel:preview", 'vercel:preview@st|a"g`i<n>g]', "vercel:production"]
        (diagram,) = document["diagrams"]
        assert diagram["ok"], diagram.get("error")
        labels = {about["label"] for about in diagram["nodes"].values()}
        assert {"tenantguard/tenantguard-worker (removed)", 'Vercel preview @ st|a"g`i<n>g] (new)'} <= labels


TRICKY = [
    *(chr(c) for c in range(0x21, 0x7F)),
    *("`" * n for n in (2, 3, 4)),
    "a\\",
    "\\|",
    "x | y",
    "&lt;",
    "&#60;",
    "#quot;",
    "#35;",
    "%%{init}%%",
    "www.evil.example",
    "ops@evil.example",
    "@security-team",
    "<script>alert(1)</script>",
    "<!-- x -->",
    "]]>",
    "-->",
    "*_~x~_*",
    "$x$",
    ":tada:",
    "[x](https://evil.example)",
    "![x](y)",
    "~~~",
    "```",
    "end",
    "style x:#f00;",
    "classDef x fill:#f00;",
    "a\u202eb",
    "a\u200bb",
    "a\u0000b",
    "a\nb",
    "caf\u00e9",
]
"""Every printable ASCII character alone, and sequences that mean something to GFM, GitHub or Mermaid."""


def test_every_tricky_value_reads_as_itself_in_a_cell_a_list_and_a_label() -> None:
    rows = [f"| {markdown_code(value)} | {markdown_text(value)} |" for value in TRICKY]
    items = [f"- {markdown_text(value)}" for value in TRICKY]
    labels = [f'    n{index}["{mermaid_label(value)}"]' for index, value in enumerate(TRICKY)]
    document = "\n".join(
        ["| code | text |", "|---|---|", *rows, "", *items, "", "```mermaid", "flowchart LR", *labels, "```"]
    )
    (read,) = parsed([document])
    assert set(read["tags"]) <= ELEMENTS
    assert read["links"] == []
    (table,) = read["tables"]
    assert [[cell.replace(WORD_JOINER, "") for cell in row] for row in table[1:]] == [
        [visible(value), visible(value)] for value in TRICKY
    ]
    (diagram,) = read["diagrams"]
    assert diagram["ok"], diagram.get("error")
    assert [diagram["nodes"][f"n{index}"]["label"] for index in range(len(TRICKY))] == [visible(v) for v in TRICKY]
