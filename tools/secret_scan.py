"""Fail on any detect-secrets finding in the tracked files that no audit rule explains.

    ./scripts/uv run python -m tools.secret_scan [--dir DIR]

Findings are audited by rule, not line by line: a rule names the kind of finding and what the
flagged line must look like for it not to be a secret (a Vercel identifier, an example URL whose
password is a placeholder, a constant whose value is a name or a type token). A new stack file, a
moved line or a new test passes as written when its findings fit a rule; anything else fails with
its file and line. SECRET-SCAN.md explains each rule.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXCLUDE = r"^(\.venv/|uv\.lock$)"

_VERCEL_ID = re.compile(r"(prj|team|env)_[A-Za-z0-9]{8,}")
_USERINFO_PASSWORD = re.compile(r"://[^:/@\s\"']*:([^@\s\"']*)@")
EXAMPLE_PASSWORDS = frozenset({"pass", "password", "pw", "...", "***", "placeholder"})
_LITERAL = re.compile(r"\"([^\"]*)\"|'([^']*)'")
_YAML_VALUE = re.compile(r"\s*-?\s*[\w.-]+:\s*(?P<value>[^\s#'\"]+)\s*(#.*)?")
_NOT_SECRET_LITERAL = re.compile(
    # A name: a secret's (CI_DB_URL, LLM_KEY_0001), a config key (dbFingerprintKey), a field (secret_name);
    # digits only at the end of a part, so a random token is not a name.
    r"_*[A-Z]+[0-9]*(?:_(?:[A-Z]+[0-9]*|[0-9]+))*"
    r"|_*[a-z]+[0-9]*(?:_(?:[a-z]+[0-9]*|[0-9]+))*"
    r"|[a-z]+(?:[A-Z][a-z]+)+|[A-Z][a-z]+"
    r"|[a-z0-9-]+:index/\w+:\w+"  # a Pulumi type token
    r"|__\w+__"  # a marker
    r"|[\w.-]+\.(py|md|ya?ml|toml|ini|json|txt)"  # a file name
    r"|[a-z]+(-[a-z]+)+|[A-Z]+(-[A-Z]+)+"  # a hyphenated word
    r"|(?=.*[,;:()'])(?=(?:\S+\s+){2,}).*"  # prose, with punctuation: a message or a rule text
    r"|.{0,2}"  # a one- or two-character stand-in
)


@dataclass(frozen=True)
class Rule:
    name: str
    kinds: frozenset[str]
    explains: Callable[[str], bool]
    """Whether the flagged line is one this rule knows is not a secret."""
    shape: str
    """What a flagged line must look like for the rule to explain it, as the failure message says."""
    paths: str = "*"
    """The files the rule applies to (fnmatch, `*` crossing directories)."""

    def applies(self, finding: Finding) -> bool:
        return finding.kind in self.kinds and fnmatch.fnmatch(finding.path, self.paths)


_TOKEN = re.compile(r"[A-Za-z0-9+/=_-]{16,}")


_NAME_PATH = re.compile(r"[A-Za-z_-]+(?:/[A-Za-z_-]*)+")  # tenantguard/environment/ANTHROPIC_API_KEY
_CONFIG_KEY = re.compile(r"([a-z]+(?:[A-Z][a-z]+)+)\[")  # acknowledgedSecrets["..."], a config path


def _only_identifiers(line: str) -> bool:
    """Every long token on the line (what entropy plugins flag) is a Vercel id, a name path or a config key."""
    tokens = _TOKEN.findall(line)
    mixed = [t for t in tokens if re.search(r"[A-Za-z]", t) and re.search(r"[0-9]", t)]
    if mixed:
        return all(_VERCEL_ID.fullmatch(token) for token in mixed)
    keys = set(_CONFIG_KEY.findall(line))
    return bool(tokens) and all(
        _NAME_PATH.fullmatch(token) or _VERCEL_ID.fullmatch(token) or token in keys for token in tokens
    )


def _named_fake(line: str) -> bool:
    """The value is named fabricated: FAKE in the name it is assigned to, or "fake" inside a quoted literal."""
    code = line.split(" #", 1)[0]
    name = code.split("=", 1)[0] if "=" in code else ""
    literals = [a or b for a, b in _LITERAL.findall(code)]
    return "fake" in name.casefold() or any("fake" in literal.casefold() for literal in literals)


def _example_url(line: str) -> bool:
    passwords = _USERINFO_PASSWORD.findall(line)
    return bool(passwords) and all(p in EXAMPLE_PASSWORDS or re.fullmatch(r"\{[^}]*\}", p) for p in passwords)


def _named_constant(line: str) -> bool:
    literals = [a or b for a, b in _LITERAL.findall(line)]
    if not literals and (plain := _YAML_VALUE.fullmatch(line)):
        literals = [plain["value"]]  # an unquoted YAML value, e.g. `secrets: inherit`
    return bool(literals) and all(_NOT_SECRET_LITERAL.fullmatch(literal) for literal in literals)


RULES = (
    Rule(
        "identifier",
        frozenset({"Base64 High Entropy String", "Hex High Entropy String"}),
        _only_identifiers,
        "its only long tokens are Vercel ids, name paths or a config key before [",
    ),
    Rule(
        "example-url",
        frozenset({"Basic Auth Credentials"}),
        _example_url,
        "every URL password is one of EXAMPLE_PASSWORDS or a {placeholder}",
    ),
    Rule(
        "named-constant",
        frozenset({"Secret Keyword"}),
        _named_constant,
        "every quoted value is a name, a file, a hyphenated word or a sentence",
    ),
    Rule(
        "fabricated-in-tests",
        frozenset(
            {"Secret Keyword", "Basic Auth Credentials", "Base64 High Entropy String", "Hex High Entropy String"}
        ),
        _named_fake,
        "the name it is assigned to, or the quoted value itself, says fake",
        paths="tests/*",
    ),
)


@dataclass(frozen=True)
class Finding:
    path: str
    line_number: int
    kind: str
    line: str


def scan(directory: Path) -> list[Finding]:
    """detect-secrets over the git-tracked files (or every file, outside a repository)."""
    result = subprocess.run(  # noqa: S603 - detect-secrets from this project's environment
        [sys.executable, "-m", "detect_secrets", "scan", "--exclude-files", EXCLUDE],
        cwd=directory,
        capture_output=True,
        text=True,
        check=True,
    )
    findings = []
    for path, items in json.loads(result.stdout)["results"].items():
        lines = (directory / path).read_text(errors="replace").splitlines()
        for item in items:
            number = int(item["line_number"])
            findings.append(Finding(path, number, str(item["type"]), lines[number - 1] if number <= len(lines) else ""))
    return findings


def unexplained(findings: Sequence[Finding]) -> list[Finding]:
    return [
        finding
        for finding in findings
        if not any(rule.applies(finding) and rule.explains(finding.line) for rule in RULES)
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=ROOT)
    args = parser.parse_args(argv)
    findings = scan(args.dir)
    left = unexplained(findings)
    for finding in left:
        # The line is not printed: it may hold the secret.
        print(f"{finding.path}:{finding.line_number}: {finding.kind} that no audit rule explains", file=sys.stderr)
        for rule in RULES:
            if rule.applies(finding):
                print(f"  {rule.name} would, if {rule.shape}", file=sys.stderr)
    if left:
        print("Remove the secret, or see SECRET-SCAN.md if it is not one.", file=sys.stderr)
        return 1
    print(f"detect-secrets: {len(findings)} findings, each explained by an audit rule")
    return 0


if __name__ == "__main__":
    sys.exit(main())
