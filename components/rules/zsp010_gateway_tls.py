"""ZSP010: the gateway is served over TLS (every Ingress host and Gateway listener)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .kube import GATEWAY_API, INGRESS
from .model import ResourceView, Rule, RuleContext, Severity, Violation
from .values import as_list, path, strings


class GatewayTls(Rule):
    id = "ZSP010"
    slug = "gateway-tls"
    title = "The gateway serves TLS only"
    severity = Severity.HIGH
    rationale = (
        "Proxy tokens and IdP tokens travel in headers; over plain HTTP anyone on the path can "
        "replay them until they expire."
    )
    remediation = (
        "List every Ingress rule host under spec.tls (with a certificate secret or cert-manager), "
        "and use HTTPS/TLS listeners on Gateway API Gateways."
    )
    resource_types = frozenset({INGRESS, GATEWAY_API})

    def check_resource(self, resource: ResourceView, ctx: RuleContext) -> Iterable[Violation]:
        spec = resource.inputs.get("spec")
        if not isinstance(spec, Mapping):
            return
        if resource.type == GATEWAY_API:
            for listener in as_list(spec.get("listeners")):
                if isinstance(listener, Mapping) and listener.get("protocol") not in (
                    "HTTPS",
                    "TLS",
                ):
                    protocol = listener.get("protocol")
                    yield Violation(
                        resource, f"listener {listener.get('name')} uses {protocol}, not HTTPS/TLS"
                    )
            return
        tls = [t for t in as_list(spec.get("tls")) if isinstance(t, Mapping)]
        if not tls:
            yield Violation(resource, "Ingress has no spec.tls: served over plain HTTP")
            return
        covered = {h for t in tls for h in strings(t.get("hosts"))}
        for rule in as_list(spec.get("rules")):
            host = path(rule, "host")
            if not host:
                yield Violation(
                    resource, "an Ingress rule has no host, so no TLS certificate covers it"
                )
            elif host not in covered:
                yield Violation(resource, f"host {host} is not listed under spec.tls")


RULE = GatewayTls()
