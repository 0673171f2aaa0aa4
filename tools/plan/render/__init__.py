"""The plan's renderers, one per audience; each reads only tools/plan/model.py.

text             a terminal: tables that fit 100 columns
json_document    machines (`--json`): what the workflows and the `--base` comparison read
markdown         a pull request's comment or job summary: the matrix, its changes, a Mermaid picture
"""
