"""What a value is, where it lands: no credential where it can be read back, and real values where secrets go."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from infra.tables.type_tokens import VERCEL_VARIABLE
from policy.catalog import Kind, kind_of, named_entries
from policy.credentials import findings, named_value
from policy.names import Names
from policy.placement import names_of_the_stack
from policy.walk import Path, describe, field, pairs, strings, under

SEALED_BOX_OVERHEAD = 48
"""libsodium's crypto_box_SEALBYTES: the sender's 32-byte public key and a 16-byte MAC, before the message."""


def _hidden(kind: Kind | None, props: Any) -> list[tuple[str | int, ...]]:
    """Paths where a secret is in its place (or nothing is a value): not plaintext."""
    if kind is None:
        return []
    hidden: list[tuple[str | int, ...]] = [(key,) for key in kind.skip]
    hidden += kind.secret_paths
    for entry in named_entries(kind, props):
        if entry.secret:
            hidden += entry.values
    return hidden


def plaintext(kind: Kind | None, props: Any) -> Iterator[tuple[Path, str]]:
    """Every known string of a resource's inputs that lands where it can be read."""
    hidden = _hidden(kind, props)
    for path, text in strings(props):
        if not any(under(path, prefix) for prefix in hidden):
            yield path, text


def _named_pairs(kind: Kind | None, props: Any, names: Names) -> Iterator[tuple[Path, str]]:
    """Data below the inputs that gives a credential's name a value (an env map, JSON); named slots excepted."""
    slots = [(str(slot.entries),) for slot in kind.named if slot.entries] if kind else []
    hidden = _hidden(kind, props) + slots
    for path, value in pairs(props):
        if len(path) < 2 or any(under(path, prefix) for prefix in hidden):  # top-level keys are the inputs' names
            continue
        if (what := named_value(str(path[-1]), value, names.credential)) is not None:
            yield path[:-1], what


def no_credential_in_plaintext(args: ResourceValidationArgs, report: ReportViolation) -> None:
    names = names_of_the_stack()
    kind = kind_of(args.resource_type)
    found: dict[str, list[str]] = {}
    for path, text in plaintext(kind, args.props):
        for what in findings(text, names.credential):
            found.setdefault(what, []).append(describe(path))
    for path, what in _named_pairs(kind, args.props, names):
        found.setdefault(what, []).append(describe(path))
    for what, where in found.items():
        report(
            f"{', '.join(dict.fromkeys(where))} holds {what}, in plaintext that anyone who can read this "
            f"{args.resource_type.rsplit(':', 1)[-1]} reads: keep it in a secret (a GitHub environment secret, a "
            "sensitive Vercel variable)",
            None,
        )


def _sealed_box(value: Any) -> bool:
    """Base64 of a libsodium sealed box holding at least one byte: what GitHub's public-key encryption yields."""
    try:
        decoded = base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(decoded) > SEALED_BOX_OVERHEAD


def secret_values_are_secret(args: ResourceValidationArgs, report: ReportViolation) -> None:
    kind = kind_of(args.resource_type)
    if kind is not None and kind.arguments is not None:
        _github_secret_arguments(kind, args, report)
    if args.resource_type == VERCEL_VARIABLE and field(args.props, "sensitive") is not True:
        report(f"Vercel variable {field(args.props, 'key')} must be sensitive=True so nobody can read it back", None)


def _github_secret_arguments(kind: Kind, args: ResourceValidationArgs, report: ReportViolation) -> None:
    arguments = kind.arguments
    assert arguments is not None
    props = args.props
    if any(field(props, key) is not None for key in arguments.deprecated):
        report(f"use {' or '.join(arguments.current)}, not the deprecated {', '.join(arguments.deprecated)}", None)
    given = [key for key in (*arguments.current, *arguments.deprecated) if field(props, key) is not None]
    if not given or all(not str(field(props, key)).strip() for key in given):
        report("the secret has no value: GitHub would store an empty secret that every job reads as unset", None)
    sealed = field(props, arguments.sealed)
    if sealed is not None and str(sealed).strip():
        if not _sealed_box(sealed):
            report(
                f"{arguments.sealed} must be the base64 of a sealed box made with the repository's public key "
                "(libsodium crypto_box_seal); this value is not one, so GitHub would store something no job can use",
                None,
            )
        if arguments.key_id is not None and not field(props, arguments.key_id):
            report(f"{arguments.sealed} needs {arguments.key_id}, the id of the public key it was sealed with", None)
