"""Writes every generated document: the reference pages under docs/reference/, and the generated blocks of the work
order and of each stack file's header.

    python -m tools.docs            # rewrite them
    python -m tools.docs --check    # exit 1, naming each stale file, when one differs (the tests run it)

Each page is made from the one source that defines what it says (Pulumi.yaml, the tables of infra/tables/, the
workflows, tools/ci_layout.py, the commands' own parsers) and opens with a comment naming those sources, so a change
there reaches every document by running this command, never by hand.

    markdown         a page (its header, the index entry) and the Markdown it is written in
    blocks           generated blocks inside hand-written files
    config           docs/reference/config.md
    workflows        docs/reference/workflows.md
    ci_environments  docs/reference/ci-environments.md
    github           docs/reference/github-plans.md and github-permissions.md
    commands         docs/reference/commands.md
    index            docs/reference/README.md
    cli              the command line; __main__ runs it
"""

from tools.docs.cli import main

__all__ = ["main"]
