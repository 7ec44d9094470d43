"""A real OIDC issuer on 127.0.0.1 for the test suite (joserfc + ``ThreadingHTTPServer``).

Serves what ``zsp creds`` and the gateway talk to in production, over real HTTP:

* ``GET /.well-known/openid-configuration`` (discovery) and ``GET /jwks`` (RS256 public keys);
* ``POST /token`` with ``client_credentials`` (client secret via HTTP Basic or form, or a federated
  ``client_assertion`` — RFC 7523, Entra style), RFC 8693 ``token-exchange`` (Keycloak style) and
  the RFC 8628 ``device_code`` grant;
* ``POST /device_authorization`` (device flow start) and ``GET /device?user_code=`` (approval);
* ``GET /ci/id-token?audience=`` — GitHub Actions' ``ACTIONS_ID_TOKEN_REQUEST_URL`` shape
  (``{"value": jwt}``, bearer request token), for an issuer that plays the CI platform.

Federated tokens are verified like an IdP does it: the platform issuer's JWKS is fetched over HTTP
from its discovery document, then signature, ``iss``, ``aud``, ``exp`` and an exact ``sub`` match.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from urllib.request import urlopen

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


_KEYS: dict[str, RSAKey] = {}


def signing_key(name: str) -> RSAKey:
    """One 2048-bit RSA key per issuer name per test session (generation is the slow part)."""
    if name not in _KEYS:
        _KEYS[name] = RSAKey.generate_key(
            2048, parameters={"alg": "RS256", "use": "sig"}, auto_kid=True
        )
    return _KEYS[name]


@dataclass
class Client:
    """A registered client: a secret (machine client) or none (public / federated)."""

    client_id: str
    secret: str | None
    scopes: list[str]
    audience: str
    access_token_ttl: int = 900
    groups: list[str] = field(default_factory=list)
    federated: list[tuple[str, str, str]] = field(default_factory=list)
    """(issuer, subject, audience) triples whose platform tokens authenticate this client."""


@dataclass
class DeviceGrant:
    client_id: str
    scope: str
    user_code: str
    expires_at: float
    approved_as: str | None = None
    denied: bool = False


class OidcIssuer:
    """One issuer on an ephemeral loopback port; ``start()``/``stop()``."""

    def __init__(self, name: str = "idp") -> None:
        self.name = name
        self.key = RSAKey.generate_key(
            2048, parameters={"alg": "RS256", "use": "sig"}, auto_kid=True
        )
        self.clients: dict[str, Client] = {}
        self.devices: dict[str, DeviceGrant] = {}
        self.ci_request_token = secrets.token_urlsafe(24)
        self.ci_subject = "repo:acme/support-bot:environment:prod"
        self.clock_skew = 0
        """Seconds added to the issuer's clock (to mint tokens that are already expired)."""
        self.issued: list[dict[str, Any]] = []
        """Claims of every access token issued (never the token itself)."""
        self.token_requests = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> OidcIssuer:
        handler = type("Handler", (_Handler,), {"owner": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def issuer(self) -> str:
        return self.url

    def now(self) -> int:
        return int(time.time()) + self.clock_skew

    def jwks(self) -> dict[str, Any]:
        return KeySet([self.key]).as_dict(private=False)

    # -- minting ------------------------------------------------------------------------------
    def register(self, client: Client) -> Client:
        self.clients[client.client_id] = client
        return client

    def sign(self, claims: dict[str, Any], key: RSAKey | None = None) -> str:
        signing = key or self.key
        header = {"alg": "RS256", "kid": signing.kid, "typ": "JWT"}
        return jwt.encode(header, claims, signing)

    def mint(self, subject: str, audience: str, ttl: int = 300, **extra: Any) -> str:
        now = self.now()
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": audience,
            "iat": now,
            "nbf": now,
            "exp": now + ttl,
            "jti": str(uuid.uuid4()),
            **extra,
        }
        return self.sign(claims)

    def access_token(self, client: Client, subject: str, scope: str) -> dict[str, Any]:
        granted = [s for s in scope.split() if s in client.scopes] if scope else list(client.scopes)
        claims = {
            "client_id": client.client_id,
            "scope": " ".join(granted),
            "groups": list(client.groups),
            "token_use": "access",
        }
        token = self.mint(subject, client.audience, client.access_token_ttl, **claims)
        self.issued.append(
            {"sub": subject, "client_id": client.client_id, "scope": claims["scope"]}
        )
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": client.access_token_ttl,
            "scope": claims["scope"],
        }

    # -- federation ---------------------------------------------------------------------------
    def verify_platform_token(self, token: str, client: Client) -> str:
        """Verify a CI/pod token against the issuer it names; return its subject."""
        try:
            _, payload_b64, _ = token.split(".")
            unverified = json.loads(base64.urlsafe_b64decode(payload_b64 + "=="))
        except ValueError as err:
            raise OAuthError("invalid_client", "platform token is not a JWT") from err
        iss = unverified.get("iss")
        trusted = [f for f in client.federated if f[0] == iss]
        if not trusted:
            raise OAuthError("invalid_client", f"issuer {iss} is not trusted for this client")
        with urlopen(f"{iss}/.well-known/openid-configuration", timeout=5) as response:
            discovery = json.load(response)
        with urlopen(discovery["jwks_uri"], timeout=5) as response:
            keys = KeySet.import_key_set(json.load(response))
        try:
            decoded = jwt.decode(token, keys, algorithms=["RS256"])
        except Exception as err:
            raise OAuthError("invalid_client", "platform token signature is invalid") from err
        claims = decoded.claims
        if claims.get("exp", 0) < self.now():
            raise OAuthError("invalid_client", "platform token is expired")
        for _, subject, audience in trusted:
            aud = claims.get("aud")
            auds = aud if isinstance(aud, list) else [aud]
            if claims.get("sub") == subject and audience in auds:
                return str(subject)
        raise OAuthError("invalid_client", "no federated credential matches the token's sub/aud")


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


class _Handler(BaseHTTPRequestHandler):
    owner: OidcIssuer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _json(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        owner = self.owner
        split = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(split.query).items()}
        if split.path == "/.well-known/openid-configuration":
            base = owner.url
            self._json(
                200,
                {
                    "issuer": owner.issuer,
                    "jwks_uri": f"{base}/jwks",
                    "token_endpoint": f"{base}/token",
                    "device_authorization_endpoint": f"{base}/device_authorization",
                    "grant_types_supported": [
                        "client_credentials",
                        TOKEN_EXCHANGE,
                        DEVICE_CODE,
                    ],
                    "token_endpoint_auth_methods_supported": [
                        "client_secret_basic",
                        "client_secret_post",
                        "private_key_jwt",
                    ],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                },
            )
        elif split.path == "/jwks":
            self._json(200, owner.jwks())
        elif split.path == "/ci/id-token":
            if self.headers.get("Authorization") != f"Bearer {owner.ci_request_token}":
                self._json(401, {"message": "bad request token"})
                return
            audience = query.get("audience", owner.issuer)
            self._json(200, {"value": owner.mint(owner.ci_subject, audience, 300)})
        elif split.path == "/device":
            for grant in owner.devices.values():
                if grant.user_code == query.get("user_code"):
                    grant.approved_as = query.get("user", "alice@acme.example")
                    self._json(200, {"approved": True})
                    return
            self._json(404, {"message": "unknown user code"})
        else:
            self._json(404, {"message": "not found"})

    def do_POST(self) -> None:
        owner = self.owner
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        path = urlsplit(self.path).path
        try:
            if path == "/token":
                owner.token_requests += 1
                self._json(200, self._token(form))
            elif path == "/device_authorization":
                client = owner.clients.get(form.get("client_id", ""))
                if client is None:
                    raise OAuthError("invalid_client", "unknown client", 401)
                code = secrets.token_urlsafe(24)
                user_code = secrets.token_hex(4).upper()
                owner.devices[code] = DeviceGrant(
                    client.client_id, form.get("scope", ""), user_code, time.time() + 600
                )
                self._json(
                    200,
                    {
                        "device_code": code,
                        "user_code": user_code,
                        "verification_uri": f"{owner.url}/device",
                        "expires_in": 600,
                        "interval": 1,
                    },
                )
            else:
                self._json(404, {"message": "not found"})
        except OAuthError as err:
            self._json(err.status, {"error": err.error, "error_description": err.description})

    def _client(self, form: dict[str, str]) -> tuple[Client, str]:
        """Authenticate the client; returns it and the subject the token is issued to."""
        owner = self.owner
        auth = self.headers.get("Authorization", "")
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if auth.startswith("Basic "):
            client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        client = owner.clients.get(client_id or "")
        if client is None:
            raise OAuthError("invalid_client", "unknown client", 401)
        if form.get("client_assertion_type") == JWT_BEARER:
            # Entra-style workload identity federation: the platform token *is* the credential.
            owner.verify_platform_token(form.get("client_assertion", ""), client)
            return client, client.client_id
        if secret is not None:
            if client.secret is None or not secrets.compare_digest(secret, client.secret):
                raise OAuthError("invalid_client", "client authentication failed", 401)
            return client, client.client_id
        if form.get("grant_type") in (TOKEN_EXCHANGE, DEVICE_CODE) and client.secret is None:
            return client, client.client_id  # public client; the grant itself authenticates
        raise OAuthError("invalid_client", "client authentication required", 401)

    def _token(self, form: dict[str, str]) -> dict[str, Any]:
        owner = self.owner
        grant = form.get("grant_type")
        client, subject = self._client(form)
        scope = form.get("scope", "")
        unknown = sorted(set(scope.split()) - set(client.scopes))
        if unknown:
            raise OAuthError("invalid_scope", f"scope {unknown} not allowed for this client")
        if grant == "client_credentials":
            return owner.access_token(client, subject, scope)
        if grant == TOKEN_EXCHANGE:
            token = form.get("subject_token", "")
            if form.get("subject_token_type") != "urn:ietf:params:oauth:token-type:jwt":
                raise OAuthError("invalid_request", "subject_token_type must be a JWT")
            subject = owner.verify_platform_token(token, client)
            response = owner.access_token(client, subject, scope)
            response["issued_token_type"] = "urn:ietf:params:oauth:token-type:access_token"
            return response
        if grant == DEVICE_CODE:
            device = owner.devices.get(form.get("device_code", ""))
            if device is None or device.client_id != client.client_id:
                raise OAuthError("invalid_grant", "unknown device code")
            if time.time() > device.expires_at:
                raise OAuthError("expired_token", "device code expired")
            if device.denied:
                raise OAuthError("access_denied", "the user denied the request")
            if device.approved_as is None:
                raise OAuthError("authorization_pending", "waiting for the user")
            owner.devices.pop(form["device_code"])
            return owner.access_token(client, device.approved_as, device.scope or scope)
        raise OAuthError("unsupported_grant_type", f"grant {grant} is not supported")
