"""The how-to runbooks (docs/how-to/) run as written: their pulumi config lines applied to the real program."""
