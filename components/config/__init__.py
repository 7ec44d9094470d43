"""Typed stack configuration (``stacks/Pulumi.<env>.yaml``), shared by the program and the CLI."""

from .base import REDACTED, Seconds, Section, parse_duration
from .endpoints import Endpoint, ModelServer, Resources
from .errors import StackConfigError
from .guardrails import EnforcementLevel, GuardrailException, GuardrailSettings
from .loader import parse_stack_config, stack_config_from_pulumi
from .platform import AwsSettings, ClusterSettings, CredentialPolicy
from .stack import StackConfig
from .stackfile import StackFile, read_stack_file

__all__ = [
    "REDACTED",
    "AwsSettings",
    "ClusterSettings",
    "CredentialPolicy",
    "Endpoint",
    "EnforcementLevel",
    "GuardrailException",
    "GuardrailSettings",
    "ModelServer",
    "Resources",
    "Seconds",
    "Section",
    "StackConfig",
    "StackConfigError",
    "StackFile",
    "parse_duration",
    "parse_stack_config",
    "read_stack_file",
    "stack_config_from_pulumi",
]
