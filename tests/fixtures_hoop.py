"""The ``hoop_api`` fixture: a running spec-enforcing hoop API double (see ``hoop_double``).

Usage::

    def test_x(hoop_api):
        client = httpx.Client(base_url=hoop_api.url,
                              headers={"Authorization": f"Bearer {hoop_api.api_key}"})
        ...
        assert hoop_api.state.connections["openai"]["subtype"] == "httpproxy"

The double accepts ``hoop_api.api_key`` (random per test) and, when set,
``hoop_api.jwt_verifier(token) -> claims | None``. At teardown the test fails if any request or
response violated ``openapiv3.json``, unless the test called ``hoop_api.expect_violations()``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from hoop_double import HoopDouble


@pytest.fixture()
def hoop_api(shared_dir: Path) -> Iterator[HoopDouble]:
    api_key = "xapi-" + secrets.token_urlsafe(24)
    double = HoopDouble(shared_dir / "hoop" / "openapiv3.json", api_keys=[api_key])
    double.start()
    try:
        yield double
    finally:
        double.stop()
    if double.violations and not double.violations_expected:
        pytest.fail("hoop API contract violations:\n" + "\n".join(double.violations))
