"""What a value is: the shapes credentials take, told apart from identifiers, examples and placeholders.

A finding is described (a URL with a password, a GitHub token, ...), never quoted: the pack's messages
are printed in CI logs. Kept narrow on purpose: a Vercel id (`prj_...`), a URL without a password or an
example such as `postgresql://ci:...@db` is not a credential, so a violation means a real one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

PLACEHOLDER_WORDS = frozenset(
    {"pass", "password", "pw", "placeholder", "changeme", "secret", "redacted", "example", "none", "null", "todo"}
)
"""Stand-ins for a value in examples and docs; the first four are the secret scan's (SECRET-SCAN.md) too."""
_TEMPLATE = re.compile(
    r"<[^<>]*>"  # <password>
    r"|\$\{\{[^}]*\}\}"  # ${{ secrets.NAME }}, a workflow expression
    r"|\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*"  # ${PASSWORD}, $PASSWORD
    r"|\{\{[^}]*\}\}|\{[^{}]*\}"  # {{ password }}, {password}
    r"|%\([A-Za-z_]+\)s"  # %(password)s
)


def is_placeholder(value: str) -> bool:
    """An empty value, a template, an ellipsis or masked value, or a word that stands for a value."""
    text = value.strip().strip("'\"").strip()
    return (
        not text
        or text.casefold() in PLACEHOLDER_WORDS
        or bool(_TEMPLATE.fullmatch(text))
        or "..." in text
        or "…" in text
        or set(text) <= set("xX*•#-_.")
    )


# URLs: a password in the userinfo (scheme://user:password@host) or in the query (?password=).

_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>`]+")
_USERINFO = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^\s/@:]*:(?P<password>[^\s]+?)@")
_PORT_THEN_PATH = re.compile(r"\d{1,5}[/?#]")
"""`host:8443/path@x`: what looks like a password is a port followed by a path holding an @."""
_QUERY_PASSWORD = re.compile(r"[?&;](?:ssl)?password=(?P<value>[^&#;\s]*)", re.IGNORECASE)


def _url_findings(url: str) -> Iterator[str]:
    # The password may hold a `/` or an `@` a careless hand left unencoded; up to the first @ is enough to know.
    if (userinfo := _USERINFO.match(url)) is not None:
        password = userinfo["password"]
        if not _PORT_THEN_PATH.match(password) and not is_placeholder(password):
            yield "a URL with a password"
    for query in _QUERY_PASSWORD.finditer(url):
        if not is_placeholder(query["value"]):
            yield "a URL with a password in its query"


# libpq keyword/value connection strings: `host=db user=ci password=...`.

_KEYWORD = re.compile(
    r"(?<![\w.-])(?P<key>host|hostaddr|port|dbname|user|sslmode|(?:ssl)?password)[ \t]*=[ \t]*"
    r"(?P<value>'(?:[^'\\]|\\.)*'|[^\s']*)",
    re.IGNORECASE,
)


def _conninfo_findings(text: str) -> Iterator[str]:
    """A password among libpq keywords; `password=` alone (in code, in prose) is not a connection string."""
    found = [(match["key"].casefold(), match["value"]) for match in _KEYWORD.finditer(text)]
    passwords = [value for key, value in found if key.endswith("password") and not is_placeholder(value)]
    if passwords and any(not key.endswith("password") for key, _ in found):
        yield "a libpq connection string with a password"


# Tokens by their published prefixes.

_RANDOM = (re.compile(r"[a-z]"), re.compile(r"[A-Z]"), re.compile(r"[0-9]"))
TOKENS: tuple[tuple[str, re.Pattern[str], bool], ...] = (
    # GitHub, "About authentication to GitHub": ghp_ (classic), github_pat_ (fine-grained), gho_/ghu_/ghs_/ghr_.
    (
        "a GitHub token",
        re.compile(r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})"),
        True,
    ),
    # Vercel changelog "Introducing new token formats and secret scanning": vcp_, vci_, vca_, vcr_, vck_.
    ("a Vercel token", re.compile(r"(?<![A-Za-z0-9_])vc[pciark]_[A-Za-z0-9]{20,}"), True),
    # OpenAI (sk-, sk-proj-, sk-svcacct-) and Anthropic (sk-ant-) API keys.
    ("an OpenAI or Anthropic API key", re.compile(r"(?<![A-Za-z0-9_-])sk-[A-Za-z0-9_-]{20,}"), True),
    ("an AWS access key id", re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])"), False),
    (
        "an AWS secret access key",
        re.compile(r"aws_secret_access_key[ \t]*[=:][ \t]*['\"]?[A-Za-z0-9/+=]{40}", re.IGNORECASE),
        False,
    ),
    ("a private key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"), False),
)
"""(what it is, its shape, whether a real one is random: mixes lower case, upper case and digits)."""


def _token_findings(text: str) -> Iterator[str]:
    for what, shape, random in TOKENS:
        for match in shape.finditer(text):
            token = match[0]
            # sk-learn-compatible-models, ghp_xxxx...: words and masks have the prefix, not the randomness.
            if random and not all(kind.search(token) for kind in _RANDOM):
                continue
            if "EXAMPLE" in token.upper():  # AWS's documentation keys end in EXAMPLE
                continue
            yield what
            break


# NAME=value: a credential's name given a value (.env lines, YAML env blocks, maps).

_ASSIGNMENT = re.compile(
    r"^[ \t]*(?:export[ \t]+)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)[ \t]*[=:][ \t]*"
    r"(?P<value>\"[^\"]*\"|'[^']*'|[^\s#]+)[ \t]*(?:#.*)?$",
    re.MULTILINE,
)


def named_value(name: str, value: str, credential_name: Callable[[str], str | None]) -> str | None:
    """What `name: value` is when `name` is (or looks like) a credential's name and the value is not a stand-in."""
    if (known := credential_name(name)) is None or is_placeholder(value):
        return None
    return f"{name} given a value" if known == name.upper() else f"{name} (like {known}) given a value"


def findings(text: str, credential_name: Callable[[str], str | None]) -> list[str]:
    """What credentials `text` holds, each described once; `credential_name` says which names are credentials'."""
    found: list[str] = []
    for url in _URL.findall(text):
        found += _url_findings(url)
    found += _conninfo_findings(_URL.sub(" ", text))
    found += _token_findings(text)
    for assignment in _ASSIGNMENT.finditer(text):
        if (what := named_value(assignment["name"], assignment["value"], credential_name)) is not None:
            found.append(what)
    return list(dict.fromkeys(found))
