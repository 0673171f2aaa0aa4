"""The CI project: a second Pulumi project (its own Pulumi.yaml) that gives the main project's stacks what their CI
needs. `config.py` reads its config, `main_project.py` reads the main project's stack files, `program.py` declares
the resources through `components/`; `iam.py` and `backend_layout.py` build the policy documents; `policy/` is its
policy pack; `checks/` analyses what it declares (who can assume each role, the IAM linter)."""
