"""A small, retrying client for the three hoop endpoints the exporter reads.

* ``GET /api/sessions`` — ``openapi.SessionList`` (``data``, ``has_next_page``), newest first
  (``created_at DESC, id DESC``), ``limit`` ≤ 100, ``offset`` ≤ 10000, ``start_date``/``end_date``
  inclusive bounds on the creation time.
* ``GET /api/sessions/{session_id}`` — one ``openapi.Session`` (used for sessions still open).
* ``GET /api/audit/logs`` — ``PaginatedResponse`` (``data``, ``pages``), newest first, ``page`` from
  1, ``page_size`` ≤ 100, ``created_after``/``created_before`` inclusive.

A 5xx, a 429 or a broken connection is retried with capped exponential backoff; anything else (a
401, a 422, a body that is not the documented shape) is not going to fix itself and is raised.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

MAX_LIMIT = 100
MAX_OFFSET = 10000
RETRY_STATUSES = {429, 500, 502, 503, 504}


class HoopError(Exception):
    """hoop could not be read; the message names the request, never the token."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0


class HoopClient:
    """Reads sessions and the audit log with an API key or bearer token."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        verify: bool | str = True,
    ) -> None:
        base = base_url.rstrip("/")
        self._client = httpx.Client(
            # hoop's API_URL, with or without the ``/api`` suffix (both spellings are in use).
            base_url=base if base.endswith("/api") else f"{base}/api",
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=timeout,
            transport=transport,
            verify=verify,
        )
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self.requests = 0
        self.retries = 0

    def close(self) -> None:
        self._client.close()

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        last = ""
        for attempt in range(1, self.retry.attempts + 1):
            self.requests += 1
            try:
                response = self._client.get(path, params=params)
            except httpx.TransportError as err:
                last = f"{type(err).__name__}"
            else:
                if response.status_code == 200:
                    try:
                        return response.json()
                    except ValueError:
                        raise HoopError(f"GET /api{path}: the body is not JSON") from None
                if response.status_code not in RETRY_STATUSES:
                    raise HoopError(f"GET /api{path}: HTTP {response.status_code}")
                last = f"HTTP {response.status_code}"
            if attempt < self.retry.attempts:
                self.retries += 1
                self._sleep(min(self.retry.max_delay, self.retry.base_delay * 2 ** (attempt - 1)))
        raise HoopError(f"GET /api{path}: {last} after {self.retry.attempts} attempts")

    def list_sessions(
        self, start_date: str, end_date: str, offset: int, limit: int = MAX_LIMIT
    ) -> tuple[list[Any], bool]:
        """One page of sessions created in ``[start_date, end_date]``, newest first."""
        body = self._get(
            "/sessions",
            {
                "start_date": start_date,
                "end_date": end_date,
                "offset": offset,
                "limit": min(limit, MAX_LIMIT),
                "count": "none",
            },
        )
        if not isinstance(body, Mapping) or not isinstance(body.get("data") or [], list):
            raise HoopError("GET /api/sessions: not a SessionList")
        return list(body.get("data") or []), bool(body.get("has_next_page"))

    def get_session(self, session_id: str) -> Any:
        """One session by id (the list omits nothing the mapper needs; used to poll open ones)."""
        return self._get(f"/sessions/{session_id}")

    def list_audit(
        self, created_after: str, created_before: str, page: int, page_size: int = MAX_LIMIT
    ) -> tuple[list[Any], int]:
        """A page of audit entries created in ``[created_after, created_before]``; the total."""
        body = self._get(
            "/audit/logs",
            {
                "created_after": created_after,
                "created_before": created_before,
                "page": page,
                "page_size": min(page_size, MAX_LIMIT),
            },
        )
        if not isinstance(body, Mapping) or not isinstance(body.get("data") or [], list):
            raise HoopError("GET /api/audit/logs: not a paginated response")
        pages = body.get("pages") if isinstance(body.get("pages"), Mapping) else {}
        total = pages.get("total") if isinstance(pages, Mapping) else None
        return list(body.get("data") or []), int(total) if isinstance(total, int) else -1
