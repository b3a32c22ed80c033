"""Both wire protocols botocore may use for CodeDeploy (JSON 1.1 and smithy-rpc-v2-cbor), and malformed requests."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import botocore.model
import cbor2
import pytest

from codedeploy_lab.testing import CREDENTIALS

CBOR_FIRST = ("smithy-rpc-v2-cbor", "json", "rest-json", "rest-xml", "query", "ec2")


@pytest.fixture
def cbor_client(lab, monkeypatch):
    """A CodeDeploy client that speaks smithy-rpc-v2-cbor (botocore picks JSON unless told otherwise)."""
    import boto3

    monkeypatch.setattr(botocore.model, "PRIORITY_ORDERED_SUPPORTED_PROTOCOLS", CBOR_FIRST)
    client = boto3.session.Session().client("codedeploy", endpoint_url=lab.endpoint, **CREDENTIALS)
    assert client.meta.service_model.resolved_protocol == "smithy-rpc-v2-cbor"
    wire = []
    client.meta.events.register(
        "before-send", lambda request, **_: wire.append((request.url, request.headers.get("Content-Type")))
    )
    client.wire = wire
    return client


def test_default_client_uses_json(boto3_client):
    assert boto3_client("codedeploy").meta.service_model.resolved_protocol == "json"


def test_cbor_round_trip(cbor_client, unique_name, service_role):
    app = unique_name("cbor-app")
    application_id = cbor_client.create_application(applicationName=app)["applicationId"]
    info = cbor_client.get_application(applicationName=app)["application"]
    assert info["applicationId"] == application_id
    assert isinstance(info["createTime"], datetime) and info["createTime"].tzinfo is not None
    assert abs(info["createTime"] - datetime.now(UTC)) < timedelta(minutes=5)
    url, content_type = cbor_client.wire[-1]
    assert url.endswith("/service/CodeDeploy_20141006/operation/GetApplication")
    assert content_type in (b"application/cbor", "application/cbor")

    cbor_client.create_deployment_group(
        applicationName=app,
        deploymentGroupName="g",
        serviceRoleArn=service_role,
        ec2TagFilters=[{"Key": "env", "Value": "x", "Type": "KEY_AND_VALUE"}],
    )
    group = cbor_client.get_deployment_group(applicationName=app, deploymentGroupName="g")["deploymentGroupInfo"]
    assert group["ec2TagFilters"] == [{"Key": "env", "Value": "x", "Type": "KEY_AND_VALUE"}]
    assert "CodeDeployDefault.OneAtATime" in cbor_client.list_deployment_configs()["deploymentConfigsList"]
    revision = {"revisionType": "S3", "s3Location": {"bucket": "b", "key": "k.zip", "bundleType": "zip"}}
    deployment_id = cbor_client.create_deployment(applicationName=app, deploymentGroupName="g", revision=revision)[
        "deploymentId"
    ]
    # Timestamps in the request (CBOR tag 1) are understood.
    window = {"start": datetime.now(UTC) - timedelta(minutes=5), "end": datetime.now(UTC) + timedelta(minutes=5)}
    assert cbor_client.list_deployments(applicationName=app, deploymentGroupName="g", createTimeRange=window)[
        "deployments"
    ] == [deployment_id]


def test_cbor_errors_map_to_modeled_exceptions(cbor_client):
    with pytest.raises(cbor_client.exceptions.ApplicationDoesNotExistException) as error:
        cbor_client.get_application(applicationName="missing-cbor-app")
    assert error.value.response["Error"]["Message"] == "No application found for name: missing-cbor-app"


def _post(lab, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
    auth = (
        "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/codedeploy/aws4_request, SignedHeaders=host, "
        "Signature=0"
    )
    request = urllib.request.Request(
        f"{lab.endpoint}{path}", data=body, method="POST", headers={"Authorization": auth, **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def test_malformed_requests(lab):
    json_headers = {"Content-Type": "application/x-amz-json-1.1"}
    status, body, _ = _post(
        lab, "/", b"{not json", {**json_headers, "X-Amz-Target": "CodeDeploy_20141006.ListApplications"}
    )
    assert status == 400 and json.loads(body)["__type"] == "SerializationException"
    status, body, _ = _post(lab, "/", b"{}", {**json_headers, "X-Amz-Target": "CodeDeploy_20141006.Fly"})
    assert status == 400 and json.loads(body) == {
        "__type": "UnknownOperationException",
        "message": "Unknown operation Fly.",
    }
    status, body, headers = _post(
        lab,
        "/",
        json.dumps({"applicationName": 5}).encode(),
        {**json_headers, "X-Amz-Target": "CodeDeploy_20141006.GetApplication"},
    )
    assert status == 400 and json.loads(body)["__type"] == "SerializationException"
    assert "GetApplication.applicationName: expected string, got int" in json.loads(body)["message"]
    assert headers.get("x-amzn-RequestId")
    status, body, headers = _post(
        lab,
        "/service/CodeDeploy_20141006/operation/GetApplication",
        cbor2.dumps({"applicationName": "nobody"}),
        {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"},
    )
    assert status == 400 and headers["smithy-protocol"] == "rpc-v2-cbor"
    assert cbor2.loads(body) == {
        "__type": "ApplicationDoesNotExistException",
        "message": "No application found for name: nobody",
    }
