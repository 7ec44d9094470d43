"""Opt-in liveness check (``zsp scan --verify``): one harmless read-only call per token.

Each check lists models or reads the key's own identity; none creates, bills or mutates anything.
Tokens are only sent to the provider's own API host (a workspace/resource host for Azure OpenAI
and Databricks must match the provider's host pattern), never to an arbitrary URL found in a
scanned file — a hostile repository could otherwise collect tokens. ``overrides`` (the
``--verify-endpoint PROVIDER=URL`` option) replaces a provider's base URL explicitly, e.g. for a
corporate egress proxy or a local fake in tests.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from .engine import ScanResult, TokenReadError, read_token
from .inventory import Finding
from .rules import providers


@dataclass(frozen=True)
class Check:
    """How to ask a provider whether a key is live: base URL, path, auth header."""

    base: str | None
    path: str
    header: Callable[[str], dict[str, str]]
    needs_endpoint: bool = False


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


CHECKS: dict[str, Check] = {
    "openai": Check("https://api.openai.com/v1", "/models", _bearer),
    "anthropic": Check(
        "https://api.anthropic.com",
        "/v1/models",
        lambda t: {"x-api-key": t, "anthropic-version": "2023-06-01"},
    ),
    "huggingface": Check("https://huggingface.co", "/api/whoami-v2", _bearer),
    "google": Check(
        "https://generativelanguage.googleapis.com",
        "/v1beta/models",
        lambda t: {"x-goog-api-key": t},
    ),
    "groq": Check("https://api.groq.com/openai/v1", "/models", _bearer),
    "mistral": Check("https://api.mistral.ai/v1", "/models", _bearer),
    "cohere": Check("https://api.cohere.com", "/v1/models", _bearer),
    "together": Check("https://api.together.xyz/v1", "/models", _bearer),
    "fireworks": Check("https://api.fireworks.ai/inference/v1", "/models", _bearer),
    "deepseek": Check("https://api.deepseek.com", "/models", _bearer),
    "xai": Check("https://api.x.ai/v1", "/api-key", _bearer),
    "openrouter": Check("https://openrouter.ai/api/v1", "/key", _bearer),
    "replicate": Check("https://api.replicate.com/v1", "/account", _bearer),
    "databricks": Check(None, "/api/2.0/preview/scim/v2/Me", _bearer, needs_endpoint=True),
    "azure-openai": Check(
        None, "/openai/models?api-version=2024-10-21", lambda t: {"api-key": t}, needs_endpoint=True
    ),
}
"""Providers without an entry (perplexity: no read-only endpoint; generic: unknown API) are
reported as ``unsupported``; AWS key pairs go through STS GetCallerIdentity (``check_aws_pair``)."""

AWS_BEDROCK = Check("https://bedrock.us-east-1.amazonaws.com", "/foundation-models", _bearer)


def _base_url(
    provider: str, endpoint: str | None, check: Check, overrides: dict[str, str]
) -> str | None:
    if provider in overrides:
        return overrides[provider].rstrip("/")
    if not check.needs_endpoint:
        return check.base
    hosts = providers()[provider].endpoint_hosts
    if endpoint is None or hosts is None:
        return None
    host = endpoint.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    if not endpoint.startswith("https://") or not hosts.fullmatch(host):
        return None
    return endpoint.split("/openai", 1)[0].rstrip("/")


def check_token(
    provider: str,
    rule: str,
    endpoint: str | None,
    value: str,
    overrides: dict[str, str],
    client: httpx.Client,
) -> dict[str, str]:
    """``{"status": live|invalid|error|unsupported, "detail": ...}``; never contains the value."""
    check = CHECKS.get(provider)
    if provider == "aws" and rule == "aws-bedrock-api-key":
        check = AWS_BEDROCK
    if check is None:
        return {"status": "unsupported", "detail": f"no read-only check for {provider}/{rule}"}
    base = _base_url(provider, endpoint, check, overrides)
    if base is None:
        return {"status": "unsupported", "detail": "no trusted endpoint to check against"}
    try:
        response = client.get(base + check.path, headers=check.header(value))
    except httpx.HTTPError as err:
        return {"status": "error", "detail": f"{type(err).__name__} contacting {base}"}
    if response.status_code == 200:
        return {"status": "live", "detail": f"HTTP 200 from {base}{check.path.split('?')[0]}"}
    if response.status_code in (401, 403):
        return {"status": "invalid", "detail": f"HTTP {response.status_code} from {base}"}
    return {"status": "error", "detail": f"HTTP {response.status_code} from {base}"}


STS_DEFAULT = "https://sts.amazonaws.com"
AWS_SECRET_RULES = ("aws-secret-access-key", "aws-secret-access-key-paired")
STS_QUERY = "Action=GetCallerIdentity&Version=2011-06-15"


def sigv4_headers(
    url: str, access_key_id: str, secret: str, region: str, now: datetime.datetime
) -> dict[str, str]:
    """AWS Signature Version 4 headers for ``GET url`` (query already canonical, empty body).

    Hand-written (about twenty lines of HMAC) so that ``zsp scan`` needs neither boto3 nor
    botocore; the test-suite checks it against botocore's own signer."""
    split = urllib.parse.urlsplit(url)
    host = split.netloc
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = now.strftime("%Y%m%d")
    payload = hashlib.sha256(b"").hexdigest()
    canonical = "\n".join(
        ["GET", split.path or "/", split.query, f"host:{host}\nx-amz-date:{amz_date}\n",
         "host;x-amz-date", payload]
    )  # fmt: skip
    scope = f"{day}/{region}/sts/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )

    def _h(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    signing = _h(_h(_h(_h(f"AWS4{secret}".encode(), day), region), "sts"), "aws4_request")
    signature = hmac.new(signing, to_sign.encode(), hashlib.sha256).hexdigest()
    return {
        "x-amz-date": amz_date,
        "Authorization": (
            f"AWS4-HMAC-SHA256 Credential={access_key_id}/{scope}, "
            f"SignedHeaders=host;x-amz-date, Signature={signature}"
        ),
    }


def check_aws_pair(
    access_key_id: str, secret: str, overrides: dict[str, str], client: httpx.Client
) -> dict[str, str]:
    """STS GetCallerIdentity with a key pair: read-only, needs no permission at all."""
    base = overrides.get("aws", STS_DEFAULT).rstrip("/")
    url = f"{base}/?{STS_QUERY}"
    headers = sigv4_headers(
        url, access_key_id, secret, "us-east-1", datetime.datetime.now(datetime.UTC)
    )
    try:
        response = client.get(url, headers=headers)
    except httpx.HTTPError as err:
        return {"status": "error", "detail": f"{type(err).__name__} contacting {base}"}
    if response.status_code == 200:
        return {"status": "live", "detail": f"STS GetCallerIdentity HTTP 200 from {base}"}
    if response.status_code in (400, 401, 403):
        return {"status": "invalid", "detail": f"STS GetCallerIdentity HTTP {response.status_code}"}
    return {"status": "error", "detail": f"STS GetCallerIdentity HTTP {response.status_code}"}


def _pair_of(finding: Finding, findings: list[Finding]) -> Finding | None:
    """The other half of an AWS key pair: same file (and commit), nearest line."""
    want = AWS_SECRET_RULES if finding.rule == "aws-access-key-id" else ("aws-access-key-id",)
    same = [
        f for f in findings
        if f.rule in want and f.path == finding.path and f.commit == finding.commit
    ]  # fmt: skip
    return min(same, key=lambda f: abs(f.line - finding.line), default=None)


def verify_result(
    result: ScanResult, key: bytes, overrides: dict[str, str] | None = None, timeout: float = 10.0
) -> None:
    """Set ``verification`` on every token of ``result`` (one request per token; an AWS key id
    and its secret are checked together, as a pair)."""
    overrides = overrides or {}
    first: dict[str, Finding] = {}
    for f in result.findings:
        first.setdefault(f.fingerprint, f)
    root = Path(result.root)
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=True) as client:
        for token in result.tokens:
            finding = first[token.fingerprint]
            try:
                value = read_token(root, finding, key)
                if finding.rule in ("aws-access-key-id", *AWS_SECRET_RULES):
                    other = _pair_of(finding, result.findings)
                    if other is None:
                        token.verification = {
                            "status": "unsupported",
                            "detail": "AWS key id and secret are checked together; no pair here",
                        }
                        continue
                    pair = (value, read_token(root, other, key))
                    if finding.rule in AWS_SECRET_RULES:
                        pair = (pair[1], pair[0])
                    token.verification = check_aws_pair(pair[0], pair[1], overrides, client)
                    del pair
                    continue
            except TokenReadError as err:
                token.verification = {"status": "error", "detail": str(err)}
                continue
            token.verification = check_token(
                token.provider, finding.rule, token.endpoint, value, overrides, client
            )
            del value
