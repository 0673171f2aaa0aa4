"""The plan's renderers, one per audience; each reads only tools/plan/model.py (and the helpers here).

text             a terminal: tables that fit 100 columns
json_document    machines (`--json`): what the workflows and the `--base` comparison read
markdown         a pull request's comment or job summary: the matrix, each stack's changes, repositories included
mermaid          the Markdown's picture: one subgraph per stack, only what changed marked
escape           values written into Markdown and Mermaid labels so they read as themselves
"""
