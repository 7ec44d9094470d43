"""What short-lived credentials cost a caller, measured against the peer they replace.

Peer: a static API key (the standing credential zsp removes) — attaching it to a request costs a
header assignment. zsp's paths, all in this process against the loopback OIDC issuer and the hoop
API double from ``tests/``:

* cold   — IdP token (client credentials, RS256 verified) + gateway exchange;
* file   — ``zsp creds`` cache hit (0600 file read + freshness check);
* auth   — ``ZspAuth`` per request with a live in-memory credential (what a service pays).

Run: ``python bench/creds.py [rounds]``.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fixtures_oidc import GATEWAY_AUDIENCE, SCOPE  # noqa: E402
from hoop_double import HoopDouble  # noqa: E402
from oidc_issuer import Client, OidcIssuer  # noqa: E402
from zsp.cli.creds import (  # noqa: E402
    CredentialProvider,
    CredsSettings,
    FileCache,
    MemoryCache,
    ZspAuth,
    verify_access_token,
)


def timed(fn, rounds: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    shared = Path(os.environ.get("ZSP_SHARED", ROOT.parent / "shared"))
    idp = OidcIssuer("bench").start()
    secret = "bench-secret"
    idp.register(Client("svc", secret, [SCOPE], GATEWAY_AUDIENCE, groups=["ai-users"]))
    hoop = HoopDouble(shared / "hoop" / "openapiv3.json", api_keys=["xapi-bench"])
    hoop.jwt_verifier = lambda t: verify_access_token(
        t, jwks=idp.jwks(), issuer=idp.issuer, audience=GATEWAY_AUDIENCE
    )
    hoop.start()
    admin = httpx.Client(base_url=hoop.url, headers={"Authorization": "Bearer xapi-bench"})
    admin.post("/agents", json={"name": "bench", "mode": "standard"})
    agent_id = admin.get("/agents/bench").json()["id"]
    admin.post(
        "/connections",
        json={
            "name": "openai",
            "type": "application",
            "subtype": "httpproxy",
            "agent_id": agent_id,
            "access_mode_connect": "enabled",
            "access_mode_exec": "disabled",
            "access_mode_runbooks": "disabled",
            "access_schema": "disabled",
            "secret": {"envvar:REMOTE_URL": "aHR0cHM6Ly9hcGkub3BlbmFpLmNvbQ=="},
        },
    )
    os.environ["ZSP_CLIENT_SECRET"] = secret
    settings = CredsSettings(
        gateway_url=hoop.url.removesuffix("/api"),
        issuer=idp.issuer,
        client_id="svc",
        audience=GATEWAY_AUDIENCE,
        scope=SCOPE,
        flow="client-credentials",
    )
    try:
        with tempfile.TemporaryDirectory() as tmp:
            cold_provider = CredentialProvider(settings, "openai", 900, cache=MemoryCache())

            def cold() -> None:
                cold_provider._idp_token = None  # a fresh process: no IdP token either
                cold_provider.get(force=True)

            cold_t = timed(cold, max(5, rounds // 5))
            file_provider = CredentialProvider(settings, "openai", 900, cache=FileCache(Path(tmp)))
            file_provider.get()
            file_t = timed(file_provider.get, rounds * 10)

            auth = ZspAuth(provider=CredentialProvider(settings, "openai", 900))
            request = httpx.Request("POST", "http://127.0.0.1:18888/v1/chat/completions")

            def with_auth() -> None:
                flow = auth.auth_flow(request)
                next(flow)

            auth.provider.get()
            auth_t = timed(with_auth, rounds * 100)

            static_key = "sk-static-standing-key"

            def static() -> None:
                request.headers["Authorization"] = f"Bearer {static_key}"

            static_t = timed(static, rounds * 100)
    finally:
        hoop.stop()
        idp.stop()

    def med(values: list[float]) -> float:
        return statistics.median(values) * 1e6

    peer = med(static_t)
    rows = [
        ("static API key header (peer)", med(static_t), "request"),
        ("ZspAuth, live credential", med(auth_t), "request"),
        ("zsp creds, 0600 file cache hit", med(file_t), "call"),
        ("cold: IdP token + gateway issue", med(cold_t), "credential"),
    ]
    for label, value, unit in rows:
        print(f"{label:34s}: {value:11.2f} us/{unit:10s} ({value / peer:9.1f}x peer)")
    amortised = med(cold_t) / (900 * 0.8)
    print(f"cold cost amortised over a 15 min credential refreshed at 80%: {amortised:.2f} us/s")


if __name__ == "__main__":
    main()
