"""Typed stack configuration (``stacks/Pulumi.<env>.yaml``), shared by the program and the CLI."""

from .base import REDACTED, Seconds, Section, parse_duration
from .endpoints import Endpoint, ModelServer, Resources
from .errors import StackConfigError
from .gateway import (
    GatewayAgentSettings,
    GatewayDatabase,
    GatewayIdp,
    GatewayMasking,
    GatewaySettings,
)
from .guardrails import EnforcementLevel, GuardrailException, GuardrailSettings
from .hoop import HoopAuth, HoopSettings, ServiceAccountMapping
from .identity import (
    CognitoSettings,
    Consumer,
    EntraSettings,
    Group,
    IdentitySettings,
    Workload,
    subject_problem,
)
from .loader import parse_stack_config, stack_config_from_pulumi
from .platform import AwsSettings, ClusterSettings, CredentialPolicy
from .policy import EndpointPolicy, JitSettings, PolicySettings
from .siem import (
    ExporterSettings,
    HttpDestination,
    SiemSettings,
    SplunkDestination,
)
from .stack import StackConfig
from .stackfile import StackFile, read_stack_file

__all__ = [
    "REDACTED",
    "AwsSettings",
    "ClusterSettings",
    "CognitoSettings",
    "Consumer",
    "CredentialPolicy",
    "Endpoint",
    "EndpointPolicy",
    "EnforcementLevel",
    "EntraSettings",
    "ExporterSettings",
    "GatewayAgentSettings",
    "GatewayDatabase",
    "GatewayIdp",
    "GatewayMasking",
    "GatewaySettings",
    "Group",
    "GuardrailException",
    "GuardrailSettings",
    "HoopAuth",
    "HoopSettings",
    "HttpDestination",
    "IdentitySettings",
    "JitSettings",
    "ModelServer",
    "PolicySettings",
    "Resources",
    "Seconds",
    "Section",
    "ServiceAccountMapping",
    "SiemSettings",
    "SplunkDestination",
    "StackConfig",
    "StackConfigError",
    "StackFile",
    "Workload",
    "parse_duration",
    "parse_stack_config",
    "read_stack_file",
    "stack_config_from_pulumi",
    "subject_problem",
]
