"""The console's HTTP contract, without a browser: read-only, same-origin, and JSON that says what the lab says.

The console is served from this test process on a loopback port of its own (``serve_console``), reading the session's
control-plane lab through its AWS API, as it reads its own lab once the lab mounts it under ``/console/``.
"""

from __future__ import annotations

import json
import typing as t
import urllib.error
import urllib.request
import uuid

import boto3
import pytest

from codedeploy_lab.console import attach
from codedeploy_lab.console.testing import serve_console
from codedeploy_lab.console.testing import serve_wsgi
from codedeploy_lab.server import LabApplication
from codedeploy_lab.server import build_lab
from codedeploy_lab.testing import CREDENTIALS


class Answer(t.NamedTuple):
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> t.Any:
        return json.loads(self.body)


def request(url: str, method: str = "GET", headers: dict[str, str] | None = None, body: bytes | None = None) -> Answer:
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, data=body, method=method, headers=headers or {}), timeout=30
        ) as response:
            return Answer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, dict(error.headers), error.read())


@pytest.fixture(scope="module")
def console(control_plane_lab) -> t.Iterator[str]:
    with serve_console(control_plane_lab) as url:
        yield url


@pytest.fixture
def deployment(control_plane_lab, unique_name, service_role) -> dict[str, str]:
    """An application, a deployment group and a deployment (it stays Created: this lab has no engine)."""
    codedeploy = control_plane_lab.client("codedeploy")
    application, group = unique_name("console-app"), unique_name("console-group")
    codedeploy.create_application(applicationName=application)
    codedeploy.create_deployment_group(
        applicationName=application,
        deploymentGroupName=group,
        serviceRoleArn=service_role,
        deploymentStyle={"deploymentType": "IN_PLACE", "deploymentOption": "WITHOUT_TRAFFIC_CONTROL"},
        ec2TagFilters=[{"Key": "Name", "Value": group, "Type": "KEY_AND_VALUE"}],
        autoRollbackConfiguration={"enabled": True, "events": ["DEPLOYMENT_FAILURE"]},
    )
    deployment_id = codedeploy.create_deployment(
        applicationName=application,
        deploymentGroupName=group,
        revision={
            "revisionType": "S3",
            "s3Location": {
                "bucket": "releases",
                "key": f"{group}/v1.zip",
                "bundleType": "zip",
                "eTag": "0123456789abcdef",
            },
        },
    )["deploymentId"]
    return {"application": application, "group": group, "deployment": deployment_id}


@pytest.fixture(scope="module")
def service_role(control_plane_lab) -> str:
    iam = control_plane_lab.client("iam")
    role = iam.create_role(
        RoleName=f"console-role-{uuid.uuid4().hex[:8]}",
        AssumeRolePolicyDocument='{"Version": "2012-10-17", "Statement": []}',
    )
    return str(role["Role"]["Arn"])


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
@pytest.mark.parametrize("path", ["", "api/applications", "api/fleet", "static/console.js"])
def test_console_refuses_every_method_but_get(console: str, method: str, path: str) -> None:
    answer = request(f"{console}{path}", method, body=b"{}" if method in ("POST", "PUT", "PATCH") else None)

    assert answer.status == 405, answer
    assert answer.headers["Allow"] == "GET, HEAD"
    assert f"the console is read-only: {method} is not served" in answer.json()["error"]
    assert not any(name.lower().startswith("access-control-") for name in answer.headers), answer.headers


def test_console_sends_no_cors_headers_and_refuses_other_origins(console: str) -> None:
    own_origin = console.removesuffix("/console/")
    same = request(f"{console}api/applications", headers={"Origin": own_origin})
    other = request(f"{console}api/applications", headers={"Origin": "http://127.0.0.1:9"})
    cross_site = request(f"{console}api/fleet", headers={"Sec-Fetch-Site": "cross-site"})

    assert same.status == 200, same
    assert other.status == 403 and "requests from http://127.0.0.1:9 are refused" in other.json()["error"]
    assert cross_site.status == 403, cross_site
    for answer in (same, other, cross_site):
        assert not any(name.lower().startswith("access-control-") for name in answer.headers), answer.headers
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]


def test_console_pages_and_files_ship_in_the_package(console: str) -> None:
    page = request(f"{console}deployments/d-ANYTHING")
    script = request(f"{console}static/console.js")
    style = request(f"{console}static/console.css")
    outside = request(f"{console}static/..%2Fapp.py")

    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    assert b'<script src="/console/static/console.js"' in page.body
    assert script.status == 200 and script.headers["Content-Type"].startswith("text/javascript")
    assert style.status == 200 and style.headers["Content-Type"].startswith("text/css")
    assert outside.status == 404, outside


def test_console_scripts_fetch_nothing_but_their_own_origin(console: str) -> None:
    page = request(console).body.decode()
    script = request(f"{console}static/console.js").body.decode()
    style = request(f"{console}static/console.css").body.decode()

    for text in (page, script, style):
        assert "http://" not in text and "https://" not in text and "//cdn" not in text
    assert "fetch(`${PREFIX}/api/" in script


def test_console_json_follows_the_lab(console: str, deployment: dict[str, str]) -> None:
    applications = request(f"{console}api/applications").json()["applications"]
    group_page = request(f"{console}api/applications/{deployment['application']}/{deployment['group']}").json()
    deployment_page = request(f"{console}api/deployments/{deployment['deployment']}").json()["deployment"]

    application = next(a for a in applications if a["applicationName"] == deployment["application"])
    assert [g["name"] for g in application["deploymentGroups"]] == [deployment["group"]]
    settings = group_page["deploymentGroup"]
    assert settings["style"] == {"deploymentType": "IN_PLACE", "deploymentOption": "WITHOUT_TRAFFIC_CONTROL"}
    assert settings["autoRollback"] == {"enabled": True, "events": ["DEPLOYMENT_FAILURE"]}
    assert settings["lastAttemptedDeployment"]["deploymentId"] == deployment["deployment"]
    assert [d["deploymentId"] for d in group_page["deployments"]] == [deployment["deployment"]]
    assert deployment_page["status"] == "Created" and deployment_page["creator"] == "user"
    assert deployment_page["revision"] == {
        "type": "S3",
        "bucket": "releases",
        "key": f"{deployment['group']}/v1.zip",
        "bundleType": "zip",
        "eTag": "0123456789abcdef",
        "version": None,
    }
    assert deployment_page["deploymentConfigName"] == "CodeDeployDefault.OneAtATime"
    assert deployment_page["instances"] == []


def test_console_names_what_does_not_exist(console: str) -> None:
    deployment = request(f"{console}api/deployments/d-NOSUCH000")
    group = request(f"{console}api/applications/no-such-app/no-such-group")
    page = request(f"{console}no/such/page")

    assert deployment.status == 404 and deployment.json() == {"error": "no deployment 'd-NOSUCH000'"}
    assert group.status == 404
    assert group.json() == {"error": "no deployment group 'no-such-group' in application 'no-such-app'"}
    assert page.status == 404 and "start at /console/" in page.json()["error"]


def test_console_mounted_in_a_lab_process_reads_that_lab(tmp_path) -> None:
    """``attach(lab)`` and the routing server.py gives ``/console``: the lab's guard first, then ``lab.console``."""
    lab = build_lab(tmp_path / "state")  # control plane and moto in this process, no rooms
    lab.reset()  # moto's state is the process's: empty what other tests in this worker left
    attach(lab)
    application = LabApplication(lab, "control-token")

    def lab_process(environ: dict[str, t.Any], start_response: t.Callable) -> t.Iterable[bytes]:
        refused = application.guard.refusal(environ)
        if refused is None and environ["PATH_INFO"].startswith("/console"):
            return lab.console(environ, start_response)
        return application(environ, start_response)

    with serve_wsgi(lab_process) as endpoint:
        lab.port = int(endpoint.rsplit(":", 1)[1])
        codedeploy = boto3.client("codedeploy", endpoint_url=endpoint, **CREDENTIALS)
        codedeploy.create_application(applicationName="in-process")
        applications = request(f"{endpoint}/console/api/applications").json()["applications"]
        fleet = request(f"{endpoint}/console/api/fleet").json()
        foreign_host = request(f"{endpoint}/console/", headers={"Host": "attacker.example:80"})

    assert [a["applicationName"] for a in applications] == ["in-process"]
    assert fleet["instances"] == [] and fleet["loadBalancers"] == []
    assert foreign_host.status == 403 and foreign_host.json()["error"] == "ForeignHost"  # DNS rebinding
