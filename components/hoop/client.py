"""A small, strict REST client for the hoop gateway API (``<API_URL>/api``).

Why its own client: the Pulumi dynamic provider, ``zsp creds`` and the session exporter all talk to
hoop and must behave the same way on failure —

* **auth** is a bearer token supplied at request time: preferably a short-lived IdP access token
  (:class:`ClientCredentialsToken` fetches and caches one), otherwise the gateway's bootstrap API
  key read from a Pulumi secret. The client never holds a literal and never prints the token;
* **retries** only where a retry can help: 5xx answers and connection errors/timeouts, with
  exponential backoff (``backoff_base * 2**attempt``, capped) and a bound on attempts. A 4xx is
  an answer about the request itself and is raised at once;
* **errors** carry hoop's own ``message``, the HTTP status, the operation and the *object name*
  (so ``pulumi up`` says which guardrail failed) and never a credential: any occurrence of the
  token in a message is replaced by ``[redacted]`` before it reaches an exception.

Retrying a ``POST`` after a timeout can reach hoop twice; the provider treats the resulting 409
(or hoop's 422 "already exists") as "adopt if the spec matches", which makes creates idempotent.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

log = logging.getLogger("zsp.hoop")

REDACTED = "[redacted]"
TokenSource = Callable[[], str]
"""Returns a bearer token for the next request (called per attempt, so refreshes are picked up)."""


class HoopError(Exception):
    """A hoop API call failed; ``str()`` is safe to print (no credential)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        operation: str = "",
        object_name: str = "",
        hoop_message: str = "",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.operation = operation
        self.object_name = object_name
        self.hoop_message = hoop_message


class HoopNotFound(HoopError):
    """404: the object does not exist (for ``read``: it was deleted behind our back)."""


class HoopConflict(HoopError):
    """409 (or hoop's 422 "already exists"): an object with that name exists."""


class HoopAuthError(HoopError):
    """401/403: the token was refused or lacks the admin role."""


class HoopUnavailable(HoopError):
    """Retries exhausted on 5xx, connection errors or timeouts."""


def api_base(api_url: str) -> str:
    """``https://gw.example.com`` or ``.../api`` → ``https://gw.example.com/api``."""
    base = api_url.rstrip("/")
    return base if base.endswith("/api") else f"{base}/api"


def static_token(value: str) -> TokenSource:
    """Wrap a token already resolved from a secret (IdP access token or bootstrap API key)."""
    if not value:
        raise ValueError("the hoop token is empty")
    return lambda: value


@dataclass
class ClientCredentialsToken:
    """OAuth2 client-credentials grant against the IdP; caches the access token until near expiry.

    Preferred over the bootstrap API key: the token is short-lived, names a subject hoop maps to
    groups (a service account), and a leaked one expires by itself.
    """

    token_url: str
    client_id: str
    client_secret: str
    scope: str | None = None
    audience: str | None = None
    timeout: float = 10.0
    transport: httpx.BaseTransport | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0

    def __call__(self) -> str:
        with self._lock:
            if self._token is None or time.monotonic() > self._expires_at - 30:
                self._refresh()
            assert self._token is not None
            return self._token

    def _refresh(self) -> None:
        form = {"grant_type": "client_credentials"}
        if self.scope:
            form["scope"] = self.scope
        if self.audience:
            form["audience"] = self.audience
        try:
            with httpx.Client(timeout=self.timeout, transport=self.transport) as http:
                response = http.post(
                    self.token_url, data=form, auth=(self.client_id, self.client_secret)
                )
        except httpx.HTTPError as err:
            raise HoopAuthError(
                f"IdP token request to {self.token_url} failed: {type(err).__name__}",
                operation="token",
            ) from None
        if response.status_code != 200:
            raise HoopAuthError(
                f"IdP token request to {self.token_url} answered HTTP {response.status_code}",
                status=response.status_code,
                operation="token",
            )
        body = response.json()
        self._token = str(body["access_token"])
        self._expires_at = time.monotonic() + float(body.get("expires_in", 300))


class HoopClient:
    """Minimal hoop API client with bounded retries; one instance per provider call or command."""

    def __init__(
        self,
        api_url: str,
        token: TokenSource,
        *,
        timeout: float = 10.0,
        max_attempts: int = 4,
        backoff_base: float = 0.25,
        backoff_max: float = 4.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.base_url = api_base(api_url)
        self._token = token
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._sleep = sleep
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)
        self._secrets: set[str] = set()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HoopClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- verbs
    def get(
        self, path: str, *, object_name: str = "", params: Mapping[str, Any] | None = None
    ) -> Any:
        return self.request("GET", path, object_name=object_name, params=params)

    def post(
        self, path: str, body: Any, *, object_name: str = "", retry_after_send: bool = True
    ) -> Any:
        return self.request(
            "POST", path, object_name=object_name, json=body, retry_after_send=retry_after_send
        )

    def put(self, path: str, body: Any, *, object_name: str = "") -> Any:
        return self.request("PUT", path, object_name=object_name, json=body)

    def patch(self, path: str, body: Any, *, object_name: str = "") -> Any:
        return self.request("PATCH", path, object_name=object_name, json=body)

    def delete(self, path: str, *, object_name: str = "") -> Any:
        return self.request("DELETE", path, object_name=object_name)

    @staticmethod
    def segment(value: str) -> str:
        """Quote one path segment (names may contain ``/`` or spaces)."""
        return quote(value, safe="")

    # ---- core
    def request(
        self,
        method: str,
        path: str,
        *,
        object_name: str = "",
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        retry_after_send: bool = True,
    ) -> Any:
        """Send one API call with bounded retries.

        ``retry_after_send=False`` is for calls whose answer cannot be obtained twice (creating an
        agent returns its key once): only failures where the request never reached hoop
        (connection refused, connect timeout) are retried; a read timeout or 5xx is raised.
        """
        operation = f"{method} {path}"
        last: HoopError | None = None
        for attempt in range(self._max_attempts):
            if attempt:
                delay = min(self._backoff_max, self._backoff_base * 2 ** (attempt - 1))
                log.info("hoop %s %r: retry %d after %.2fs", operation, object_name, attempt, delay)
                self._sleep(delay)
            token = self._token()
            self._secrets.add(token)
            try:
                response = self._http.request(
                    method,
                    path,
                    json=json,
                    params=dict(params) if params else None,
                    headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                )
            except httpx.TransportError as err:
                kind = (
                    "timed out" if isinstance(err, httpx.TimeoutException) else "connection failed"
                )
                last = HoopUnavailable(
                    self._format(operation, object_name, None, f"{kind} ({type(err).__name__})"),
                    operation=operation,
                    object_name=object_name,
                )
                unsent = isinstance(err, httpx.ConnectError | httpx.ConnectTimeout)
                if not retry_after_send and not unsent:
                    raise last from None
                continue
            if response.status_code >= 500:
                message = self._message(response)
                last = HoopUnavailable(
                    self._format(operation, object_name, response.status_code, message),
                    status=response.status_code,
                    operation=operation,
                    object_name=object_name,
                    hoop_message=message,
                )
                if not retry_after_send:
                    raise last
                continue
            if response.status_code >= 400:
                raise self._client_error(response, operation, object_name)
            if response.status_code == 204 or not response.content:
                return None
            return response.json()
        assert last is not None
        raise HoopUnavailable(
            f"{last} (gave up after {self._max_attempts} attempts)",
            status=last.status,
            operation=operation,
            object_name=object_name,
            hoop_message=last.hoop_message,
        )

    def _client_error(self, response: httpx.Response, operation: str, name: str) -> HoopError:
        status = response.status_code
        message = self._message(response)
        text = self._format(operation, name, status, message)
        cls: type[HoopError] = HoopError
        if status == 404:
            cls = HoopNotFound
        elif status == 409 or (status == 422 and "already exists" in message):
            cls = HoopConflict
        elif status in (401, 403):
            cls = HoopAuthError
        return cls(text, status=status, operation=operation, object_name=name, hoop_message=message)

    def _message(self, response: httpx.Response) -> str:
        try:
            body = response.json()
            message = str(body.get("message", "")) if isinstance(body, dict) else ""
        except ValueError:
            message = response.text[:300]
        return self._scrub(message or response.reason_phrase)

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            if secret:
                text = text.replace(secret, REDACTED)
        return text

    @staticmethod
    def _format(operation: str, name: str, status: int | None, message: str) -> str:
        subject = f" {name!r}" if name else ""
        code = f": HTTP {status}" if status is not None else ""
        return f"hoop {operation}{subject} failed{code}: {message}"
