"""What the CI project's policy documents allow, computed from the JSON it sends: who can assume each role
(iam_analysis.py), what each role can do, and the IAM linter's findings with their documented allow-list (lint.py)."""
