"""Fixtures: each stack's real config with distinctive fake secrets, evaluated under Pulumi's mocks."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from pulumi.runtime.rpc import is_rpc_secret

from infra import offline
from tenantguard_db.local_postgres import LocalPostgres

ROOT = Path(__file__).resolve().parent.parent
ALEMBIC = [sys.executable, "-m", "alembic"]
STACKS = ("preview", "staging", "production")
PRODUCTION_STACK_NAME = "organization/tenantguard-infra/production"
FINGERPRINT_KEY = "fingerprint-key-Wq7Lr2Vx9Kd4Tn6Z"


def fake_secrets(stack: str) -> dict[str, str]:
    """Secret config for `stack`; every password or token is distinctive so a leak can be found."""
    tls = "?sslmode=require" if stack == "production" else ""
    redis = "rediss" if stack == "production" else "redis"
    return {
        "ciDbUrl": f"postgresql://ci:CiPw{stack}Xq71@db-{stack}.internal:5432/tenantguard{tls}",
        "databaseUrl": f"postgresql://app:AppPw{stack}Jk28@db-{stack}.internal:5432/tenantguard{tls}",
        "redisUrl": f"{redis}://default:RedisPw{stack}Mz54@redis-{stack}.internal:6379/0",
        "vercelToken": f"VercelTok{stack}Hy63",
        "dbFingerprintKey": FINGERPRINT_KEY,
        "extraSecrets": json.dumps({"OPENAI_API_KEY": f"sk-OpenAi{stack}Rb92"}),
    }


def secret_needles(stack: str) -> list[str]:
    """Strings that must never appear outside a Pulumi secret for `stack`."""
    needles = [f"CiPw{stack}Xq71", f"AppPw{stack}Jk28", f"RedisPw{stack}Mz54", f"VercelTok{stack}Hy63"]
    return [*needles, f"sk-OpenAi{stack}Rb92", FINGERPRINT_KEY, "RandomGen"]


def assert_no_secret(stack: str, texts: Iterable[str]) -> None:
    """None of `stack`'s distinctive fake secrets appears in any of the texts."""
    text = "\n".join(texts)
    for needle in secret_needles(stack):
        assert needle not in text


def stack_values(stack: str, overrides: Mapping[str, str | None] | None = None) -> tuple[dict[str, str], set[str]]:
    """The stack file's config plus fake secrets; an override of None removes the key."""
    secrets = fake_secrets(stack)
    values = {**offline.stack_config(stack), **secrets}
    for key, value in (overrides or {}).items():
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
    return values, set(secrets)


def production_outputs() -> dict[str, dict[str, Any]]:
    """What the production stack exports, as non-production stacks read it through a StackReference."""
    production = offline.evaluate("production", *stack_values("production"))
    return {PRODUCTION_STACK_NAME: dict(production.outputs)}


@pytest.fixture(scope="session")
def production_reference() -> dict[str, dict[str, Any]]:
    return production_outputs()


@pytest.fixture(scope="session")
def evaluated(production_reference: dict[str, dict[str, Any]]) -> dict[str, offline.Evaluation]:
    """Every stack's real program with its own stack file, evaluated once for the session."""
    return {
        stack: offline.evaluate(
            stack, *stack_values(stack), stack_outputs=production_reference, log_level=logging.DEBUG
        )
        for stack in STACKS
    }


@pytest.fixture
def run_stack(production_reference: dict[str, dict[str, Any]]) -> Callable[..., offline.Evaluation]:
    """Evaluate one stack with config overrides (None removes a key)."""

    def run(stack: str, overrides: Mapping[str, str | None] | None = None, **kwargs: Any) -> offline.Evaluation:
        values, secret = stack_values(stack, overrides)
        secret -= set(kwargs.pop("plaintext", ()))
        kwargs.setdefault("stack_outputs", production_reference)
        kwargs.setdefault("log_level", logging.DEBUG)
        return offline.evaluate(stack, values, secret, **kwargs)

    return run


def plain_strings(value: Any) -> Iterator[str]:
    """Every string in a resource's state that is not inside a Pulumi secret."""
    if is_rpc_secret(value):
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield str(key)
            yield from plain_strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from plain_strings(item)


def named(evaluation: offline.Evaluation, type_token: str) -> dict[str, dict[str, Any]]:
    """State of each resource of a type, by logical name."""
    return {
        urn.rsplit("::", 1)[1]: r.state
        for urn, r in evaluation.resources.items()
        if urn.split("::")[2].split("$")[-1] == type_token
    }


@pytest.fixture
def stack_dir(tmp_path: Path) -> Path:
    """A copy of the three stack files to change or add to."""
    for stack in STACKS:
        shutil.copy(offline.stack_file(stack), tmp_path)
    return tmp_path


@pytest.fixture(scope="session")
def postgres() -> Iterator[LocalPostgres]:
    """A real PostgreSQL server for the whole session, on a free loopback port."""
    with LocalPostgres() as server:
        yield server


@pytest.fixture
def database(postgres: LocalPostgres, request: pytest.FixtureRequest) -> str:
    """A new empty database for one test, by URL."""
    name = "t_" + request.node.name.lower().translate(str.maketrans("[]-.", "____"))[:50]
    return postgres.create_database(name)


def alembic_cli(*args: str, url: str | None = None, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the alembic CLI as CI would; `cwd` may be a copy of the migrations (tenantguard_db stays importable)."""
    environment = {k: v for k, v in os.environ.items() if k not in ("CI_DB_URL", "DATABASE_URL")}
    environment["PYTHONPATH"] = str(ROOT)
    if url is not None:
        environment["CI_DB_URL"] = url
    environment.update(env)
    return subprocess.run([*ALEMBIC, *args], cwd=cwd, env=environment, capture_output=True, text=True, check=False)
