"""One database per pull request on the server CI_DB_URL points at, cloned from a template kept at main's head, owned
by a login role of its own that is also its deployment's; CI_DB_URL's role (the manager) makes and drops them and
never runs a revision file: worker.py does, in a process holding only that pull request's role's URL.

    python -m tenantguard_db.preview_db {create --repository-id ID --pr N,drop --repository-id ID --pr N,list,
                                         prune --older-than DAYS --repository-id ID,template}

Names carry the repository's numeric GitHub id as well as the pull request's number: several app repositories
share one CI_DB_URL, and their pull-request numbers overlap.

The contract (stdout, stderr, exit codes) is in workorders/WO-ci-secrets.md#command-line-contract, the role's
privileges in workorders/WO-ci-secrets.md#one-time-sql-for-the-preview-role-an-administrator-once, and how it all
works in docs/explanation/preview-databases.md.

Each module imports only from the ones listed before it:

    status_codes, console, errors        exit codes; the stderr lines; the failures and their messages
    names, server                        the names derived from the base; the server, its URLs and pinned sessions
    metadata, isolation                  what tells ours apart (owner, grantor, comment); the worker's process
    revisions, locks                     the checkout's revisions, read and run by the worker; the locks
    databases, privileges, roles         a database as a whole; the manager's privileges; the roles this command makes
    handout, inventory                   where create hands the URL out; what list and prune find
    commands/                            create, drop, list, prune, template
    cli, __main__                        the command line
    worker                               the process the revision files run in (never imported by the above)
"""
