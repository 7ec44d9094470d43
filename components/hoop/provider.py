"""Pulumi dynamic providers for hoop gateway objects (one provider class per object kind).

Why dynamic providers: hoop's Terraform provider covers only connections and a few settings;
agents, guardrails, access-request rules and proxy settings have no provider at all. These
classes implement check/diff/create/read/update/delete against hoop's REST API
(``../shared/hoop/openapiv3.json``) with the semantics read from hoop's handlers:

* **No credential in the provider instance.** Pulumi pickles the provider object into state as
  ``__provider``; these classes hold no attributes at all. The gateway URL and credentials
  arrive as resource inputs (``api_url``, ``auth`` — a secret) on every call, including
  ``read`` and ``delete``, which only see the stored outputs; ``auth`` is therefore kept in the
  outputs and declared an additional secret output by :mod:`.resources`. ``auth`` may also be
  ``{"mode": "env"}``: the token is read from the environment of ``pulumi up`` and nothing
  secret is stored at all.
* **Diff** compares the object's spec fields; a change of ``auth``/``api_url``/``transport``
  alone is an update that sends nothing to hoop and only stores the new values (``read`` and
  ``delete`` see nothing but stored outputs, so a rotated key must reach them). Immutable identity
  fields force a replacement, and replacements delete first: hoop names are unique, and a
  create-before-delete would collide with — and then adopt and delete — the old object.
* **Create adopts**: when hoop answers "already exists" (409, or 422 for access-request rules)
  and the live object's spec equals the desired one, the object is adopted; otherwise the error
  names the differing fields.
* **Read** maps 404 to "gone" (empty id), so ``pulumi refresh`` drops objects deleted behind
  Pulumi's back and the next ``up`` recreates them.
* **Read-modify-write** where hoop's PUT replaces a whole document: ``/serverconfig/misc``
  (omitting a listener stops it), connections (omitting ``guardrail_rules`` detaches guardrails
  that other resources attached) and the ``dlp`` plugin's connection list.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from .client import (
    ClientCredentialsToken,
    HoopClient,
    HoopConflict,
    HoopError,
    HoopNotFound,
    TokenSource,
    static_token,
)

CONTROL_KEYS = ("api_url", "auth", "kind", "transport")
"""Inputs that say *how* to reach hoop, not *what* the object is; never diffed."""

SECRET_REFERENCE = re.compile(r"^_(aws|envjson|vaultkv1|vaultkv2):[^:\s]+:[^:\s]+$")
"""``_aws:<secret-name>:<key>``: resolved by the agent at session time; never a value."""

LISTENER_ID = "serverconfig/misc#http_proxy_server_config"

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""What ``check``/``diff`` see during a preview for values not computed yet (pulumi.runtime.rpc)."""


def known(value: Any) -> bool:
    return value != UNKNOWN


def token_source(auth: Mapping[str, Any]) -> TokenSource:
    """Build the bearer-token source from the ``auth`` input (called per operation)."""
    mode = auth.get("mode")
    if mode == "token":
        return static_token(str(auth.get("token") or ""))
    if mode == "client_credentials":
        return ClientCredentialsToken(
            token_url=str(auth["token_url"]),
            client_id=str(auth["client_id"]),
            client_secret=str(auth["client_secret"]),
            scope=auth.get("scope") or None,
            audience=auth.get("audience") or None,
        )
    if mode == "env":
        variable = str(auth.get("variable") or "ZSP_HOOP_TOKEN")

        def from_env() -> str:
            value = os.environ.get(variable, "")
            if not value:
                raise HoopError(f"hoop auth: environment variable {variable} is not set")
            return value

        return from_env
    raise HoopError(f"hoop auth: unknown mode {mode!r} (token, client_credentials or env)")


def client_for(props: Mapping[str, Any]) -> HoopClient:
    transport = props.get("transport") or {}
    return HoopClient(
        str(props["api_url"]),
        token_source(props.get("auth") or {}),
        timeout=float(transport.get("timeout_seconds", 15)),
        max_attempts=int(transport.get("max_attempts", 4)),
        backoff_base=float(transport.get("backoff_seconds", 0.5)),
    )


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def unb64(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(value, validate=True).decode()
    except ValueError:
        return None


def _canon(value: Any) -> Any:
    """Comparable form: dict keys sorted, ints for integral floats (protobuf carries doubles)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _canon(v) for k, v in sorted(value.items()) if v is not None}
    if isinstance(value, list | tuple):
        return [_canon(v) for v in value]
    return value


class HoopObjectProvider(ResourceProvider):
    """Shared lifecycle; subclasses describe one object kind.

    Subclasses set ``kind``, ``spec_fields`` (diffed), ``replace_fields`` (immutable identity),
    ``required`` and implement ``_create``, ``_fetch`` (live object or None), ``_update``,
    ``_delete`` and ``_spec_of`` (live object → spec in input shape).
    """

    kind: ClassVar[str] = ""
    spec_fields: ClassVar[tuple[str, ...]] = ()
    replace_fields: ClassVar[tuple[str, ...]] = ()
    required: ClassVar[tuple[str, ...]] = ()
    list_fields: ClassVar[tuple[str, ...]] = ()
    """Spec fields that are sets in hoop (compared order-insensitively)."""
    computed: ClassVar[tuple[str, ...]] = ()
    """Outputs hoop assigns (ids, keys); declared on the Pulumi resource as output properties."""

    # ---- check
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures: list[CheckFailure] = []
        if news.get("kind") != self.kind:
            failures.append(CheckFailure("kind", f"must be {self.kind!r}"))
        if not news.get("api_url"):
            failures.append(CheckFailure("api_url", "the hoop API URL is required"))
        if not isinstance(news.get("auth"), dict):
            failures.append(CheckFailure("auth", "hoop credentials (a secret input) are required"))
        for name in self.required:
            if news.get(name) in (None, "", []):
                failures.append(CheckFailure(name, f"{name} is required for {self.kind}"))
        failures += self._check(news)
        return CheckResult(news, failures)

    def _check(self, news: dict[str, Any]) -> list[CheckFailure]:
        return []

    # ---- diff
    def _norm(self, field: str, value: Any) -> Any:
        value = _canon(value)
        if field in self.list_fields and isinstance(value, list):
            return sorted(value, key=lambda v: json.dumps(v, sort_keys=True))
        if value in ([], {}, ""):
            return None
        return value

    def changed_fields(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
        return [
            f for f in self.spec_fields if self._norm(f, olds.get(f)) != self._norm(f, news.get(f))
        ]

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = self.changed_fields(olds, news)
        replaces = [f for f in changed if f in self.replace_fields]
        # A rotated credential or a moved API URL is stored (refresh and delete only see the
        # stored outputs) through an update that makes no API call; it never replaces.
        control = any(_canon(olds.get(k)) != _canon(news.get(k)) for k in CONTROL_KEYS)
        return DiffResult(
            changes=bool(changed) or control, replaces=replaces, delete_before_replace=True
        )

    # ---- lifecycle
    def create(self, props: dict[str, Any]) -> CreateResult:
        name = self.label(props)
        with client_for(props) as client:
            try:
                object_id, computed = self._create(client, props)
            except HoopConflict:
                live = self._find_existing(client, props)
                if live is None:
                    raise
                differing = self.changed_fields(self._spec_of(live, props), props)
                if differing:
                    raise HoopError(
                        f"hoop {self.kind} {name!r} already exists with a different spec "
                        f"(differs in: {', '.join(differing)}); adopt it with `pulumi import` "
                        "or remove it from hoop first"
                    ) from None
                object_id, computed = self._adopt(client, live, props)
        return CreateResult(object_id, self._outs(props, computed))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        with client_for(props) as client:
            live = self._fetch(client, id_, props)
        if live is None:
            return ReadResult(None, {})
        spec = self._spec_of(live, props)
        outs = {**props, **spec, **self._computed_of(live, props)}
        return ReadResult(id_, outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        if not self.changed_fields(olds, news):  # only control inputs changed: nothing to send
            return UpdateResult(self._outs(news, self._carry(olds)))
        with client_for(news) as client:
            try:
                computed = self._update(client, id_, olds, news)
            except HoopNotFound:
                raise HoopError(
                    f"hoop {self.kind} {self.label(news)!r} no longer exists (deleted outside "
                    "Pulumi); run `pulumi refresh` and `pulumi up` to recreate it"
                ) from None
        return UpdateResult(self._outs(news, {**self._carry(olds), **computed}))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        with client_for(props) as client:
            try:
                self._delete(client, id_, props)
            except HoopNotFound:
                return  # already gone: the desired end state

    # ---- helpers for subclasses
    def label(self, props: Mapping[str, Any]) -> str:
        return str(props.get("name") or props.get("subject") or self.kind)

    def _outs(self, props: Mapping[str, Any], computed: Mapping[str, Any]) -> dict[str, Any]:
        return {**props, **computed}

    def _carry(self, olds: Mapping[str, Any]) -> dict[str, Any]:
        """Computed outputs that an update keeps (ids, keys shown only at creation)."""
        return {}

    def _computed_of(self, live: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
        return {}

    def _find_existing(self, client: HoopClient, props: Mapping[str, Any]) -> Any:
        return self._fetch(client, str(props.get("name")), props)

    def _adopt(
        self, client: HoopClient, live: Mapping[str, Any], props: Mapping[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        return str(live.get("id") or props.get("name")), self._computed_of(live, props)

    # ---- to implement
    def _create(self, client: HoopClient, props: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError

    def _fetch(self, client: HoopClient, id_: str, props: Mapping[str, Any]) -> Any:
        raise NotImplementedError

    def _update(
        self,
        client: HoopClient,
        id_: str,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
    ) -> dict[str, Any]:
        raise NotImplementedError

    def _delete(self, client: HoopClient, id_: str, props: Mapping[str, Any]) -> None:
        raise NotImplementedError

    def _spec_of(self, live: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError


def _get_or_none(client: HoopClient, path: str, name: str) -> Any:
    try:
        return client.get(path, object_name=name)
    except HoopNotFound:
        return None


# --------------------------------------------------------------------------- agent


class AgentProvider(HoopObjectProvider):
    """``POST /agents`` answers the agent's DSN key once; it is a secret output (``dsn``).

    hoop has no agent update, so every spec change replaces the agent (and mints a new key).
    An adopted agent's key cannot be read back: ``dsn`` is then empty and ``key_known`` false
    (delete the agent in hoop to let the next ``up`` mint a key). For the same reason the create
    call is never retried once it may have reached hoop.
    """

    kind = "hoop:agent"
    computed = ("agent_id", "dsn", "key_known")
    spec_fields = ("name", "mode")
    replace_fields = ("name", "mode")
    required = ("name",)

    def _check(self, news: dict[str, Any]) -> list[CheckFailure]:
        if news.get("mode", "standard") not in ("standard", "embedded"):
            return [CheckFailure("mode", "mode must be standard or embedded")]
        return []

    def _create(self, client: HoopClient, props: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        name = str(props["name"])
        body = {"name": name, "mode": props.get("mode") or "standard"}
        # the key is answered once: a retried POST would adopt an agent whose key we never saw
        created = client.post("/agents", body, object_name=name, retry_after_send=False)
        live = client.get(f"/agents/{client.segment(name)}", object_name=name)
        return str(live["id"]), {"agent_id": live["id"], "dsn": created["token"], "key_known": True}

    def _adopt(
        self, client: HoopClient, live: Mapping[str, Any], props: Mapping[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        return str(live["id"]), {"agent_id": live["id"], "dsn": "", "key_known": False}

    def _carry(self, olds: Mapping[str, Any]) -> dict[str, Any]:
        return {k: olds[k] for k in ("agent_id", "dsn", "key_known") if k in olds}

    def _fetch(self, client: HoopClient, id_: str, props: Mapping[str, Any]) -> Any:
        return _get_or_none(client, f"/agents/{client.segment(id_)}", self.label(props))

    def _computed_of(self, live: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
        return {"agent_id": live["id"], "status": live.get("status", "")}

    def _update(
        self, client: HoopClient, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> dict[str, Any]:
        return {}  # only control inputs can change in place

    def _delete(self, client: HoopClient, id_: str, props: Mapping[str, Any]) -> None:
        client.delete(f"/agents/{client.segment(id_)}", object_name=self.label(props))

    def _spec_of(self, live: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
        return {"name": live["name"], "mode": live.get("mode") or "standard"}


# --------------------------------------------------------------------------- connection


class ConnectionProvider(HoopObjectProvider):
    """An ``httpproxy`` connection: ``REMOTE_URL`` plus upstream headers given as references.

    ``headers`` maps ``HEADER_*`` env names to ``_aws:<secret>:<key>`` references only; check
    refuses anything else, so an upstream key can never be written into hoop through zsp.
    """

    kind = "hoop:connection"
    computed = ("connection_id",)
    spec_fields = ("name", "agent_id", "remote_url", "headers", "tags", "reviewers")
    replace_fields = ("name",)
    required = ("name", "agent_id", "remote_url")
    list_fields = ("reviewers",)
    MANAGED = {
        "type": "application",
        "subtype": "httpproxy",
        "access_mode_connect": "enabled",
        "access_mode_exec": "disabled",
        "access_mode_runbooks": "disabled",
        "access_schema": "disabled",
    }

    def _check(self, news: dict[str, Any]) -> list[CheckFailure]:
        failures = []
        url = str(news.get("remote_url") or "")
        if url and known(url) and not url.startswith(("http://", "https://")):
            failures.append(CheckFailure("remote_url", "remote_url must be an http(s) URL"))
        for env, value in (news.get("headers") or {}).items():
            if not re.fullmatch(r"HEADER_[A-Z0-9_]+", str(env)):
                failures.append(CheckFailure("headers", f"{env!r} is not a HEADER_* name"))
            if known(value) and not SECRET_REFERENCE.match(str(value)):
                failures.append(
                    CheckFailure(
                        "headers",
                        f"headers.{env} must be a secret reference such as "
                        "_aws:<secret-name>:<key>, never a value",
                    )
                )
        return failures

    def _body(self, props: Mapping[str, Any], live: Mapping[str, Any] | None) -> dict[str, Any]:
        secret = {"envvar:REMOTE_URL": b64(str(props["remote_url"]))}
        for env, ref in sorted((props.get("headers") or {}).items()):
            secret[f"envvar:{env}"] = b64(str(ref))
        body: dict[str, Any] = {
            "name": props["name"],
            "agent_id": props["agent_id"],
            **self.MANAGED,
            "secret": secret,
            "connection_tags": dict(props.get("tags") or {}),
            "reviewers": list(props.get("reviewers") or []),
        }
        if live is not None:
            # hoop's PUT replaces the whole connection: keep associations other resources own
            for key in ("guardrail_rules", "attributes", "redact_types", "jira_issue_template_id"):
                if live.get(key):
                    body[key] = live[key]
        return body

    def _create(self, client: HoopClient, props: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        created = client.post(
            "/connections", self._body(props, None), object_name=self.label(props)
        )
        return str(created["id"]), {"connection_id": created["id"]}

    def _fetch(self, client: HoopClient, id_: str, props: Mapping[str, Any]) -> Any:
        return _get_or_none(client, f"/connections/{client.segment(id_)}", self.label(props))

    def _find_existing(self, client: HoopClient, props: Mapping[str, Any]) -> Any:
        return self._fetch(client, str(props["name"]), props)

    def _computed_of(self, live: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
        return {"connection_id": live["id"]}

    def _carry(self, olds: Mapping[str, Any]) -> dict[str, Any]:
        return {"connection_id": olds.get("connection_id")}

    def _update(
        self, client: HoopClient, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> dict[str, Any]:
        name = self.label(news)
        live = client.get(f"/connections/{client.segment(id_)}", object_name=name)
        client.put(f"/connections/{client.segment(id_)}", self._body(news, live), object_name=name)
        return {"connection_id": live["id"]}

    def _delete(self, client: HoopClient, id_: str, props: Mapping[str, Any]) -> None:
        client.delete(f"/connections/{client.segment(id_)}", object_name=self.label(props))

    def _spec_of(self, live: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
        secret = live.get("secret") or {}
        headers = {}
        for key, value in secret.items():
            if key.startswith("envvar:HEADER_"):
                headers[key.removeprefix("envvar:")] = unb64(value) or ""
        remote = unb64(secret.get("envvar:REMOTE_URL"))
        return {
            "name": live["name"],
            "agent_id": live.get("agent_id"),
            # with the org's hide_role_info, inline values read back as null: unobservable
            "remote_url": remote if remote is not None else props.get("remote_url"),
            "headers": headers,
            "tags": live.get("connection_tags") or {},
            "reviewers": live.get("reviewers") or [],
        }


# --------------------------------------------------------------------------- listener


class ProxyListenerProvider(HoopObjectProvider):
    """The gateway's HTTP proxy listener (``http_proxy_server_config`` of ``/serverconfig/misc``).

    hoop's ``PUT /serverconfig/misc`` replaces the whole document and stops every listener it
    omits, so each write is GET → change only our key → PUT.
    """

    kind = "hoop:proxy-listener"
    spec_fields = ("listen_address",)
    required = ("listen_address",)

    def _check(self, news: dict[str, Any]) -> list[CheckFailure]:
        if ":" not in str(news.get("listen_address") or ":"):
            return [CheckFailure("listen_address", "listen_address must be <host>:<port>")]
        return []

    def label(self, props: Mapping[str, Any]) -> str:
        return "http-proxy-listener"

    def _write(self, client: HoopClient, address: str | None) -> None:
        current = dict(client.get("/serverconfig/misc", object_name=self.label({})) or {})
        if address is None:
            current.pop("http_proxy_server_config", None)
        else:
            current["http_proxy_server_config"] = {"listen_address": address}
        client.put("/serverconfig/misc", current, object_name=self.label({}))

    def _create(self, client: HoopClient, props: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        self._write(client, str(props["listen_address"]))
        return LISTENER_ID, {}

    def _find_existing(self, client: HoopClient, props: Mapping[str, Any]) -> Any:
        return None

    def _fetch(self, client: HoopClient, id_: str, props: Mapping[str, Any]) -> Any:
        current = client.get("/serverconfig/misc", object_name=self.label(props)) or {}
        conf = current.get("http_proxy_server_config") or {}
        return conf if conf.get("listen_address") else None

    def _update(
        self, client: HoopClient, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> dict[str, Any]:
        self._write(client, str(news["listen_address"]))
        return {}

    def _delete(self, client: HoopClient, id_: str, props: Mapping[str, Any]) -> None:
        self._write(client, None)

    def _spec_of(self, live: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
        return {"listen_address": live["listen_address"]}


# --------------------------------------------------------------------------- plugin binding


class PluginBindingProvider(HoopObjectProvider):
    """Bind a connection to a plugin with a per-connection config.

    ``audit`` (config ``[]``) and ``access_control`` (config = IdP groups allowed) go through
    ``/plugins/{name}/conn/{id}``; hoop refuses that endpoint for ``dlp``, whose connection list
    is rewritten with ``PUT /plugins/dlp`` (read-modify-write). A missing plugin is enabled first.
    """

    kind = "hoop:plugin-binding"
    spec_fields = ("plugin", "connection_id", "config")
    replace_fields = ("plugin", "connection_id")
    required = ("plugin", "connection_id", "connection_name")
    PLUGINS = ("audit", "access_control", "dlp")

    def _check(self, news: dict[str, Any]) -> list[CheckFailure]:
        failures = []
        if news.get("plugin") not in self.PLUGINS:
            failures.append(CheckFailure("plugin", f"plugin must be one of {self.PLUGINS}"))
        if news.get("plugin") == "access_control" and not news.get("config"):
            failures.append(
                CheckFailure(
                    "config", "access_control needs at least one IdP group, or no one gets in"
                )
            )
        return failures

    def label(self, props: Mapping[str, Any]) -> str:
        return f"{props.get('plugin')}/{props.get('connection_name')}"

    def _ensure_plugin(self, client: HoopClient, plugin: str) -> dict[str, Any]:
        found = _get_or_none(client, f"/plugins/{plugin}", plugin)
        if found is not None:
            return dict(found)
        try:
            return dict(
                client.post("/plugins", {"name": plugin, "connections": []}, object_name=plugin)
            )
        except HoopError as err:
            if err.status == 400 and "already enabled" in err.hoop_message:
                return dict(client.get(f"/plugins/{plugin}", object_name=plugin))
            raise

    def _bind(self, client: HoopClient, props: Mapping[str, Any]) -> None:
        plugin = str(props["plugin"])
        conn_id = str(props["connection_id"])
        config = list(props.get("config") or [])
        current = self._ensure_plugin(client, plugin)
        if plugin == "dlp":
            items = [c for c in current.get("connections") or [] if c.get("id") != conn_id]
            items.append({"id": conn_id, "name": props["connection_name"], "config": config})
            client.put(
                f"/plugins/{plugin}",
                {"name": plugin, "connections": items},
                object_name=self.label(props),
            )
        else:
            client.put(
                f"/plugins/{plugin}/conn/{client.segment(conn_id)}",
                {"config": config},
                object_name=self.label(props),
            )

    def _create(self, client: HoopClient, props: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        self._bind(client, props)  # a PUT: binding an already-bound connection is idempotent
        return f"{props['plugin']}/{props['connection_id']}", {}

    def _fetch(self, client: HoopClient, id_: str, props: Mapping[str, Any]) -> Any:
        plugin = _get_or_none(client, f"/plugins/{props['plugin']}", self.label(props))
        if plugin is None:
            return None
        for item in plugin.get("connections") or []:
            if item.get("id") == props["connection_id"]:
                return {"plugin": plugin["name"], **item}
        return None

    def _update(
        self, client: HoopClient, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> dict[str, Any]:
        self._bind(client, news)
        return {}

    def _delete(self, client: HoopClient, id_: str, props: Mapping[str, Any]) -> None:
        plugin = str(props["plugin"])
        conn_id = str(props["connection_id"])
        if plugin == "dlp":
            current = _get_or_none(client, f"/plugins/{plugin}", self.label(props))
            if current is None:
                return
            items = [c for c in current.get("connections") or [] if c.get("id") != conn_id]
            client.put(
                f"/plugins/{plugin}",
                {"name": plugin, "connections": items},
                object_name=self.label(props),
            )
        else:
            client.delete(
                f"/plugins/{plugin}/conn/{client.segment(conn_id)}", object_name=self.label(props)
            )

    def _spec_of(self, live: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "plugin": live["plugin"],
            "connection_id": live["id"],
            "config": live.get("config") or [],
        }


# --------------------------------------------------------------------------- guardrail


class GuardrailProvider(HoopObjectProvider):
    """``/guardrails``: addressed by id; hoop's PUT can rename, so nothing forces a replace."""

    kind = "hoop:guardrail"
    spec_fields: ClassVar[tuple[str, ...]] = (
        "name",
        "description",
        "input",
        "output",
        "connection_ids",
    )
    required = ("name",)
    list_fields = ("connection_ids",)

    def _check(self, news: dict[str, Any]) -> list[CheckFailure]:
        failures = []
        for side in ("input", "output"):
            for index, rule in enumerate((news.get(side) or {}).get("rules") or []):
                if rule.get("type") not in ("deny_words_list", "pattern_match"):
                    failures.append(
                        CheckFailure(
                            side,
                            f"{side}.rules[{index}].type must be deny_words_list or pattern_match",
                        )
                    )
                pattern = rule.get("pattern_regex") or ""
                if pattern:
                    try:
                        re.compile(pattern)
                    except re.error as err:
                        failures.append(
                            CheckFailure(side, f"{side}.rules[{index}]: bad regex: {err}")
                        )
        return failures

    def _body(self, props: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "name": props["name"],
            "description": props.get("description") or "",
            "input": props.get("input") or {},
            "output": props.get("output") or {},
            "connection_ids": list(props.get("connection_ids") or []),
        }

    def _create(self, client: HoopClient, props: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        created = client.post("/guardrails", self._body(props), object_name=self.label(props))
        return str(created["id"]), {}

    def _find_existing(self, client: HoopClient, props: Mapping[str, Any]) -> Any:
        rules = client.get("/guardrails", object_name=self.label(props)) or []
        return next((r for r in rules if r.get("name") == props["name"]), None)

    def _fetch(self, client: HoopClient, id_: str, props: Mapping[str, Any]) -> Any:
        return _get_or_none(client, f"/guardrails/{client.segment(id_)}", self.label(props))

    def _update(
        self, client: HoopClient, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> dict[str, Any]:
        client.put(
            f"/guardrails/{client.segment(id_)}", self._body(news), object_name=self.label(news)
        )
        return {}

    def _delete(self, client: HoopClient, id_: str, props: Mapping[str, Any]) -> None:
        client.delete(f"/guardrails/{client.segment(id_)}", object_name=self.label(props))

    def _spec_of(self, live: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "name": live["name"],
            "description": live.get("description") or "",
            "input": live.get("input") or {},
            "output": live.get("output") or {},
            "connection_ids": live.get("connection_ids") or [],
        }


# --------------------------------------------------------------------------- data masking


class DataMaskingRuleProvider(GuardrailProvider):
    """``/datamasking-rules``: hoop documents the name as immutable, so a rename replaces."""

    kind = "hoop:datamasking-rule"
    spec_fields = (
        "name",
        "description",
        "supported_entity_types",
        "custom_entity_types",
        "score_threshold",
        "connection_ids",
    )
    replace_fields = ("name",)
    required = ("name",)
    list_fields = ("connection_ids",)

    def _check(self, news: dict[str, Any]) -> list[CheckFailure]:
        failures = []
        for entry in news.get("supported_entity_types") or []:
            for item in entry.get("entity_types") or []:
                if not re.fullmatch(r"[A-Z0-9_]+", str(item)):
                    failures.append(
                        CheckFailure(
                            "supported_entity_types", f"{item!r} is not an entity type name"
                        )
                    )
        score = news.get("score_threshold")
        if score is not None and not 0 <= float(score) <= 1:
            failures.append(CheckFailure("score_threshold", "score_threshold must be within 0..1"))
        return failures

    def _body(self, props: Mapping[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": props["name"],
            "description": props.get("description") or "",
            "supported_entity_types": list(props.get("supported_entity_types") or []),
            "custom_entity_types": list(props.get("custom_entity_types") or []),
            "connection_ids": list(props.get("connection_ids") or []),
        }
        if props.get("score_threshold") is not None:
            body["score_threshold"] = float(props["score_threshold"])
        return body

    def _create(self, client: HoopClient, props: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        created = client.post(
            "/datamasking-rules", self._body(props), object_name=self.label(props)
        )
        return str(created["id"]), {}

    def _find_existing(self, client: HoopClient, props: Mapping[str, Any]) -> Any:
        rules = client.get("/datamasking-rules", object_name=self.label(props)) or []
        return next((r for r in rules if r.get("name") == props["name"]), None)

    def _fetch(self, client: HoopClient, id_: str, props: Mapping[str, Any]) -> Any:
        return _get_or_none(client, f"/datamasking-rules/{client.segment(id_)}", self.label(props))

    def _update(
        self, client: HoopClient, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> dict[str, Any]:
        client.put(
            f"/datamasking-rules/{client.segment(id_)}",
            self._body(news),
            object_name=self.label(news),
        )
        return {}

    def _delete(self, client: HoopClient, id_: str, props: Mapping[str, Any]) -> None:
        client.delete(f"/datamasking-rules/{client.segment(id_)}", object_name=self.label(props))

    def _spec_of(self, live: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "name": live["name"],
            "description": live.get("description") or "",
            "supported_entity_types": live.get("supported_entity_types") or [],
            "custom_entity_types": live.get("custom_entity_types") or [],
            "score_threshold": live.get("score_threshold"),
            "connection_ids": live.get("connection_ids") or [],
        }


# --------------------------------------------------------------------------- access request rule


class AccessRequestRuleProvider(HoopObjectProvider):
    """``/access-requests/rules/{name}`` (JIT review): addressed by name, so a rename replaces."""

    kind = "hoop:access-request-rule"
    computed = ("rule_id",)
    spec_fields = (
        "name",
        "description",
        "access_type",
        "connection_names",
        "approval_required_groups",
        "reviewers_groups",
        "force_approval_groups",
        "min_approvals",
        "access_max_duration",
        "all_groups_must_approve",
    )
    replace_fields = ("name",)
    required = ("name", "connection_names", "reviewers_groups")
    list_fields = (
        "connection_names",
        "approval_required_groups",
        "reviewers_groups",
        "force_approval_groups",
    )

    def _check(self, news: dict[str, Any]) -> list[CheckFailure]:
        failures = []
        if news.get("access_type", "jit") not in ("jit", "command", "jit_command"):
            failures.append(
                CheckFailure("access_type", "access_type must be jit, command or jit_command")
            )
        if not news.get("all_groups_must_approve") and int(news.get("min_approvals") or 0) < 1:
            failures.append(CheckFailure("min_approvals", "min_approvals must be at least 1"))
        duration = news.get("access_max_duration")
        if duration is not None and not 0 < int(duration) <= 48 * 3600:
            failures.append(
                CheckFailure("access_max_duration", "access_max_duration must be within 1s..48h")
            )
        return failures

    def _body(self, props: Mapping[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": props["name"],
            "description": props.get("description") or "",
            "access_type": props.get("access_type") or "jit",
            "connection_names": list(props["connection_names"]),
            "approval_required_groups": list(props.get("approval_required_groups") or []),
            "reviewers_groups": list(props["reviewers_groups"]),
            "force_approval_groups": list(props.get("force_approval_groups") or []),
            "all_groups_must_approve": bool(props.get("all_groups_must_approve", False)),
        }
        for key in ("min_approvals", "access_max_duration"):
            if props.get(key) is not None:
                body[key] = int(props[key])
        return body

    def _create(self, client: HoopClient, props: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        created = client.post(
            "/access-requests/rules", self._body(props), object_name=self.label(props)
        )
        return str(created["name"]), {"rule_id": created.get("id")}

    def _fetch(self, client: HoopClient, id_: str, props: Mapping[str, Any]) -> Any:
        return _get_or_none(
            client, f"/access-requests/rules/{client.segment(id_)}", self.label(props)
        )

    def _adopt(
        self, client: HoopClient, live: Mapping[str, Any], props: Mapping[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        return str(live["name"]), {"rule_id": live.get("id")}

    def _carry(self, olds: Mapping[str, Any]) -> dict[str, Any]:
        return {"rule_id": olds.get("rule_id")}

    def _update(
        self, client: HoopClient, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> dict[str, Any]:
        client.put(
            f"/access-requests/rules/{client.segment(id_)}",
            self._body(news),
            object_name=self.label(news),
        )
        return {}

    def _delete(self, client: HoopClient, id_: str, props: Mapping[str, Any]) -> None:
        client.delete(
            f"/access-requests/rules/{client.segment(id_)}", object_name=self.label(props)
        )

    def _spec_of(self, live: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "name": live["name"],
            "description": live.get("description") or "",
            "access_type": live.get("access_type"),
            "connection_names": live.get("connection_names") or [],
            "approval_required_groups": live.get("approval_required_groups") or [],
            "reviewers_groups": live.get("reviewers_groups") or [],
            "force_approval_groups": live.get("force_approval_groups") or [],
            "min_approvals": live.get("min_approvals"),
            "access_max_duration": live.get("access_max_duration"),
            "all_groups_must_approve": bool(live.get("all_groups_must_approve", False)),
        }


# --------------------------------------------------------------------------- service account


class ServiceAccountProvider(HoopObjectProvider):
    """Map an IdP client's subject (``sub`` of its client-credentials tokens) to hoop groups.

    hoop has no DELETE for service accounts: delete sets ``status: inactive`` (the account can no
    longer call the API), and read treats an inactive account as gone so a later create
    re-activates it through adoption.
    """

    kind = "hoop:service-account"
    computed = ("account_id",)
    spec_fields = ("subject", "name", "groups")
    replace_fields = ("subject",)
    required = ("subject", "groups")
    list_fields = ("groups",)

    def label(self, props: Mapping[str, Any]) -> str:
        return str(props.get("subject") or "service-account")

    def _body(self, props: Mapping[str, Any], status: str = "active") -> dict[str, Any]:
        return {
            "subject": props["subject"],
            "name": props.get("name") or props["subject"],
            "groups": list(props["groups"]),
            "status": status,
        }

    def _create(self, client: HoopClient, props: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        created = client.post("/serviceaccounts", self._body(props), object_name=self.label(props))
        return str(created["subject"]), {"account_id": created.get("id")}

    def _fetch(self, client: HoopClient, id_: str, props: Mapping[str, Any]) -> Any:
        accounts = client.get("/serviceaccounts", object_name=self.label(props)) or []
        found = next((a for a in accounts if a.get("subject") == id_), None)
        return found if found is not None and found.get("status") == "active" else None

    def _find_existing(self, client: HoopClient, props: Mapping[str, Any]) -> Any:
        accounts = client.get("/serviceaccounts", object_name=self.label(props)) or []
        return next((a for a in accounts if a.get("subject") == props["subject"]), None)

    def _adopt(
        self, client: HoopClient, live: Mapping[str, Any], props: Mapping[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        if live.get("status") != "active":
            client.put(
                f"/serviceaccounts/{client.segment(str(props['subject']))}",
                self._body(props),
                object_name=self.label(props),
            )
        return str(live["subject"]), {"account_id": live.get("id")}

    def create(self, props: dict[str, Any]) -> CreateResult:
        # an inactive account with another spec is ours to re-activate: converge it with a PUT
        with client_for(props) as client:
            live = self._find_existing(client, props)
            if live is not None and live.get("status") != "active":
                client.put(
                    f"/serviceaccounts/{client.segment(str(props['subject']))}",
                    self._body(props),
                    object_name=self.label(props),
                )
                return CreateResult(
                    str(live["subject"]), self._outs(props, {"account_id": live.get("id")})
                )
        return super().create(props)

    def _carry(self, olds: Mapping[str, Any]) -> dict[str, Any]:
        return {"account_id": olds.get("account_id")}

    def _update(
        self, client: HoopClient, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> dict[str, Any]:
        client.put(
            f"/serviceaccounts/{client.segment(id_)}",
            self._body(news),
            object_name=self.label(news),
        )
        return {}

    def _delete(self, client: HoopClient, id_: str, props: Mapping[str, Any]) -> None:
        client.put(
            f"/serviceaccounts/{client.segment(id_)}",
            self._body(props, status="inactive"),
            object_name=self.label(props),
        )

    def _spec_of(self, live: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "subject": live["subject"],
            "name": live.get("name") or live["subject"],
            "groups": live.get("groups") or [],
        }


PROVIDERS: dict[str, type[HoopObjectProvider]] = {
    cls.kind: cls
    for cls in (
        AgentProvider,
        ConnectionProvider,
        ProxyListenerProvider,
        PluginBindingProvider,
        GuardrailProvider,
        DataMaskingRuleProvider,
        AccessRequestRuleProvider,
        ServiceAccountProvider,
    )
}
"""Every object kind zsp manages in hoop, by ``kind`` input."""
