"""ZSP005: every gateway connection has the audit plugin and an IdP-group access control."""

from __future__ import annotations

from collections.abc import Iterable

from . import hoop
from .model import ConfigRef, Rule, RuleContext, Severity, StackView, Violation


class ConnectionAudited(Rule):
    id = "ZSP005"
    slug = "connection-audited"
    title = "Gateway connections are audited and group-restricted"
    severity = Severity.HIGH
    rationale = (
        "A connection without audit leaves no session record to investigate; one without an "
        "access group is open to every identity the IdP knows."
    )
    remediation = (
        "Bind the hoop 'audit' plugin and the 'access_control' plugin (with at least one IdP "
        "group) to the connection, e.g. through InferencePolicy."
    )

    def check_stack(self, stack: StackView, ctx: RuleContext) -> Iterable[Violation]:
        connections = stack.hoop(hoop.CONNECTION)
        if connections:
            fronted = {getattr(hoop.endpoint_of(c, stack), "name", None) for c in connections}
            for index, endpoint in enumerate(stack.config.endpoints):
                if endpoint.name not in fronted:
                    yield Violation(
                        ConfigRef(f"zsp:endpoints[{index}]"),
                        f"endpoint {endpoint.name} has no gateway connection",
                    )
        for connection in connections:
            name = hoop.connection_name(connection)
            plugins = hoop.bound(stack, hoop.PLUGIN, connection)
            if not any(hoop.plugin_name(p) == "audit" for p in plugins):
                yield Violation(connection, f"connection {name} is not bound to the audit plugin")
            access = [p for p in plugins if hoop.plugin_name(p) == "access_control"]
            if not access:
                yield Violation(
                    connection, f"connection {name} has no access_control plugin binding"
                )
            elif not any(hoop.plugin_config_for(p, connection) for p in access):
                yield Violation(
                    connection, f"connection {name} has access_control with no IdP group"
                )


RULE = ConnectionAudited()
