"""Typed stack configuration (``stacks/Pulumi.<env>.yaml``) shared by the stack program and the CLI."""

from .base import REDACTED, Section, Seconds, parse_duration
from .endpoints import Endpoint, ModelServer, Resources
from .errors import StackConfigError
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
from .stack import StackConfig
from .stackfile import StackFile, read_stack_file

__all__ = [
    "REDACTED",
    "AwsSettings",
    "CognitoSettings",
    "Consumer",
    "EntraSettings",
    "Group",
    "IdentitySettings",
    "Workload",
    "subject_problem",
    "ClusterSettings",
    "CredentialPolicy",
    "Endpoint",
    "ModelServer",
    "Resources",
    "Section",
    "Seconds",
    "StackConfig",
    "StackConfigError",
    "StackFile",
    "parse_duration",
    "parse_stack_config",
    "read_stack_file",
    "stack_config_from_pulumi",
]
