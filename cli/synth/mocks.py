"""The recording mock runtime: what a resource provider would answer, computed offline.

Outputs that other resources consume (ARNs, names, ids) are made realistic and deterministic so
the policy documents synth writes read like the ones ``pulumi up`` would send to AWS.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable
from typing import Any

import pulumi
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.proto import resource_pb2

from .model import STACK_TYPE, RecordedResource
from .redact import struct_to_plain

InvokeHandler = Callable[[dict[str, Any]], dict[str, Any]]

# AWS resource types whose ARN does not follow "arn:aws:<svc>:<region>:<acct>:<kind>/<name>".
_GLOBAL_SERVICES = {"iam", "s3", "route53", "cloudfront"}
_ARN_SHAPES: dict[str, str] = {
    "aws:iam/role:Role": "arn:aws:iam::{account}:role/{name}",
    "aws:iam/policy:Policy": "arn:aws:iam::{account}:policy/{name}",
    "aws:iam/user:User": "arn:aws:iam::{account}:user/{name}",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": (
        "arn:aws:iam::{account}:oidc-provider/{host}"
    ),
    "aws:kms/key:Key": "arn:aws:kms:{region}:{account}:key/{uuid}",
    "aws:kms/alias:Alias": "arn:aws:kms:{region}:{account}:{name}",
    "aws:secretsmanager/secret:Secret": (
        "arn:aws:secretsmanager:{region}:{account}:secret:{name}-{suffix}"
    ),
    "aws:s3/bucket:Bucket": "arn:aws:s3:::{name}",
    "aws:s3/bucketV2:BucketV2": "arn:aws:s3:::{name}",
    "aws:cloudwatch/logGroup:LogGroup": "arn:aws:logs:{region}:{account}:log-group:{name}",
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": (
        "arn:aws:firehose:{region}:{account}:deliverystream/{name}"
    ),
    "aws:rds/instance:Instance": "arn:aws:rds:{region}:{account}:db:{name}",
    "aws:cognito/userPool:UserPool": (
        "arn:aws:cognito-idp:{region}:{account}:userpool/{region}_{short}"
    ),
}


def _autoname(name: str) -> str:
    """Pulumi appends a random suffix to auto-named resources; synth uses a stable one."""
    return f"{name}-{hashlib.sha256(name.encode()).hexdigest()[:7]}"


class SynthMocks(pulumi.runtime.Mocks):
    """Answers ``new_resource`` and ``call`` for the recorded program."""

    def __init__(self, account: str, region: str) -> None:
        self.account = account
        self.region = region
        self.invokes: dict[str, InvokeHandler] = {
            "aws:index/getCallerIdentity:getCallerIdentity": lambda _: {
                "accountId": self.account,
                "arn": f"arn:aws:iam::{self.account}:user/zsp-synth",
                "userId": "AIDASYNTHUSER",
                "id": self.account,
            },
            "aws:index/getRegion:getRegion": lambda _: {
                "name": self.region,
                "region": self.region,
                "id": self.region,
                "endpoint": f"ec2.{self.region}.amazonaws.com",
            },
            "aws:index/getPartition:getPartition": lambda _: {
                "partition": "aws",
                "dnsSuffix": "amazonaws.com",
                "id": "aws",
            },
        }

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        handler = self.invokes.get(args.token)
        if handler is None:
            raise NotImplementedError(
                f"zsp synth cannot evaluate the data source {args.token} offline; "
                "build the value in the program instead"
            )
        return handler(dict(args.args)), None

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state = dict(args.inputs)
        if not args.custom:
            return f"{args.name}-component", state
        if args.typ.startswith("kubernetes:"):
            return self._kubernetes(args, state)
        if args.typ.startswith("aws:"):
            return self._aws(args, state)
        if args.typ.startswith("pulumi-python:dynamic/hoop:"):
            return self._hoop(args, state)
        return f"{args.name}-id", state

    def _hoop(
        self, args: pulumi.runtime.MockResourceArgs, state: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        """hoop objects: ids hoop would assign, as stable stand-ins (like AWS ARNs above)."""
        from zsp.components.hoop.provider import PROVIDERS

        provider = PROVIDERS.get(str(state.get("kind")))
        for key in provider.computed if provider else ():
            if key.endswith("_id"):
                state[key] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"zsp-synth/{args.name}/{key}"))
        return str(state.get("name") or args.name), state

    def _kubernetes(
        self, args: pulumi.runtime.MockResourceArgs, state: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        metadata = dict(state.get("metadata") or {})
        metadata.setdefault("name", _autoname(args.name))
        state["metadata"] = metadata
        namespace = metadata.get("namespace")
        rid = f"{namespace}/{metadata['name']}" if namespace else str(metadata["name"])
        return rid, state

    def _aws(
        self, args: pulumi.runtime.MockResourceArgs, state: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        name = state.get("name") or _autoname(args.name)
        state.setdefault("name", name)
        digest = hashlib.sha256(f"{args.typ}/{args.name}".encode()).hexdigest()
        shape = _ARN_SHAPES.get(args.typ)
        url = str(state.get("url", ""))
        fields = {
            "account": self.account,
            "region": self.region,
            "name": name,
            "suffix": digest[:6],
            "short": digest[:9],
            "uuid": str(uuid.UUID(digest[:32])),
            "host": re.sub(r"^https://", "", url),
        }
        if shape is None:
            service = args.typ.split(":")[1].split("/")[0].lower()
            kind = args.typ.rsplit(":", 1)[-1]
            kind = re.sub(r"(?<!^)(?=[A-Z])", "-", kind).lower()
            region = "" if service in _GLOBAL_SERVICES else self.region
            shape = f"arn:aws:{service}:{region}:{{account}}:{kind}/{{name}}"
        arn = shape.format(**fields)
        state.setdefault("arn", arn)
        resource_id = str(name)
        if args.typ == "aws:kms/key:Key":
            resource_id = fields["uuid"]
            state.setdefault("keyId", resource_id)
        elif args.typ == "aws:secretsmanager/secret:Secret":
            resource_id = arn
        return resource_id, state


class RecordingMonitor(MockMonitor):
    """A mock monitor that keeps the full registration (parent, provider, dependencies)."""

    def __init__(self, mocks: SynthMocks) -> None:
        super().__init__(mocks)
        self.recorded: list[RecordedResource] = []
        self.stack_urn: str | None = None
        self.stack_outputs: dict[str, Any] = {}

    def RegisterResourceOutputs(self, request: Any) -> Any:
        # The mock monitor drops outputs; the stack's exports are worth keeping for the report.
        if request.urn == self.stack_urn:
            self.stack_outputs = struct_to_plain(request.outputs)
        return super().RegisterResourceOutputs(request)

    def RegisterResource(self, request: resource_pb2.RegisterResourceRequest) -> Any:
        response = super().RegisterResource(request)
        if request.type == STACK_TYPE:
            self.stack_urn = response.urn
        deps = set(request.dependencies)
        for prop in request.propertyDependencies.values():
            deps.update(prop.urns)
        # A provider reference is "<provider urn>::<provider id>"; the URN is what a reader needs.
        provider = request.provider.rsplit("::", 1)[0] if request.provider else None
        self.recorded.append(
            RecordedResource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                parent=request.parent or None,
                provider=provider,
                inputs=struct_to_plain(request.object, request.type),
                dependencies=sorted(deps),
                order=len(self.recorded),
            )
        )
        return response
