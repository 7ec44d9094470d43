"""Verify an IdP access token before it is presented to the gateway.

The gateway verifies it again; checking here turns a misconfigured client (wrong audience, wrong
issuer, expired clock) into a precise error at the caller instead of an opaque 401 at the gateway.
RS256 only: an ``alg: none`` or HMAC token signed with a public key is refused by construction.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from joserfc import errors, jwt
from joserfc.jwk import KeySet

from .errors import TokenRejected

ALGORITHMS = ["RS256"]


def token_scopes(claims: dict[str, Any]) -> set[str]:
    """Scopes a token grants: OAuth ``scope``, Entra ``scp`` (space separated) and ``roles``."""
    found: set[str] = set()
    for key in ("scope", "scp"):
        value = claims.get(key)
        if isinstance(value, str):
            found.update(value.split())
        elif isinstance(value, list):
            found.update(str(v) for v in value)
    roles = claims.get("roles")
    if isinstance(roles, list):
        found.update(str(r) for r in roles)
    return found


def verify_access_token(
    token: str,
    *,
    jwks: dict[str, Any],
    issuer: str,
    audience: str,
    required_scopes: Iterable[str] = (),
    leeway: int = 30,
    now: Callable[[], int] | None = None,
) -> dict[str, Any]:
    """Return the claims of ``token`` or raise ``TokenRejected`` naming the failed check.

    ``audience`` is matched against ``aud``; Cognito access tokens carry no ``aud`` and name their
    client in ``client_id`` instead, which is accepted as the audience in that case only.
    """
    clock = now or (lambda: int(time.time()))
    try:
        keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
    except (errors.JoseError, ValueError, TypeError) as err:
        raise TokenRejected(f"the issuer's JWKS is unusable: {err}") from None
    try:
        decoded = jwt.decode(token, keys, algorithms=ALGORITHMS)
    except errors.BadSignatureError:
        raise TokenRejected("token signature does not verify against the issuer's JWKS") from None
    except (errors.InvalidKeyIdError, errors.MissingKeyError):
        raise TokenRejected(
            "token signature cannot be checked: its key (kid) is not in the issuer's JWKS"
        ) from None
    except (errors.UnsupportedAlgorithmError, errors.MissingAlgorithmError):
        raise TokenRejected("token is not signed with RS256") from None
    except errors.JoseError as err:
        raise TokenRejected(f"token is not a valid signed JWT ({err.error})") from None
    except ValueError:
        raise TokenRejected("token is not a valid signed JWT") from None
    claims = dict(decoded.claims)
    if claims.get("iss") != issuer:
        raise TokenRejected(f"token issuer {claims.get('iss')!r} is not {issuer!r}")
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else ([aud] if aud is not None else [])
    if aud is None and claims.get("client_id") is not None:
        audiences = [claims["client_id"]]
    if audience not in audiences:
        raise TokenRejected(f"token audience {audiences!r} does not include {audience!r}")
    registry = jwt.JWTClaimsRegistry(now=clock, leeway=leeway, exp={"essential": True})
    try:
        registry.validate(claims)
    except errors.ExpiredTokenError:
        raise TokenRejected(
            f"token expired at {claims.get('exp')} (now {clock()}, leeway {leeway}s)"
        ) from None
    except errors.MissingClaimError:
        raise TokenRejected(
            "token has no exp claim; zsp refuses tokens that never expire"
        ) from None
    except errors.JoseError as err:
        raise TokenRejected(f"token claims are invalid ({err.error}: {err.description})") from None
    if isinstance(claims.get("nbf"), int) and claims["nbf"] > clock() + leeway:
        raise TokenRejected("token is not valid yet (nbf in the future)")
    missing = sorted(set(required_scopes) - token_scopes(claims))
    if missing:
        raise TokenRejected(f"token lacks required scope(s) {missing}")
    return claims
