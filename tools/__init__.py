"""Tools that evaluate the program offline: the evaluator under mocks, the plan, staging copies, generated docs."""
