"""The two wire protocols botocore may use for CodeDeploy: AWS JSON 1.1 and smithy-rpc-v2-cbor.

JSON 1.1: ``POST /`` with ``X-Amz-Target: CodeDeploy_20141006.<Operation>``; timestamps are epoch seconds.
smithy-rpc-v2-cbor: ``POST /service/CodeDeploy_20141006/operation/<Operation>`` with a CBOR body and the
``smithy-protocol: rpc-v2-cbor`` header; timestamps are CBOR tag 1. Errors are ``{"__type", "message"}`` in both.
"""

from __future__ import annotations

import json
import typing as t
from dataclasses import dataclass
from datetime import datetime

import cbor2

from . import exceptions as exc

TARGET_PREFIX = "CodeDeploy_20141006."
CBOR_PATH_PREFIX = "/service/CodeDeploy_20141006/operation/"
JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
CBOR_CONTENT_TYPE = "application/cbor"


@dataclass(frozen=True)
class WireRequest:
    protocol: str  # "json" | "cbor"
    operation: str
    params: dict[str, t.Any]


def _json_default(value: t.Any) -> t.Any:
    if isinstance(value, datetime):
        return round(value.timestamp(), 3)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def decode(path: str, target: str | None, body: bytes) -> WireRequest:
    if path.startswith(CBOR_PATH_PREFIX):
        operation = path[len(CBOR_PATH_PREFIX) :].strip("/")
        try:
            params = cbor2.loads(body) if body else {}
        except Exception as error:
            raise exc.Serialization(f"The CBOR request body could not be decoded: {error}") from error
        protocol = "cbor"
    elif target and target.startswith(TARGET_PREFIX):
        operation = target[len(TARGET_PREFIX) :]
        try:
            params = json.loads(body) if body.strip() else {}
        except ValueError as error:
            raise exc.Serialization(f"The JSON request body could not be parsed: {error}") from error
        protocol = "json"
    else:
        raise exc.UnknownOperation(
            f"The request names no CodeDeploy operation (X-Amz-Target or {CBOR_PATH_PREFIX}<Operation>)."
        )
    if not isinstance(params, dict):
        raise exc.Serialization("The request body must be an object.")
    return WireRequest(protocol=protocol, operation=operation, params=params)


def encode(protocol: str, payload: dict[str, t.Any]) -> tuple[bytes, dict[str, str]]:
    if protocol == "cbor":
        body = cbor2.dumps(payload, datetime_as_timestamp=True, timezone=None)
        return body, {"Content-Type": CBOR_CONTENT_TYPE, "smithy-protocol": "rpc-v2-cbor"}
    return json.dumps(payload, default=_json_default).encode(), {"Content-Type": JSON_CONTENT_TYPE}
