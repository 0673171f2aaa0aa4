"""Tools that evaluate the program offline: the evaluator under mocks, the plan, staging copies, generated docs;
and the ops tools the runbooks run (lost_passphrase: a stack back under a new passphrase)."""
