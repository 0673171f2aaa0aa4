"""The shadow-secret check's config: legacy credential names, and the copies acknowledged while a team migrates."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from infra.guard.shadow_secrets import LEVELS, normalized
from infra.tables.how_to import REMOVE_LLM_KEY
from infra.tables.routes import secret_name_problem


def legacy_name_problems(key: str, legacy: Sequence[str], managed: Collection[str]) -> list[str]:
    """Problems of the legacy-name list: invalid or repeated names, or names this stack manages."""
    problems: list[str] = []
    managed_upper = {name.upper() for name in managed}
    seen: set[str] = set()
    for name in legacy:
        if (problem := secret_name_problem(name)) is not None:
            problems.append(f"{key}: {problem}")
        elif name.upper() in managed_upper:
            problems.append(f"{key}: {name!r} is a secret this stack manages; a name cannot be both managed and legacy")
        elif name.upper() in seen:
            problems.append(f"{key}: {name!r} is listed twice (GitHub secret names ignore case)")
        seen.add(name.upper())
    return problems


def acknowledgement_problems(
    key: str, acknowledged: Mapping[str, str], repositories: Sequence[str], managed: Collection[str]
) -> list[str]:
    """Problems of the acknowledgement map: each key is `REPOSITORY/LEVEL/NAME` of this stack and has a reason."""
    problems: list[str] = []
    managed_upper = {name.upper() for name in managed}
    seen: set[str] = set()
    for entry, reason in acknowledged.items():
        where = f"{key}[{entry!r}]"
        parts = entry.split("/")
        if len(parts) != 3:
            example = f"{repositories[0] if repositories else 'REPOSITORY'}/repository/DB_URL"
            problems.append(f"{where}: expected REPOSITORY/LEVEL/NAME, for example {example!r}")
            continue
        repository, level, name = parts
        if repository not in repositories:
            problems.append(f"{where}: {repository!r} is not a repository of this stack ({', '.join(repositories)})")
        if level not in LEVELS:
            problems.append(f"{where}: level {level!r} is not one of {', '.join(LEVELS)}")
        if (problem := secret_name_problem(name)) is not None:
            problems.append(f"{where}: {problem}")
        elif level == "environment" and name.upper() in managed_upper:
            problems.append(
                f"{where}: {name} is this stack's own environment secret; there is nothing to acknowledge (an "
                f"extraSecrets key is acknowledged in the change that removes it: {REMOVE_LLM_KEY})"
            )
        if normalized(entry) in seen:
            problems.append(f"{where}: acknowledged twice (GitHub secret names ignore case)")
        seen.add(normalized(entry))
        if not reason.strip():
            problems.append(f"{where}: needs a reason (why this copy has to stay for now)")
    return problems
