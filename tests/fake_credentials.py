"""Credential-shaped fakes for the policy pack's tests, assembled when the tests run.

Each is built from parts, so no credential-shaped literal sits in the repository, where the secret
scan (and a host's push protection) would rightly stop it; each says fake in its value.
"""

from __future__ import annotations

_BODY = "Fake0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def fake_token(prefix: str, length: int) -> str:
    """`prefix` followed by `length` characters of mixed case and digits, starting with "Fake"."""
    return prefix + (_BODY * (length // len(_BODY) + 1))[:length]


def fake_github_token() -> str:
    return fake_token("gh" + "p_", 36)


def fake_github_pat() -> str:
    return fake_token("github" + "_pat_", 82)


def fake_github_app_token() -> str:
    return fake_token("gh" + "s_", 36)


def fake_vercel_token() -> str:
    return fake_token("vc" + "p_", 24)


def fake_openai_key() -> str:
    return fake_token("sk" + "-proj-", 48)


def fake_anthropic_key() -> str:
    return fake_token("sk" + "-ant-api03-", 95)


def fake_aws_access_key_id() -> str:
    return "AK" + "IAFAKE" + "0123456789AB"


def fake_aws_secret_assignment() -> str:
    return "aws_secret" + "_access_key = " + fake_token("", 40)


def fake_private_key() -> str:
    marker = "PRIVATE" + " KEY"
    return f"-----BEGIN RSA {marker}-----\n{fake_token('', 64)}\n-----END RSA {marker}-----\n"
