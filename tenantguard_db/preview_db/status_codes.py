"""The command's exit codes, as workorders/WO-ci-secrets.md#command-line-contract promises them."""

EXIT_OK = 0  # done, including nothing to do
EXIT_FAILED = 1  # a database or environment problem
EXIT_USAGE = 2  # bad input: nothing was changed
EXIT_REVISIONS_FAILED = 3  # a revision failed, or its file does not load
