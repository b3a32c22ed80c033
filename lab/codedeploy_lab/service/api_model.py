"""CodeDeploy's API model, loaded once from botocore: the type checks of AWS's front end and the member defaults.

A request member the client leaves out means the model's default for it. SDKs that leave zero-valued members out
of a request (Go v2, Rust) rely on this: a deployment group such a client creates with
``terminationWaitTimeInMinutes`` 0 sends no ``terminationWaitTimeInMinutes`` at all, and must read back 0.

botocore's JSON models carry no defaults (botocore drops Smithy's ``smithy.api#default`` trait when it converts
AWS's models), so ``MEMBER_DEFAULTS`` lists those of AWS's Smithy model for CodeDeploy
(https://github.com/aws/api-models-aws, ``models/codedeploy``) for every member a request can carry;
``lab/tests/test_service_api_model.py`` checks each entry against botocore's shapes.
"""

from __future__ import annotations

import typing as t
from datetime import datetime

import botocore.loaders
import botocore.model

from . import exceptions as exc

SERVICE_MODEL = botocore.model.ServiceModel(
    botocore.loaders.Loader().load_service_model("codedeploy", "service-2"), service_name="codedeploy"
)

# (structure, member) -> the Smithy model's default: the members with one that some operation's input reaches.
MEMBER_DEFAULTS: dict[tuple[str, str], t.Any] = {
    ("AlarmConfiguration", "enabled"): False,
    ("AlarmConfiguration", "ignorePollAlarmFailure"): False,
    ("AutoRollbackConfiguration", "enabled"): False,
    ("BlueInstanceTerminationOption", "terminationWaitTimeInMinutes"): 0,
    ("CreateDeploymentInput", "ignoreApplicationStopFailures"): False,
    ("CreateDeploymentInput", "updateOutdatedInstancesOnly"): False,
    ("DeploymentReadyOption", "waitTimeInMinutes"): 0,
    ("MinimumHealthyHosts", "value"): 0,
    ("MinimumHealthyHostsPerZone", "value"): 0,
    ("TimeBasedCanary", "canaryPercentage"): 0,
    ("TimeBasedCanary", "canaryInterval"): 0,
    ("TimeBasedLinear", "linearPercentage"): 0,
    ("TimeBasedLinear", "linearInterval"): 0,
}

# What a value of each botocore type may be in a decoded request (JSON 1.1 or CBOR).
_NUMBER = (int, float)
_TYPE_CHECKS: dict[str, t.Callable[[t.Any], bool]] = {
    "structure": lambda value: isinstance(value, dict),
    "map": lambda value: isinstance(value, dict),
    "list": lambda value: isinstance(value, list),
    "string": lambda value: isinstance(value, str),
    "boolean": lambda value: isinstance(value, bool),
    "integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "long": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "double": lambda value: isinstance(value, _NUMBER) and not isinstance(value, bool),
    "float": lambda value: isinstance(value, _NUMBER) and not isinstance(value, bool),
    "timestamp": lambda value: isinstance(value, (*_NUMBER, datetime, str)) and not isinstance(value, bool),
    "blob": lambda value: isinstance(value, (str, bytes)),
}


def shape(name: str) -> botocore.model.Shape:
    return SERVICE_MODEL.shape_for(name)


def with_defaults(structure: botocore.model.Shape, value: dict[str, t.Any]) -> dict[str, t.Any]:
    """``value`` (a ``structure`` of the model) with every omitted member that has a default set to it, in every
    structure it holds. Structures that are not there stay out: a default belongs to a member of a given one."""
    filled = dict(value)
    for name, member in structure.members.items():
        if filled.get(name) is None and (structure.name, name) in MEMBER_DEFAULTS:
            filled[name] = MEMBER_DEFAULTS[(structure.name, name)]
        elif name in filled:
            filled[name] = _fill(member, filled[name])
    return filled


def _fill(member: botocore.model.Shape, value: t.Any) -> t.Any:
    if member.type_name == "structure" and isinstance(value, dict):
        return with_defaults(member, value)
    if member.type_name == "list" and isinstance(value, list):
        return [_fill(member.member, item) for item in value]
    return value


def request(operation: str, params: dict[str, t.Any]) -> dict[str, t.Any]:
    """The parameters of one request, type-checked as AWS's front end does (``SerializationException``), with the
    model's defaults for the members left out."""
    input_shape = SERVICE_MODEL.operation_model(operation).input_shape
    if input_shape is None:
        return params
    _check_types(input_shape, params, operation)
    return with_defaults(input_shape, params)


def _check_types(member: botocore.model.Shape, value: t.Any, path: str) -> None:
    if value is None:
        return
    kind = member.type_name
    if not _TYPE_CHECKS.get(kind, lambda _: True)(value):
        raise exc.Serialization(f"{path}: expected {kind}, got {type(value).__name__}")
    if kind == "structure":
        for name, item in value.items():
            if name in member.members:
                _check_types(member.members[name], item, f"{path}.{name}")
    elif kind == "list":
        for index, item in enumerate(value):
            _check_types(member.member, item, f"{path}[{index}]")
    elif kind == "map":
        for key, item in value.items():
            _check_types(member.value, item, f"{path}.{key}")
