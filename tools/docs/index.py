"""docs/reference/README.md: the index of the reference pages (the list in tools/docs/cli.py), each with what it
holds and what it is made from."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tools.docs.markdown import RUN, Page, table


def index(pages: Sequence[Page]) -> Page:
    def body(root: Path) -> str:
        rows = [(f"[{page.title}]({page.name})", page.summary, ", ".join(page.sources)) for page in pages]
        return (
            "Pages generated from the one source that defines each thing: edit the source, then run "
            f"`{RUN}`; `./scripts/check` fails while a page is stale (`{RUN} --check` names it).\n\n"
            + table(("page", "what it holds", "made from"), rows)
        )

    return Page("docs/reference/README.md", "Reference", "this index", ("tools/docs/cli.py",), body)
