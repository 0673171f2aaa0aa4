"""The secret config keys: what kind of value each holds, how it is validated, what an example looks like.

Adding a secret every stack must set is one row here (plus its route in infra/tables/routes.py and its
declaration in Pulumi.yaml, which a test compares with this table); one only some stacks have, such as
another LLM key, is an `extraSecrets` entry instead and needs no row. The docs' `pulumi config set
--secret` lines, the offline plan's placeholders and the tests' fakes are all derived from these rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

from infra.tables.routes import EXTRA_SECRETS_KEY
from infra.tables.tiers import TierProfile
from tenantguard_db.urls import USER_NAME, USER_NAME_RULE, UnsafeUrlError, parse_postgres_url

REDIS_SCHEMES = ("redis", "rediss")
STRICT_SSLMODES = ("require", "verify-ca", "verify-full")
MIN_FINGERPRINT_KEY_LENGTH = 16

Validator = Callable[[str, str, TierProfile], list[str]]
"""(qualified config key, value, tier profile) -> problems; a problem never quotes the value."""


@dataclass(frozen=True)
class SecretKind:
    """A kind of secret value: how it is checked and how a valid one is built around a secret part."""

    name: str
    validate: Validator
    sample: Callable[[str, str, str, TierProfile], str]
    """(secret part, user, domain, profile) -> a value of this kind that the profile accepts."""
    example: Callable[[str, str, TierProfile], str]
    """(user, domain, profile) -> what `pulumi config set` asks for, shown in a comment beside the command."""
    read_from: str | None = None
    """A file the value is redirected from instead of typed at the prompt."""


def _check_postgres_url(name: str, url: str, profile: TierProfile) -> list[str]:
    try:
        parsed = parse_postgres_url(url)
    except UnsafeUrlError as refused:
        return [f"{name} {refused}"]
    if profile.tls_required and parsed.sslmode not in STRICT_SSLMODES:
        return [f"{name} must set sslmode to one of {', '.join(STRICT_SSLMODES)} in {profile.tier}"]
    return []


def _check_redis_url(name: str, url: str, profile: TierProfile) -> list[str]:  # noqa: PLR0911 - one early return per refusal reads best
    """redis-py reads these URLs with urllib (redis.connection.parse_url): one parse, so no disagreement."""
    if any(character.isspace() or not character.isprintable() for character in url):
        return [f"{name} contains whitespace or a control character; paste the URL alone"]
    if not url.isascii():
        return [f"{name} contains a character outside ASCII; percent-encode it"]
    scheme = next((s for s in REDIS_SCHEMES if url.startswith(f"{s}://")), None)
    if scheme is None:
        return [f"{name} does not start with redis:// or rediss:// (in lower case)"]
    try:
        # urllib's own ValueErrors quote the netloc (and so the password): never shown.
        parts = urlsplit(url)
        parts.port  # noqa: B018 - urlsplit only checks the port when it is read
        _ = parts.hostname
    except ValueError:
        return [f"{name} has a port that is not a number, or an unencoded / # ? in the password; percent-encode them"]
    if not parts.hostname:
        return [f"{name} has no host; expected {scheme}://user:password@host:port/0"]
    user = unquote(parts.username or "")
    if user and not USER_NAME.fullmatch(user):
        # redis-py sends the decoded user name as the ACL user: `default%3Apassword` carries the password.
        return [f"{name} has a user name that is not a plain ACL user name ({USER_NAME_RULE})"]
    names = [key for key, _ in parse_qsl(parts.query, keep_blank_values=True)]
    if "password" in names:
        return [f"{name} carries a password in the query string; put it in the user-info part, percent-encoded"]
    if len(names) != len(set(names)):
        return [f"{name} sets a query parameter twice; set each once"]
    if profile.tls_required and scheme != "rediss":
        return [f"{name} must use rediss:// (TLS) in {profile.tier}"]
    return []


def _check_token(name: str, token: str, profile: TierProfile) -> list[str]:
    if any(character.isspace() or not character.isprintable() for character in token):
        return [f"{name} contains whitespace or a control character; paste the token alone"]
    return []


def _check_key(name: str, key: str, profile: TierProfile) -> list[str]:
    if any(character.isspace() or not character.isprintable() for character in key):
        return [f"{name} contains whitespace or a control character; paste the key alone"]
    if len(key) < MIN_FINGERPRINT_KEY_LENGTH:
        return [f"{name} must be at least {MIN_FINGERPRINT_KEY_LENGTH} characters (e.g. `openssl rand -hex 32`)"]
    return []


def _postgres_url(secret: str, user: str, domain: str, profile: TierProfile) -> str:
    tls = "?sslmode=require" if profile.tls_required else ""
    return f"postgresql://{user}:{secret}@db.{domain}:5432/tenantguard{tls}"


def _redis_url(secret: str, user: str, domain: str, profile: TierProfile) -> str:
    scheme = "rediss" if profile.tls_required else "redis"
    return f"{scheme}://{user}:{secret}@redis.{domain}:6379/0"


POSTGRES_URL = SecretKind(
    "postgresql:// URL",
    _check_postgres_url,
    _postgres_url,
    lambda user, domain, profile: f"e.g. {_postgres_url('...', user, domain, profile)}",
)
REDIS_URL = SecretKind(
    "redis:// URL",
    _check_redis_url,
    _redis_url,
    lambda user, domain, profile: f"e.g. {_redis_url('...', user, domain, profile)}",
)
TOKEN = SecretKind("token", _check_token, lambda secret, *_: secret, lambda *_: "the token alone")
SHARED_KEY_FILE = "~/.config/tenantguard/db-fingerprint.key"
"""Where the key every stack shares is kept: made once (`openssl rand -hex 32`), read by each stack's set."""
KEY = SecretKind(
    "random key",
    _check_key,
    lambda secret, *_: secret,
    lambda *_: f"one key for every stack, made once: openssl rand -hex 32 > {SHARED_KEY_FILE}",
    read_from=SHARED_KEY_FILE,
)


@dataclass(frozen=True)
class SecretKey:
    """One secret config key of Pulumi.yaml."""

    key: str
    kind: SecretKind
    user: str = ""
    """The user name in example URLs."""
    shared: bool = False
    """Every stack of the project holds the same value."""
    production_guard: bool = False
    """The production-database guard checks this value before it is routed anywhere."""

    def example(self, domain: str, profile: TierProfile) -> str:
        return self.kind.example(self.user, domain, profile)

    def set_line(self, domain: str, profile: TierProfile, stack: str | None = None) -> tuple[str, str]:
        """The shell command that sets this key, and a comment saying what value it expects (never in the command)."""
        command = set_secret_command(self.key, stack)
        if self.kind.read_from:
            return f"{command} < {self.kind.read_from}", self.example(domain, profile)
        return command, f"it asks; {self.example(domain, profile)}"

    def sample(self, secret: str, domain: str, profile: TierProfile) -> str:
        return self.kind.sample(secret, self.user, domain, profile)


SECRET_KEYS: tuple[SecretKey, ...] = (
    SecretKey("ciDbUrl", POSTGRES_URL, user="ci", production_guard=True),
    SecretKey("databaseUrl", POSTGRES_URL, user="app", production_guard=True),
    SecretKey("redisUrl", REDIS_URL, user="default"),
    SecretKey("vercelToken", TOKEN),
    SecretKey("dbFingerprintKey", KEY, shared=True),
)
"""Every secret config key but the extraSecrets map, in the order the docs list them."""

EXTRA_SECRETS_EXAMPLE = "OPENAI_API_KEY"
"""The extra secret name the docs show: `--path 'extraSecrets.OPENAI_API_KEY'`."""

BY_KEY = {secret_key.key: secret_key for secret_key in SECRET_KEYS}


def set_secret_command(key: str, stack: str | None = None) -> str:
    """The command that stores one secret config key (or `extraSecrets.NAME`) encrypted, without its value.

    A value typed on the command line stays in the shell's history. Given none, `pulumi config set` asks for
    it on a terminal, without echo when --secret is given, and otherwise reads standard input to its end,
    dropping a trailing newline (pulumi/pulumi pkg/cmd/pulumi/config/config.go, `configSetCmd.Run`; and
    sdk/go/common/util/cmdutil/console_password.go, `ReadConsoleNoEcho`).
    """
    where = f" --stack {stack}" if stack else ""
    if key.startswith(f"{EXTRA_SECRETS_KEY}."):
        return f"pulumi config set --secret{where} --path '{key}'"
    return f"pulumi config set --secret{where} {key}"


def commented(lines: Sequence[tuple[str, str]]) -> list[str]:
    """(command, comment) pairs as shell lines."""
    return [f"{command}   # {comment}" for command, comment in lines]
