"""A spec-enforcing test double of the hoop gateway REST API (``<API_URL>/api``).

Why a double and not a mock: every zsp component that talks to hoop (the Pulumi dynamic provider,
``zsp creds``, the session exporter) must be right for the *real* gateway. This double is a real
HTTP server on 127.0.0.1 that

* validates **every request** against ``openapiv3.json`` (hoop at commit e939597) with
  ``openapi-core`` and answers ``400`` with a message naming the operation and the failing fields
  when it does not match (wrong types, missing required keys, read-only keys written, unknown
  query values, and — stricter than hoop's gin binding, which silently drops them — unknown JSON
  keys, because a typo there would be a silent no-op against the real gateway);
* validates **every response** it is about to send against the same contract and answers ``500``
  (``"hoop double produced a response that violates openapiv3.json: ..."``) instead, so the double
  cannot drift from the contract either;
* keeps state in memory with the semantics read from hoop's handlers (409 on duplicate names,
  the open-source edition's rule-count limits when ``state.edition == "oss"``,
  422 messages of access-request rules, ``PUT /serverconfig/misc`` replacing the whole document,
  plugin ``POST`` answering 400 "plugin already enabled", ...).

Every contract violation is also appended to :attr:`HoopDouble.violations`; the ``hoop_api``
fixture fails the test at teardown if any occurred, unless the test called
:meth:`HoopDouble.expect_violations` (for tests that send bad requests on purpose).

Stable API (other issues import it; change only additively)
------------------------------------------------------------
``HoopDouble(spec_path, api_keys=(...), jwt_verifier=None)`` then ``.start()`` / ``.stop()``:

* ``.url`` — base URL including ``/api`` (``http://127.0.0.1:<port>/api``).
* ``.state`` — :class:`HoopState`: dicts ``agents`` (by name), ``connections`` (by name),
  ``guardrails`` (by id), ``datamasking_rules`` (by id), ``access_request_rules`` (by name),
  ``service_accounts`` (by subject), ``plugins`` (by name), ``sessions`` (by id),
  ``credentials`` (by proxy token), ``reviews`` (by id), list ``audit_logs`` and dict ``misc``.
  Objects are stored in their API (JSON) shape. Mutate under ``state.lock`` if threads run.
* ``.requests`` — list of :class:`RecordedRequest` (every request, with ``valid`` and ``status``;
  ``Authorization`` is never recorded, only ``identity``).
* ``.violations`` — list of strings (request or response contract violations).
* Auth: ``Authorization: Bearer <token>``; accepted if ``token in api_keys`` (identity
  ``api-key``, groups ``["admin"]``) or ``jwt_verifier(token)`` returns claims (``sub``,
  ``email``, ``groups``); otherwise 401 ``{"message": "invalid authentication"}``.
  ``.api_keys`` (a set) and ``.jwt_verifier`` can be changed at any time.
* Faults (each consumes one matching request): ``fail_next(n=1, status=500, message=...,
  match=None)``, ``unauthorized_next(n=1)``, ``delay_next(n=1, seconds=1.0)``,
  ``drop_next(n=1)`` (closes the socket without an answer), ``reset_faults()``.
  ``match`` is ``"METHOD /path-prefix"`` (path without ``/api``), e.g. ``"POST /guardrails"``.
* Seeding for the session exporter: ``add_session(**fields) -> dict`` and
  ``add_audit_log(**fields) -> dict`` (defaults fill a contract-valid object; ``fields``
  override). Mutating API calls append audit-log entries automatically, like hoop does.
* ``POST /connections/{name}/credentials`` issues ``httpproxy-...`` proxy tokens with
  ``expire_at = now + access_duration_seconds`` (48 h ceiling, JIT rules honoured: a
  review-required request answers 202 with ``review_id`` and no token, as hoop does).
  ``.state.credentials[token]`` records subject, connection and expiry.
  ``decide_review(review_id, "APPROVED"|"REJECTED")`` then
  ``POST /connections/{name}/credentials/{session_id}`` resumes a review-gated request.

Contract normalisation: the published document has swag annotation defects that make it
unloadable by any strict OpenAPI tool (path parameters declared under the wrong name, e.g.
``id`` on ``PUT /access-requests/rules/{name}``, or not declared, e.g. ``PUT /guardrails/{id}``).
:func:`load_contract` repairs only those declarations; no schema is altered. Hoop also answers
some undeclared statuses (401 from its auth middleware on every route, 202 for review-gated
credentials, 403 for open-source-edition limits, 404 from ``PUT /guardrails/{id}``, 410 for
expired credentials); those
bodies are validated against
``openapi.HTTPError`` / the operation's 201 schema instead (``UNDECLARED_STATUS``).
"""

from __future__ import annotations

import base64
import copy
import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters

ORG_ID = "5a6d6b8e-3c1f-4d7a-9b2e-0f1e2d3c4b5a"
MAX_ACCESS_DURATION_SEC = 48 * 3600
NO_EXPIRY = "9999-12-31T00:00:00Z"
PROXY_TOKEN_PREFIX = "httpproxy-"
UNDECLARED_STATUS: dict[int, str] = {
    401: "openapi.HTTPError",
    403: "openapi.HTTPError",
    404: "openapi.HTTPError",
    410: "openapi.HTTPError",
}
"""Statuses hoop sends on routes whose annotations omit them; bodies checked against this schema."""

JwtVerifier = Callable[[str], Mapping[str, Any] | None]


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_CONTRACTS: dict[Path, tuple[dict[str, Any], OpenAPI]] = {}


def load_contract(spec_path: Path) -> tuple[dict[str, Any], OpenAPI]:
    """Load ``openapiv3.json`` served under ``/api`` and repair undeclared path parameters.

    Cached per path: building the validator takes ~0.5 s and every test starts a double.
    """
    key = Path(spec_path).resolve()
    if key not in _CONTRACTS:
        _CONTRACTS[key] = _load_contract(key)
    return _CONTRACTS[key]


def _load_contract(spec_path: Path) -> tuple[dict[str, Any], OpenAPI]:
    spec: dict[str, Any] = json.loads(Path(spec_path).read_text())
    spec["servers"] = [{"url": "/api"}]
    for template, item in spec["paths"].items():
        names = re.findall(r"{([^}]+)}", template)
        for method, operation in item.items():
            if method == "parameters":
                continue
            params = operation.setdefault("parameters", [])
            operation["parameters"] = [
                p for p in params if p.get("in") != "path" or p.get("name") in names
            ]
            declared = {p["name"] for p in operation["parameters"] if p.get("in") == "path"}
            for name in names:
                if name not in declared:
                    operation["parameters"].append(
                        {"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
                    )
    return spec, OpenAPI.from_dict(spec)


@dataclass
class Identity:
    """Who a request was authenticated as (never the credential itself)."""

    subject: str
    email: str
    groups: list[str]
    kind: str  # "api_key" | "jwt"


@dataclass
class RecordedRequest:
    """One request as received; ``body`` is the parsed JSON (or None)."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    raw_body: bytes
    identity: Identity | None
    status: int = 0
    valid: bool = True
    operation: str = ""


@dataclass
class _Fault:
    kind: str  # fail | unauthorized | delay | drop
    remaining: int
    status: int = 500
    message: str = "injected failure"
    seconds: float = 0.0
    match: str | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.match is None:
            return True
        want_method, _, prefix = self.match.partition(" ")
        return method.upper() == want_method.upper() and path.startswith(prefix)


@dataclass
class HoopState:
    """In-memory gateway state, objects in their API JSON shape."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    agents: dict[str, dict[str, Any]] = field(default_factory=dict)
    agent_keys: dict[str, str] = field(default_factory=dict)
    connections: dict[str, dict[str, Any]] = field(default_factory=dict)
    guardrails: dict[str, dict[str, Any]] = field(default_factory=dict)
    datamasking_rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    access_request_rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    service_accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    plugins: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    credentials: dict[str, dict[str, Any]] = field(default_factory=dict)
    reviews: dict[str, dict[str, Any]] = field(default_factory=dict)
    audit_logs: list[dict[str, Any]] = field(default_factory=list)
    misc: dict[str, Any] = field(
        default_factory=lambda: {"grpc_server_url": "grpc://127.0.0.1:8010"}
    )
    redact_provider: bool = True
    """hoop answers 422 to data-masking writes when no DLP provider is configured."""
    edition: str = "enterprise"
    """``"oss"`` enforces the open-source edition's rule-count limits with 403, as hoop does."""
    hide_role_info: bool = False
    """Org setting: when on, inline connection secrets read back as null (references round-trip)."""

    def connection(self, name_or_id: str) -> dict[str, Any] | None:
        found = self.connections.get(name_or_id)
        if found is not None:
            return found
        return next((c for c in self.connections.values() if c["id"] == name_or_id), None)

    def agent(self, name_or_id: str) -> dict[str, Any] | None:
        found = self.agents.get(name_or_id)
        if found is not None:
            return found
        return next((a for a in self.agents.values() if a["id"] == name_or_id), None)


class ApiError(Exception):
    """Raised by handlers: becomes ``{"message": ...}`` with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# --------------------------------------------------------------------------- contract checks


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        ref = schema["$ref"].removeprefix("#/components/schemas/")
        schema = spec["components"]["schemas"][ref]
    return schema


def _unknown_keys(
    spec: dict[str, Any], schema: dict[str, Any], value: Any, where: str
) -> list[str]:
    """Keys in ``value`` that the schema does not declare (hoop would silently drop them)."""
    schema = _resolve(spec, schema)
    problems: list[str] = []
    if "allOf" in schema:
        merged: dict[str, Any] = {"properties": {}}
        for part in schema["allOf"]:
            part = _resolve(spec, part)
            merged["properties"].update(part.get("properties", {}))
            if "additionalProperties" in part:
                merged["additionalProperties"] = part["additionalProperties"]
        merged["properties"].update(schema.get("properties", {}))
        schema = merged
    if isinstance(value, dict) and "properties" in schema:
        props = schema["properties"]
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if key in props:
                problems += _unknown_keys(spec, props[key], item, f"{where}.{key}")
            elif not extra:
                problems.append(f"{where}.{key}: unknown property")
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            problems += _unknown_keys(spec, schema["items"], item, f"{where}[{index}]")
    return problems


def _describe(error: Exception) -> str:
    cause = error.__cause__
    details = getattr(cause, "schema_errors", None) or getattr(error, "schema_errors", None)
    if details:
        parts = []
        for item in details:
            path = ".".join(str(p) for p in getattr(item, "absolute_path", [])) or "body"
            parts.append(f"{path}: {getattr(item, 'message', item)}")
        return "; ".join(parts)
    if cause is not None and str(cause):
        return f"{error}: {cause}"
    return str(error)


class _OapiRequest:
    def __init__(
        self, host: str, method: str, path: str, query: dict[str, list[str]], body: bytes | None
    ) -> None:
        self.host_url = host
        self.path = path
        self.full_url_pattern: str | None = None
        self.method = method.lower()
        self.body = body
        flat = {k: v[0] if len(v) == 1 else v for k, v in query.items()}
        self.parameters = RequestParameters(query=flat, header={}, cookie={}, path={})
        self.content_type = "application/json"


class _OapiResponse:
    def __init__(self, status: int, data: bytes | None) -> None:
        self.status_code = status
        self.data = data
        self.content_type = "application/json"
        self.headers: dict[str, str] = {"Content-Type": "application/json"}


# --------------------------------------------------------------------------- the double


class HoopDouble:
    """The server. See the module docstring for the stable API."""

    def __init__(
        self,
        spec_path: Path,
        api_keys: tuple[str, ...] | list[str] = (),
        jwt_verifier: JwtVerifier | None = None,
        proxy_hostname: str = "127.0.0.1",
    ) -> None:
        self.spec, self.openapi = load_contract(spec_path)
        self.api_keys: set[str] = set(api_keys)
        self.api_key: str | None = next(iter(api_keys), None)
        """The first accepted API key (what most tests authenticate with)."""
        self.jwt_verifier = jwt_verifier
        self.proxy_hostname = proxy_hostname
        self.state = HoopState()
        self.requests: list[RecordedRequest] = []
        self.violations: list[str] = []
        self._violations_expected = False
        self._faults: list[_Fault] = []
        self._faults_lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle
    def start(self) -> HoopDouble:
        double = self

        class Handler(_Handler):
            owner = double

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # a short poll interval: stop() (every fixture teardown) waits for one poll
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def port(self) -> int:
        assert self._server is not None, "double not started"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    # ---- faults
    def _add_fault(self, fault: _Fault) -> None:
        with self._faults_lock:
            self._faults.append(fault)

    def fail_next(
        self,
        n: int = 1,
        status: int = 500,
        message: str = "injected failure",
        match: str | None = None,
    ) -> None:
        """Answer the next ``n`` (matching) requests with ``status`` and ``{"message": ...}``."""
        self._add_fault(_Fault("fail", n, status=status, message=message, match=match))

    def unauthorized_next(self, n: int = 1, match: str | None = None) -> None:
        self._add_fault(_Fault("unauthorized", n, status=401, match=match))

    def delay_next(self, n: int = 1, seconds: float = 1.0, match: str | None = None) -> None:
        """Sleep ``seconds`` before handling the next ``n`` requests (client timeouts)."""
        self._add_fault(_Fault("delay", n, seconds=seconds, match=match))

    def drop_next(self, n: int = 1, match: str | None = None) -> None:
        """Close the connection without answering (client sees a connection error)."""
        self._add_fault(_Fault("drop", n, match=match))

    def reset_faults(self) -> None:
        with self._faults_lock:
            self._faults.clear()

    def _take_faults(self, method: str, path: str) -> list[_Fault]:
        taken: list[_Fault] = []
        with self._faults_lock:
            seen_kinds: set[str] = set()
            for fault in self._faults:
                if fault.kind in seen_kinds or not fault.matches(method, path):
                    continue
                seen_kinds.add(fault.kind)
                fault.remaining -= 1
                taken.append(fault)
            self._faults = [f for f in self._faults if f.remaining > 0]
        return taken

    # ---- violations
    def expect_violations(self) -> None:
        """Declare that this test sends contract-violating requests on purpose."""
        self._violations_expected = True

    @property
    def violations_expected(self) -> bool:
        return self._violations_expected

    # ---- seeding (session exporter, issue 8)
    def add_session(self, **fields: Any) -> dict[str, Any]:
        """Insert a contract-valid session; ``fields`` override the defaults."""
        start = _now() - timedelta(minutes=5)
        session: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "org_id": ORG_ID,
            "connection": "openai",
            "connection_subtype": "httpproxy",
            "type": "httpproxy",
            "verb": "connect",
            "status": "done",
            "user": "alice@example.com",
            "user_id": "alice-sub",
            "user_name": "Alice",
            "identity_type": "user",
            "start_date": _iso(start),
            "end_date": _iso(start + timedelta(minutes=1)),
            "metadata": {},
            "labels": {},
            "event_size": 0,
            "script": {"data": ""},
        }
        session.update(fields)
        self._check_schema("openapi.Session", session)
        with self.state.lock:
            self.state.sessions[session["id"]] = session
        return session

    def add_audit_log(self, **fields: Any) -> dict[str, Any]:
        """Insert a contract-valid security audit-log entry; ``fields`` override the defaults."""
        entry: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "org_id": ORG_ID,
            "actor_subject": "alice-sub",
            "actor_email": "alice@example.com",
            "actor_name": "Alice",
            "action": "create",
            "resource_type": "connections",
            "http_method": "POST",
            "http_path": "/api/connections",
            "http_status": 201,
            "outcome": True,
            "client_ip": "127.0.0.1",
            "created_at": _iso(_now()),
            "request_payload_redacted": {},
        }
        entry.update(fields)
        self._check_schema("openapi.SecurityAuditLogResponse", entry)
        with self.state.lock:
            self.state.audit_logs.append(entry)
        return entry

    def decide_review(self, review_id: str, status: str = "APPROVED") -> None:
        """Reviewer decision on a JIT request (``APPROVED`` or ``REJECTED``)."""
        if status not in ("APPROVED", "REJECTED"):
            raise ValueError("status must be APPROVED or REJECTED")
        with self.state.lock:
            self.state.reviews[review_id]["status"] = status

    def _check_schema(self, name: str, value: Any) -> None:
        from openapi_schema_validator import OAS30Validator

        schema = {"$ref": f"#/components/schemas/{name}", "components": self.spec["components"]}
        errors = sorted(OAS30Validator(schema).iter_errors(value), key=str)
        if errors:
            raise ValueError(f"seeded {name} violates openapiv3.json: {errors[0].message}")

    # ---- validation
    def validate_request(self, req: _OapiRequest, body: Any) -> str | None:
        try:
            self.openapi.validate_request(req)
        except Exception as err:  # noqa: BLE001 - every openapi-core error is a contract violation
            return _describe(err)
        if body is not None:
            schema = self._request_schema(req)
            if schema is not None:
                unknown = _unknown_keys(self.spec, schema, body, "body")
                if unknown:
                    return "; ".join(unknown)
        return None

    def _operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        api_path = path.removeprefix("/api")
        for template, item in self.spec["paths"].items():
            pattern = "^" + re.sub(r"{[^}]+}", "[^/]+", template) + "$"
            if re.match(pattern, api_path) and method.lower() in item:
                # prefer literal templates over parameterised ones
                return template, item[method.lower()]
        return None

    def _request_schema(self, req: _OapiRequest) -> dict[str, Any] | None:
        found = self._operation(req.method, req.path)
        if found is None:
            return None
        body = found[1].get("requestBody", {}).get("content", {}).get("application/json", {})
        schema = body.get("schema")
        return schema if isinstance(schema, dict) else None

    def validate_response(
        self, req: _OapiRequest, status: int, payload: bytes | None
    ) -> str | None:
        if status in UNDECLARED_STATUS or status == 202:
            found = self._operation(req.method, req.path)
            declared = found[1].get("responses", {}) if found else {}
            if str(status) not in declared:
                if status == 202 and "201" in declared:
                    schema = declared["201"]["content"]["application/json"]["schema"]
                    name = schema["$ref"].removeprefix("#/components/schemas/")
                else:
                    name = UNDECLARED_STATUS.get(status, "openapi.HTTPError")
                try:
                    self._check_schema(name, json.loads(payload or b"null"))
                except ValueError as err:
                    return str(err)
                return None
        try:
            self.openapi.validate_response(req, _OapiResponse(status, payload))
        except Exception as err:  # noqa: BLE001 - every openapi-core error is a contract violation
            return _describe(err)
        return None

    # ---- auth
    def authenticate(self, header: str | None) -> Identity | None:
        if not header or not header.startswith("Bearer "):
            return None
        token = header.removeprefix("Bearer ").strip()
        if token and token in self.api_keys:
            return Identity("api-key", "api-key@hoop.local", ["admin"], "api_key")
        if self.jwt_verifier is not None and token:
            try:
                claims = self.jwt_verifier(token)
            except Exception:  # noqa: BLE001 - any verifier failure means "not authenticated"
                claims = None
            if claims:
                groups = claims.get("groups") or []
                return Identity(
                    str(claims.get("sub", "")),
                    str(claims.get("email", claims.get("sub", ""))),
                    [str(g) for g in groups],
                    "jwt",
                )
        return None


class _Handler(BaseHTTPRequestHandler):
    owner: HoopDouble
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes: avoid 40 ms stalls

    def log_message(self, format: str, *args: Any) -> None:
        return  # keep test output clean; requests are in owner.requests

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _send(self, status: int, payload: bytes | None) -> None:
        self.send_response(status)
        if payload is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload or b"")))
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    def _serve(self, method: str) -> None:
        owner = self.owner
        split = urlsplit(self.path)
        path = unquote(split.path)
        query = parse_qs(split.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body: Any = None
        record = RecordedRequest(method, path, query, None, raw, None)
        owner.requests.append(record)
        api_path = path.removeprefix("/api")

        for fault in owner._take_faults(method, api_path):
            if fault.kind == "delay":
                time.sleep(fault.seconds)
            elif fault.kind == "drop":
                record.status = 0
                self.close_connection = True
                self.connection.close()
                return
            elif fault.kind in ("fail", "unauthorized"):
                message = (
                    "invalid authentication" if fault.kind == "unauthorized" else fault.message
                )
                record.status = fault.status
                self._send(fault.status, json.dumps({"message": message}).encode())
                return

        if not path.startswith("/api/"):
            record.status = 404
            self._send(404, json.dumps({"message": "not found"}).encode())
            return
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                record.valid = False
                record.status = 400
                owner.violations.append(f"{method} {path}: request body is not JSON")
                self._send(400, json.dumps({"message": "request body is not valid JSON"}).encode())
                return
        record.body = body
        host = f"http://127.0.0.1:{owner.port}"
        oreq = _OapiRequest(host, method, path, query, raw or None)

        public = api_path in ("/healthz", "/publicserverinfo")
        identity = None if public else owner.authenticate(self.headers.get("Authorization"))
        record.identity = identity
        if not public and identity is None:
            record.status = 401
            self._send(401, json.dumps({"message": "invalid authentication"}).encode())
            return

        problem = owner.validate_request(oreq, body)
        found = owner._operation(method, path)
        record.operation = f"{method} {found[0]}" if found else f"{method} {api_path}"
        if problem is not None:
            record.valid = False
            record.status = 400
            message = f"request does not match openapiv3.json ({record.operation}): {problem}"
            owner.violations.append(message)
            self._send(400, json.dumps({"message": message}).encode())
            return

        try:
            with owner.state.lock:
                status, result = _route(owner, identity, method, api_path, query, body)
        except ApiError as err:
            status, result = err.status, {"message": err.message}
        payload = None if result is None else json.dumps(result).encode()
        bad = owner.validate_response(oreq, status, payload)
        if bad is not None:
            message = (
                "hoop double produced a response that violates openapiv3.json "
                f"({record.operation} {status}): {bad}"
            )
            owner.violations.append(message)
            status, payload = 500, json.dumps({"message": message}).encode()
        record.status = status
        if method != "GET" and identity is not None:
            _audit(owner, identity, method, path, status, body)
        self._send(status, payload)


# --------------------------------------------------------------------------- routes


def _audit(
    owner: HoopDouble, identity: Identity, method: str, path: str, status: int, body: Any
) -> None:
    segments = [s for s in path.removeprefix("/api/").split("/") if s]
    action = {"POST": "create", "PUT": "update", "PATCH": "update", "DELETE": "delete"}[method]
    redacted: dict[str, str] = {}
    if isinstance(body, dict):
        for key, value in body.items():
            sensitive = key in ("secret", "envvars", "token", "config")
            redacted[key] = "[REDACTED]" if sensitive else json.dumps(value)[:200]
    with owner.state.lock:
        owner.state.audit_logs.append(
            {
                "id": str(uuid.uuid4()),
                "org_id": ORG_ID,
                "actor_subject": identity.subject,
                "actor_email": identity.email,
                "actor_name": identity.subject,
                "action": action,
                "resource_type": segments[0] if segments else "",
                "http_method": method,
                "http_path": path,
                "http_status": status,
                "outcome": status < 400,
                "client_ip": "127.0.0.1",
                "created_at": _iso(_now()),
                "request_payload_redacted": redacted,
            }
        )


def _not_found(what: str) -> ApiError:
    return ApiError(404, f"{what} not found")


Route = Callable[[HoopDouble, Identity | None, dict[str, str], dict[str, list[str]], Any], Any]
_ROUTES: list[tuple[str, re.Pattern[str], Route]] = []


def route(method: str, template: str) -> Callable[[Route], Route]:
    pattern = re.compile("^" + re.sub(r"{([^}]+)}", r"(?P<\1>[^/]+)", template) + "$")

    def register(fn: Route) -> Route:
        _ROUTES.append((method, pattern, fn))
        return fn

    return register


def _route(
    owner: HoopDouble,
    identity: Identity | None,
    method: str,
    path: str,
    query: dict[str, list[str]],
    body: Any,
) -> tuple[int, Any]:
    for want, pattern, fn in _ROUTES:
        match = pattern.match(path)
        if want == method and match:
            return fn(owner, identity, match.groupdict(), query, body)  # type: ignore[no-any-return]
    raise ApiError(404, f"route {method} {path} is not implemented by the hoop double")


def _q(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


_NAME = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,127}$")


def _check_name(name: str) -> None:
    if not _NAME.match(name):
        raise ApiError(422, f"invalid resource name {name!r}")


# ---- health


@route("GET", "/healthz")
def _healthz(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    return 200, None


# ---- agents


@route("POST", "/agents")
def _agent_create(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    name = body["name"]
    _check_name(name)
    mode = body.get("mode", "standard")
    if name in owner.state.agents:
        raise ApiError(409, "resource already exists")
    key = "xagt-" + secrets.token_urlsafe(32)
    owner.state.agents[name] = {
        "id": str(uuid.uuid4()),
        "name": name,
        "mode": mode,
        "status": "DISCONNECTED",
        "metadata": {},
    }
    owner.state.agent_keys[name] = key
    return 201, {"token": f"grpc://{name}:{key}@127.0.0.1:8010?mode={mode}"}


@route("GET", "/agents")
def _agent_list(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    return 200, [copy.deepcopy(a) for a in owner.state.agents.values()]


@route("GET", "/agents/{nameOrID}")
def _agent_get(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    agent = owner.state.agent(params["nameOrID"])
    if agent is None:
        raise _not_found("agent")
    return 200, copy.deepcopy(agent)


@route("DELETE", "/agents/{nameOrID}")
def _agent_delete(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    agent = owner.state.agent(params["nameOrID"])
    if agent is None:
        raise _not_found("agent")
    del owner.state.agents[agent["name"]]
    owner.state.agent_keys.pop(agent["name"], None)
    return 204, None


# ---- connections


def _connection_out(owner: HoopDouble, conn: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(conn)
    # one association table in hoop: a guardrail's connection_ids and a connection's
    # guardrail_rules are two views of it
    out["guardrail_rules"] = [
        g["id"] for g in owner.state.guardrails.values() if conn["id"] in g["connection_ids"]
    ]
    if owner.state.hide_role_info and isinstance(out.get("secret"), dict):
        out["secret"] = {k: (v if _is_reference(v) else None) for k, v in out["secret"].items()}
    return out


def _is_reference(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        plain = base64.b64decode(value, validate=True).decode()
    except ValueError:
        return False
    return plain.startswith(("_aws:", "_envjson:", "_vaultkv1:", "_vaultkv2:", "_aws_iam_rds:"))


def _validate_connection(owner: HoopDouble, body: dict[str, Any]) -> None:
    _check_name(body["name"])
    if owner.state.agent(body["agent_id"]) is None:
        raise ApiError(422, f"agent {body['agent_id']} not found")
    for key, value in (body.get("secret") or {}).items():
        if not key.startswith(("envvar:", "filesystem:")):
            raise ApiError(422, f"secret key {key!r} must start with envvar: or filesystem:")
        if value is not None:
            try:
                base64.b64decode(value, validate=True)
            except (ValueError, TypeError):
                raise ApiError(422, f"secret {key!r} must be base64 encoded") from None


@route("POST", "/connections")
def _conn_create(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    _validate_connection(owner, body)
    if owner.state.connection(body["name"]) is not None:
        raise ApiError(409, "Connection already exists.")
    conn = copy.deepcopy(body)
    conn["id"] = str(uuid.uuid4())
    conn["status"] = "offline"
    conn.setdefault("secret", {})
    _set_guardrails(owner, conn["id"], conn.pop("guardrail_rules", None) or [])
    owner.state.connections[conn["name"]] = conn
    return 201, _connection_out(owner, conn)


def _set_guardrails(owner: HoopDouble, conn_id: str, rule_ids: list[str]) -> None:
    """hoop's UpsertConnection rewrites the association: omitted rules are detached."""
    for rule_id in rule_ids:
        if rule_id not in owner.state.guardrails:
            raise ApiError(422, f"guard rail rule {rule_id} not found")
    for rule in owner.state.guardrails.values():
        attached = conn_id in rule["connection_ids"]
        if rule["id"] in rule_ids and not attached:
            rule["connection_ids"].append(conn_id)
        elif rule["id"] not in rule_ids and attached:
            rule["connection_ids"].remove(conn_id)


@route("GET", "/connections")
def _conn_list(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    items = list(owner.state.connections.values())
    if (subtype := _q(query, "subtype")) is not None:
        items = [c for c in items if c.get("subtype") == subtype]
    if (agent_id := _q(query, "agent_id")) is not None:
        items = [c for c in items if c.get("agent_id") == agent_id]
    return 200, [_connection_out(owner, c) for c in items]


@route("GET", "/connections/{nameOrID}")
def _conn_get(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    conn = owner.state.connection(params["nameOrID"])
    if conn is None:
        raise ApiError(404, "connection not found")
    return 200, _connection_out(owner, conn)


@route("PUT", "/connections/{nameOrID}")
def _conn_put(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    conn = owner.state.connection(params["nameOrID"])
    if conn is None:
        raise ApiError(404, "connection not found")
    if body["name"] != conn["name"]:
        raise ApiError(422, "the connection name is immutable")
    _validate_connection(owner, body)
    updated = copy.deepcopy(body)
    updated["id"] = conn["id"]
    updated["status"] = conn["status"]
    updated.setdefault("secret", {})
    _set_guardrails(owner, conn["id"], updated.pop("guardrail_rules", None) or [])
    owner.state.connections[conn["name"]] = updated
    return 200, _connection_out(owner, updated)


@route("PATCH", "/connections/{nameOrID}")
def _conn_patch(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    conn = owner.state.connection(params["nameOrID"])
    if conn is None:
        raise ApiError(404, "connection not found")
    patch = copy.deepcopy(body)
    if "guardrail_rules" in patch:
        _set_guardrails(owner, conn["id"], patch.pop("guardrail_rules") or [])
    conn.update(patch)
    return 200, _connection_out(owner, conn)


@route("DELETE", "/connections/{nameOrID}")
def _conn_delete(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    conn = owner.state.connection(params["nameOrID"])
    if conn is None:
        raise ApiError(404, "connection not found")
    del owner.state.connections[conn["name"]]
    _set_guardrails(owner, conn["id"], [])
    return 204, None


# ---- connection credentials (zsp creds, issue 5)

_CREDENTIAL_SUBTYPES = ("httpproxy", "kubernetes", "claude-code", "mcp", "mcpproxy")


def _jit_rule(owner: HoopDouble, conn_name: str) -> dict[str, Any] | None:
    for rule in owner.state.access_request_rules.values():
        if rule["access_type"] in ("jit", "jit_command") and conn_name in rule["connection_names"]:
            return rule
    return None


@route("POST", "/connections/{nameOrID}/credentials")
def _conn_credentials(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    assert identity is not None
    conn = owner.state.connection(params["nameOrID"])
    if conn is None:
        raise ApiError(404, f"connection {params['nameOrID']} not found")
    if conn.get("subtype") not in _CREDENTIAL_SUBTYPES:
        raise ApiError(400, "connection subtype is not supported for this connection")
    if conn.get("access_mode_connect") != "enabled":
        raise ApiError(400, "access mode connect is not enabled for this connection")
    duration = int((body or {}).get("access_duration_seconds") or 0)
    rule = _jit_rule(owner, conn["name"])
    requires_review = False
    if rule is not None:
        required = rule.get("approval_required_groups") or []
        skip = rule.get("skip_review_groups") or []
        if required:
            requires_review = bool(set(required) & set(identity.groups))
        else:
            requires_review = not (set(skip) & set(identity.groups))
        if not requires_review:
            if duration <= 0:
                raise ApiError(
                    400,
                    "access_duration_seconds is required for connections with an access "
                    "request rule",
                )
            if rule.get("access_max_duration") and duration > rule["access_max_duration"]:
                raise ApiError(
                    400,
                    "access duration cannot exceed the rule's max duration of "
                    f"{rule['access_max_duration']} seconds",
                )
    if requires_review and duration <= 0:
        raise ApiError(400, "access_duration_seconds is required for review-required connections")
    if duration > MAX_ACCESS_DURATION_SEC:
        raise ApiError(400, "access duration cannot exceed 48 hours")
    if requires_review and rule and rule.get("access_max_duration"):
        if duration > rule["access_max_duration"]:
            raise ApiError(
                400,
                "access duration cannot exceed the rule's max duration of "
                f"{rule['access_max_duration']} seconds",
            )
    now = _now()
    session_id = str(uuid.uuid4())
    base = {
        "connection_name": conn["name"],
        "connection_type": conn["type"],
        "connection_subtype": conn.get("subtype", ""),
        "session_id": session_id,
        "created_at": _iso(now),
    }
    owner.state.sessions[session_id] = {
        "id": session_id,
        "org_id": ORG_ID,
        "connection": conn["name"],
        "connection_subtype": conn.get("subtype", ""),
        "type": conn.get("subtype", ""),
        "verb": "connect",
        "status": "open",
        "user": identity.email,
        "user_id": identity.subject,
        "user_name": identity.subject,
        "identity_type": "user",
        "start_date": _iso(now),
        "metadata": {},
        "labels": {},
    }
    if requires_review:
        review_id = str(uuid.uuid4())
        owner.state.reviews[review_id] = {
            "id": review_id,
            "session_id": session_id,
            "status": "PENDING",
            "access_request_rule_name": rule["name"] if rule else None,
            "requester": identity.subject,
            "access_duration_seconds": duration,
        }
        return 202, {
            **base,
            "has_review": True,
            "review_id": review_id,
            "expire_at": _iso(now + timedelta(seconds=duration)),
        }
    expire_at = _iso(now + timedelta(seconds=duration)) if duration > 0 else NO_EXPIRY
    return 201, _issue(owner, identity, conn, base, expire_at)


def _issue(
    owner: HoopDouble,
    identity: Identity,
    conn: dict[str, Any],
    base: dict[str, Any],
    expire_at: str,
) -> dict[str, Any]:
    token = PROXY_TOKEN_PREFIX + secrets.token_urlsafe(32)
    listen = (owner.state.misc.get("http_proxy_server_config") or {}).get("listen_address", "")
    port = listen.rsplit(":", 1)[-1] if ":" in listen else "18888"
    credential_id = str(uuid.uuid4())
    owner.state.credentials[token] = {
        "id": credential_id,
        "connection": conn["name"],
        "subject": identity.subject,
        "groups": list(identity.groups),
        "expire_at": expire_at,
        "session_id": base["session_id"],
    }
    return {
        **base,
        "id": credential_id,
        "has_review": False,
        "expire_at": expire_at,
        "connection_credentials": {
            "hostname": owner.proxy_hostname,
            "port": port,
            "proxy_token": token,
            "command": f"curl -H 'Authorization: {token}' http://{owner.proxy_hostname}:{port}",
        },
    }


@route("POST", "/connections/{nameOrID}/credentials/{sessionID}")
def _conn_credentials_resume(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    """Resume a review-gated request (hoop: 202 while pending, 403 rejected, 201 approved)."""
    assert identity is not None
    session = owner.state.sessions.get(params["sessionID"])
    if session is None:
        raise ApiError(404, "session not found")
    if session.get("user_id") != identity.subject:
        raise ApiError(403, "session does not belong to user")
    review = next(
        (r for r in owner.state.reviews.values() if r["session_id"] == session["id"]), None
    )
    if review is None:
        raise ApiError(404, "review not found for this session")
    if review["status"] == "PENDING":
        return 202, {
            "message": "review is still pending approval",
            "session_id": session["id"],
            "review_id": review["id"],
            "status": "PENDING",
        }
    if review["status"] == "REJECTED":
        raise ApiError(403, "review was rejected")
    conn = owner.state.connection(params["nameOrID"])
    if conn is None:
        raise ApiError(404, f"connection {params['nameOrID']} not found")
    existing = next(
        (c for c in owner.state.credentials.values() if c["session_id"] == session["id"]), None
    )
    if existing is not None:
        if _parse_time(existing["expire_at"]) < _now():
            raise ApiError(410, "credentials have expired")
        expire_at = existing["expire_at"]
    else:
        expire_at = _iso(_now() + timedelta(seconds=review["access_duration_seconds"]))
    base = {
        "connection_name": conn["name"],
        "connection_type": conn["type"],
        "connection_subtype": conn.get("subtype", ""),
        "session_id": session["id"],
        "created_at": _iso(_now()),
    }
    return 201, _issue(owner, identity, conn, base, expire_at)


# ---- guardrails


def _find_by_name(items: dict[str, dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((i for i in items.values() if i["name"] == name), None)


def _uuids(values: list[str]) -> None:
    for value in values:
        try:
            uuid.UUID(value)
        except ValueError:
            raise ApiError(400, f"invalid connection ID {value}") from None


def _count_rules(section: Any) -> int:
    rules = section.get("rules") if isinstance(section, dict) else None
    return len(rules) if isinstance(rules, list) else 0


@route("POST", "/guardrails")
def _guardrail_create(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    _check_name(body["name"])
    if owner.state.edition == "oss":
        if owner.state.guardrails:
            raise ApiError(403, "guardrail rules are limited to 1 rule in OSS version")
        for side in ("input", "output"):
            if _count_rules(body.get(side)) > 1:
                raise ApiError(403, f"{side} rules are limited to 1 rule in OSS version")
    if _find_by_name(owner.state.guardrails, body["name"]) is not None:
        raise ApiError(409, "resource already exists")
    _uuids(body.get("connection_ids") or [])
    now = _iso(_now())
    rule = {
        "id": str(uuid.uuid4()),
        "name": body["name"],
        "description": body.get("description", ""),
        "input": body.get("input") or {},
        "output": body.get("output") or {},
        "connection_ids": [c for c in body.get("connection_ids") or [] if c],
        "attributes": body.get("attributes") or [],
        "created_at": now,
        "updated_at": now,
    }
    owner.state.guardrails[rule["id"]] = rule
    return 201, copy.deepcopy(rule)


@route("GET", "/guardrails")
def _guardrail_list(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    return 200, [copy.deepcopy(r) for r in owner.state.guardrails.values()]


@route("GET", "/guardrails/{id}")
def _guardrail_get(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    rule = owner.state.guardrails.get(params["id"])
    if rule is None:
        raise ApiError(404, "resource not found")
    return 200, copy.deepcopy(rule)


@route("PUT", "/guardrails/{id}")
def _guardrail_put(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    rule = owner.state.guardrails.get(params["id"])
    if rule is None:
        # hoop's Put answers 404 though its annotations list only 400/500 (UNDECLARED_STATUS)
        raise ApiError(404, "resource not found")
    other = _find_by_name(owner.state.guardrails, body["name"])
    if other is not None and other["id"] != rule["id"]:
        raise ApiError(400, "a guardrail rule with this name already exists")
    _uuids(body.get("connection_ids") or [])
    rule.update(
        name=body["name"],
        description=body.get("description", ""),
        input=body.get("input") or {},
        output=body.get("output") or {},
        connection_ids=[c for c in body.get("connection_ids") or [] if c],
        attributes=body.get("attributes") or [],
        updated_at=_iso(_now()),
    )
    return 200, copy.deepcopy(rule)


@route("DELETE", "/guardrails/{id}")
def _guardrail_delete(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    if owner.state.guardrails.pop(params["id"], None) is None:
        raise ApiError(404, "resource not found")
    return 204, None


# ---- data masking rules


def _validate_masking(owner: HoopDouble, body: dict[str, Any]) -> None:
    if not owner.state.redact_provider:
        raise ApiError(422, "no data masking provider is configured (DLP_PROVIDER)")
    score = body.get("score_threshold")
    if score is not None and not 0 <= score <= 1:
        raise ApiError(400, "score threshold must be between 0 and 1")
    _uuids(body.get("connection_ids") or [])
    for entry in body.get("supported_entity_types") or []:
        name, types = entry.get("name", ""), entry.get("entity_types") or []
        if not name or not types:
            raise ApiError(400, "missing entity types or name in supported entity types")
        if name != name.upper():
            raise ApiError(400, f"entity type name must be uppercase: {name}")
        for item in types:
            if not re.fullmatch(r"[A-Z0-9_]+", item):
                raise ApiError(
                    400,
                    "entity type must contain only uppercase letters, digits, or "
                    f"underscores: {item!r}",
                )
    for entry in body.get("custom_entity_types") or []:
        if not entry.get("name") or not (entry.get("deny_list") or entry.get("regex")):
            raise ApiError(400, "missing name, deny_list or regex in custom entity types")


def _masking_rule(body: dict[str, Any], rule_id: str) -> dict[str, Any]:
    rule = {
        "id": rule_id,
        "name": body["name"],
        "description": body.get("description", ""),
        "connection_ids": body.get("connection_ids") or [],
        "supported_entity_types": body.get("supported_entity_types") or [],
        "custom_entity_types": body.get("custom_entity_types") or [],
        "attributes": body.get("attributes") or [],
        "updated_at": _iso(_now()),
    }
    if body.get("score_threshold") is not None:
        rule["score_threshold"] = body["score_threshold"]
    return rule


@route("POST", "/datamasking-rules")
def _masking_create(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    _check_name(body["name"])
    _validate_masking(owner, body)
    if owner.state.edition == "oss":
        if owner.state.datamasking_rules:
            raise ApiError(403, "data masking rules are limited to 1 rule in OSS version")
        supported = body.get("supported_entity_types") or []
        custom = body.get("custom_entity_types") or []
        if supported and custom:
            raise ApiError(
                403,
                "supported entity types and custom entity types cannot be both defined in OSS "
                "version",
            )
        if len(supported) > 1:
            raise ApiError(403, "supported entity types are limited to 1 rule in OSS version")
        if supported and len(supported[0].get("entity_types") or []) > 1:
            raise ApiError(
                403, "supported entity types are limited to 1 entity type in OSS version"
            )
        if len(custom) > 1:
            raise ApiError(403, "custom entity types are limited to 1 rule in OSS version")
    if _find_by_name(owner.state.datamasking_rules, body["name"]) is not None:
        raise ApiError(409, "resource already exists")
    rule = _masking_rule(body, str(uuid.uuid4()))
    owner.state.datamasking_rules[rule["id"]] = rule
    return 201, copy.deepcopy(rule)


@route("GET", "/datamasking-rules")
def _masking_list(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    return 200, [copy.deepcopy(r) for r in owner.state.datamasking_rules.values()]


@route("GET", "/datamasking-rules/{id}")
def _masking_get(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    rule = owner.state.datamasking_rules.get(params["id"])
    if rule is None:
        raise ApiError(404, "resource not found")
    return 200, copy.deepcopy(rule)


@route("PUT", "/datamasking-rules/{id}")
def _masking_put(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    rule = owner.state.datamasking_rules.get(params["id"])
    if rule is None:
        raise ApiError(404, "resource not found")
    if body["name"] != rule["name"]:
        raise ApiError(400, "the data masking rule name is immutable")
    _validate_masking(owner, body)
    updated = _masking_rule(body, rule["id"])
    owner.state.datamasking_rules[rule["id"]] = updated
    return 200, copy.deepcopy(updated)


@route("DELETE", "/datamasking-rules/{id}")
def _masking_delete(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    if owner.state.datamasking_rules.pop(params["id"], None) is None:
        raise ApiError(404, "resource not found")
    return 204, None


# ---- access request rules


def _validate_access_rule(
    owner: HoopDouble, body: dict[str, Any], current: dict[str, Any] | None
) -> None:
    for other in owner.state.access_request_rules.values():
        if current is not None and other["name"] == current["name"]:
            continue
        if other["access_type"] == body["access_type"] and set(other["connection_names"]) & set(
            body["connection_names"]
        ):
            shared = sorted(set(other["connection_names"]) & set(body["connection_names"]))[0]
            raise ApiError(
                422,
                "an access request rule with the same connection names and access type already "
                f"exists, conflicting connection: {shared}",
            )
    _check_name(body["name"])
    if not body["connection_names"] and not body.get("attributes"):
        raise ApiError(422, "either connection_names or attributes must have at least 1 entry")
    if not body["reviewers_groups"]:
        raise ApiError(422, "reviewers_groups must have at least 1 entry")
    if not body.get("all_groups_must_approve") and (body.get("min_approvals") or 0) < 1:
        raise ApiError(
            422, "min_approvals must be at least 1 when all_groups_must_approve is false"
        )
    if body.get("skip_review_groups") and body["approval_required_groups"]:
        raise ApiError(
            422, "skip_review_groups can only be set when approval_required_groups is empty"
        )


def _access_rule(body: dict[str, Any], rule_id: str, created: str) -> dict[str, Any]:
    rule = {
        "id": rule_id,
        "name": body["name"],
        "description": body.get("description", ""),
        "access_type": body["access_type"],
        "connection_names": body["connection_names"],
        "approval_required_groups": body["approval_required_groups"],
        "all_groups_must_approve": bool(body.get("all_groups_must_approve", False)),
        "reviewers_groups": body["reviewers_groups"],
        "force_approval_groups": body["force_approval_groups"],
        "skip_review_groups": body.get("skip_review_groups") or [],
        "attributes": body.get("attributes") or [],
        "created_at": created,
        "updated_at": _iso(_now()),
    }
    for key in ("access_max_duration", "min_approvals"):
        if body.get(key) is not None:
            rule[key] = body[key]
    return rule


@route("POST", "/access-requests/rules")
def _access_create(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    if owner.state.edition == "oss" and owner.state.access_request_rules:
        raise ApiError(403, "access request rules are limited to 1 in the OSS version")
    _validate_access_rule(owner, body, None)
    if body["name"] in owner.state.access_request_rules:
        raise ApiError(422, "access request rule with the same name already exists")
    rule = _access_rule(body, str(uuid.uuid4()), _iso(_now()))
    owner.state.access_request_rules[rule["name"]] = rule
    return 201, copy.deepcopy(rule)


@route("GET", "/access-requests/rules")
def _access_list(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    page = int(_q(query, "page") or 1)
    size = int(_q(query, "page_size") or 50)
    items = list(owner.state.access_request_rules.values())
    chunk = items[(page - 1) * size : page * size]
    return 200, {
        "data": copy.deepcopy(chunk),
        "pages": {"page": page, "size": size, "total": len(items)},
    }


@route("GET", "/access-requests/rules/{name}")
def _access_get(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    rule = owner.state.access_request_rules.get(params["name"])
    if rule is None:
        raise ApiError(404, "access request rule not found")
    return 200, copy.deepcopy(rule)


@route("PUT", "/access-requests/rules/{name}")
def _access_put(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    rule = owner.state.access_request_rules.get(params["name"])
    if rule is None:
        raise ApiError(404, "access request rule not found")
    _validate_access_rule(owner, body, rule)
    updated = _access_rule(body, rule["id"], rule["created_at"])
    del owner.state.access_request_rules[rule["name"]]
    owner.state.access_request_rules[updated["name"]] = updated
    return 200, copy.deepcopy(updated)


@route("DELETE", "/access-requests/rules/{name}")
def _access_delete(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    if owner.state.access_request_rules.pop(params["name"], None) is None:
        raise ApiError(404, "access request rule not found")
    return 204, None


# ---- service accounts (hoop has no GET-one and no DELETE: status inactive disables)


def _service_account(body: dict[str, Any], sa_id: str) -> dict[str, Any]:
    return {
        "id": sa_id,
        "org_id": ORG_ID,
        "subject": body["subject"],
        "name": body.get("name", ""),
        "groups": body.get("groups") or [],
        "status": body["status"],
    }


@route("POST", "/serviceaccounts")
def _sa_create(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    if not body["subject"]:
        raise ApiError(422, "subject is empty")
    if body["subject"] in owner.state.service_accounts:
        raise ApiError(409, "resource already exists")
    account = _service_account(body, str(uuid.uuid4()))
    owner.state.service_accounts[account["subject"]] = account
    return 201, copy.deepcopy(account)


@route("GET", "/serviceaccounts")
def _sa_list(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    return 200, [copy.deepcopy(a) for a in owner.state.service_accounts.values()]


@route("PUT", "/serviceaccounts/{subject}")
def _sa_put(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    account = owner.state.service_accounts.get(params["subject"])
    if account is None:
        raise ApiError(404, "resource not found")
    if body["subject"] != account["subject"]:
        raise ApiError(422, "subject is immutable")
    updated = _service_account(body, account["id"])
    owner.state.service_accounts[account["subject"]] = updated
    return 200, copy.deepcopy(updated)


# ---- server config misc (PUT replaces the whole document, as hoop does)


_LISTENERS = (
    "http_proxy_server_config",
    "postgres_server_config",
    "ssh_server_config",
    "rdp_server_config",
)


@route("GET", "/serverconfig/misc")
def _misc_get(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    return 200, copy.deepcopy(owner.state.misc)


@route("PUT", "/serverconfig/misc")
def _misc_put(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    grpc_url = body.get("grpc_server_url") or "grpc://127.0.0.1:8010"
    if not grpc_url.startswith(("grpc://", "grpcs://", "http://", "https://")):
        raise ApiError(
            400,
            "invalid attribute for 'grpc_server_url', it must start with 'grpc://', 'grpcs://', "
            "'http://', or 'https://'",
        )
    new: dict[str, Any] = {"grpc_server_url": grpc_url}
    for key in _LISTENERS:
        conf = body.get(key)
        if conf is None:
            continue
        address = conf.get("listen_address", "")
        if address and ":" not in address:
            raise ApiError(400, "listen address must be in the format <host>:<port>")
        new[key] = copy.deepcopy(conf)
    owner.state.misc = new
    return 200, copy.deepcopy(new)


# ---- plugins


def _plugin_out(owner: HoopDouble, plugin: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(plugin)
    config = out.get("config")
    if isinstance(config, dict) and config.get("envvars"):
        config["envvars"] = dict.fromkeys(config["envvars"], "REDACTED")
    connections = []
    for item in out.get("connections", []):
        conn = owner.state.connection(item.get("id", "")) or owner.state.connection(
            item.get("name", "")
        )
        if conn is not None:  # associations die with their connection
            connections.append({"id": conn["id"], "name": conn["name"], "config": item["config"]})
    out["connections"] = connections
    return out


def _plugin_connections(owner: HoopDouble, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    resolved = []
    for item in items:
        conn = owner.state.connection(item.get("id") or "") or owner.state.connection(
            item.get("name") or ""
        )
        if conn is None:
            raise ApiError(422, f"connection {item.get('name') or item.get('id')} not found")
        resolved.append(
            {"id": conn["id"], "name": conn["name"], "config": item.get("config") or []}
        )
    return resolved


@route("POST", "/plugins")
def _plugin_create(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    if body["name"] in owner.state.plugins:
        raise ApiError(400, "plugin already enabled")
    plugin = {
        "id": str(uuid.uuid4()),
        "name": body["name"],
        "connections": _plugin_connections(owner, body["connections"]),
        "priority": 0,
        "source": "null",
    }
    if body.get("config") is not None:
        plugin["config"] = {"id": str(uuid.uuid4()), **copy.deepcopy(body["config"])}
    owner.state.plugins[plugin["name"]] = plugin
    return 201, _plugin_out(owner, plugin)


@route("GET", "/plugins")
def _plugin_list(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    return 200, [_plugin_out(owner, p) for p in owner.state.plugins.values()]


@route("GET", "/plugins/{name}")
def _plugin_get(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    plugin = owner.state.plugins.get(params["name"])
    if plugin is None:
        raise ApiError(404, "plugin not found")
    return 200, _plugin_out(owner, plugin)


@route("PUT", "/plugins/{name}")
def _plugin_put(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    plugin = owner.state.plugins.get(params["name"])
    if plugin is None:
        raise ApiError(404, "plugin not found")
    plugin["connections"] = _plugin_connections(owner, body["connections"])
    return 200, _plugin_out(owner, plugin)


def _plugin_conn(
    owner: HoopDouble, params: dict[str, str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    plugin = owner.state.plugins.get(params["name"])
    conn = owner.state.connection(params["id"])
    if plugin is None or conn is None:
        raise ApiError(404, "either the plugin or the connection does not exist")
    return plugin, conn


@route("PUT", "/plugins/{name}/conn/{id}")
def _plugin_conn_put(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    if params["name"] in ("review", "dlp"):
        raise ApiError(
            400, "unable to manage review or dlp plugins, use the connection endpoint instead"
        )
    plugin, conn = _plugin_conn(owner, params)
    plugin["connections"] = [c for c in plugin["connections"] if c["id"] != conn["id"]]
    plugin["connections"].append(
        {"id": conn["id"], "name": conn["name"], "config": (body or {}).get("config") or []}
    )
    return 200, _plugin_conn_out(plugin, conn)


def _plugin_conn_out(plugin: dict[str, Any], conn: dict[str, Any]) -> dict[str, Any]:
    item = next(c for c in plugin["connections"] if c["id"] == conn["id"])
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, plugin["id"] + conn["id"])),
        "plugin_id": plugin["id"],
        "connection_id": conn["id"],
        "config": item["config"],
        "updated_at": _iso(_now()),
    }


@route("GET", "/plugins/{name}/conn/{id}")
def _plugin_conn_get(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    plugin, conn = _plugin_conn(owner, params)
    if not any(c["id"] == conn["id"] for c in plugin["connections"]):
        raise ApiError(404, "either the plugin or the connection does not exist")
    return 200, _plugin_conn_out(plugin, conn)


@route("DELETE", "/plugins/{name}/conn/{id}")
def _plugin_conn_delete(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    plugin, conn = _plugin_conn(owner, params)
    before = len(plugin["connections"])
    plugin["connections"] = [c for c in plugin["connections"] if c["id"] != conn["id"]]
    if len(plugin["connections"]) == before:
        raise ApiError(404, "either the plugin or the connection does not exist")
    return 204, None


# ---- sessions and audit logs (session exporter, issue 8)


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@route("GET", "/sessions")
def _session_list(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    items = sorted(owner.state.sessions.values(), key=lambda s: s.get("start_date", ""))
    for key in ("user", "connection", "type"):
        if (want := _q(query, key)) is not None:
            items = [s for s in items if s.get(key) == want]
    if (start := _q(query, "start_date")) is not None:
        items = [s for s in items if _parse_time(s["start_date"]) >= _parse_time(start)]
    if (end := _q(query, "end_date")) is not None:
        items = [s for s in items if _parse_time(s["start_date"]) <= _parse_time(end)]
    offset = int(_q(query, "offset") or 0)
    limit = int(_q(query, "limit") or 20)
    chunk = items[offset : offset + limit]
    return 200, {
        "data": copy.deepcopy(chunk),
        "has_next_page": offset + limit < len(items),
        "total": len(items),
        "total_is_capped": False,
    }


@route("GET", "/sessions/{session_id}")
def _session_get(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    session = owner.state.sessions.get(params["session_id"])
    if session is None:
        raise ApiError(404, "session not found")
    return 200, copy.deepcopy(session)


@route("GET", "/audit/logs")
def _audit_list(owner, identity, params, query, body):  # type: ignore[no-untyped-def]
    page = int(_q(query, "page") or 1)
    size = int(_q(query, "page_size") or 50)
    items = list(owner.state.audit_logs)
    for key in ("actor_subject", "actor_email", "resource_type", "action", "http_method"):
        if (want := _q(query, key)) is not None:
            items = [e for e in items if e.get(key) == want]
    if (status := _q(query, "http_status")) is not None:
        items = [e for e in items if e.get("http_status") == int(status)]
    if (outcome := _q(query, "outcome")) is not None:
        items = [e for e in items if e.get("outcome") == (outcome == "true")]
    if (after := _q(query, "created_after")) is not None:
        items = [e for e in items if _parse_time(e["created_at"]) > _parse_time(after)]
    if (before := _q(query, "created_before")) is not None:
        items = [e for e in items if _parse_time(e["created_at"]) < _parse_time(before)]
    chunk = items[(page - 1) * size : page * size]
    return 200, {
        "data": copy.deepcopy(chunk),
        "pages": {"page": page, "size": size, "total": len(items)},
    }


def running(
    spec_path: Path,
    api_keys: tuple[str, ...] | list[str] = (),
    jwt_verifier: JwtVerifier | None = None,
) -> Iterator[HoopDouble]:
    """Start a double, yield it, stop it (for fixtures outside pytest)."""
    double = HoopDouble(spec_path, api_keys=api_keys, jwt_verifier=jwt_verifier).start()
    try:
        yield double
    finally:
        double.stop()
