"""Where a credential's name may be given a value: its one place, for a managed name; nowhere, for a legacy one."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs, StackValidationArgs

from infra.tables.type_tokens import ENVIRONMENT_SECRET, VERCEL_VARIABLE
from policy.catalog import Place, kind_of, named_entries
from policy.names import Names
from policy.stack_config import stack_names
from policy.walk import describe, field, pairs, strings

PRODUCTION = "production"


def names_of_the_stack() -> Names:
    names = stack_names()
    return Names.of(names.extras, names.legacy)


def credential_names_in_their_place(args: ResourceValidationArgs, report: ReportViolation) -> None:
    names = names_of_the_stack()
    kind = kind_of(args.resource_type)
    if kind is None:
        _names_in_another_providers_inputs(args, names, report)
        return
    for entry in named_entries(kind, args.props):
        if (problem := names.problem(entry.name, entry.place)) is not None:
            report(f"{problem} ({args.resource_type})", None)


def _names_in_another_providers_inputs(args: ResourceValidationArgs, names: Names, report: ReportViolation) -> None:
    """A type the pack does not know: any credential name in its inputs (a command, a script, an env map)."""
    found: dict[str, str] = {}
    for path, text in strings(args.props):
        for name in names.named_in(text):
            found.setdefault(name, describe(path))
    for path, _ in pairs(args.props):
        if len(path) > 1 and names.credential(str(path[-1])) is not None:
            found.setdefault(str(path[-1]), describe(path))
    for name, where in found.items():
        report(
            f"{where} names {name}, a credential's name: only the program's own GitHub environment secrets and "
            f"Vercel variables give it a value ({args.resource_type})",
            None,
        )


def delivered_names_stay_in_their_place(args: StackValidationArgs, report: ReportViolation) -> None:
    """Names this stack delivers appear in no other place of the stack, whether or not its config names them."""
    delivered: set[str] = set()
    for resource in args.resources:
        if (kind := kind_of(resource.resource_type)) is not None:
            delivered |= {e.name.upper() for e in named_entries(kind, resource.props) if e.place is not Place.ELSEWHERE}
    names = names_of_the_stack()
    for resource in args.resources:
        if (kind := kind_of(resource.resource_type)) is None:
            continue
        for entry in named_entries(kind, resource.props):
            upper = entry.name.upper()
            # What the config already names is the resource policy's to report.
            if entry.place is Place.ELSEWHERE and upper in delivered and upper not in names.managed | names.legacy:
                report(
                    f"{entry.name} is delivered by this stack as an environment secret or sensitive Vercel variable; "
                    f"another copy here ({resource.resource_type}) would be read by jobs or deployments it "
                    "was not meant for",
                    resource.urn,
                )


def one_environment_per_stack(args: StackValidationArgs, report: ReportViolation) -> None:
    """A stack's environment secrets all belong to one environment: the stack's, in any casing."""
    environments: dict[str, list[str]] = {}
    for resource in args.resources:
        if resource.resource_type == ENVIRONMENT_SECRET:
            environment = str(field(resource.props, "environment") or "").casefold()
            environments.setdefault(environment, []).append(resource.urn)
    if len(environments) > 1:
        for urns in sorted(environments.values(), key=len)[:-1]:
            for urn in urns:
                report(
                    f"this stack writes environment secrets into {len(environments)} environments; a stack's secrets "
                    "belong to its own environment only",
                    urn,
                )


def production_targets_are_exclusive(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != VERCEL_VARIABLE:
        return
    targets = list(field(args.props, "targets") or [])
    if PRODUCTION in targets and (targets != [PRODUCTION] or field(args.props, "customEnvironmentIds")):
        report(
            f"Vercel variable {field(args.props, 'key')} targets production and also {targets}: split it per target",
            None,
        )
