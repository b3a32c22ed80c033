"""The load balancers of a running lab, in front of lab hosts made by RunInstances with web-server user data."""

from __future__ import annotations

import json
import urllib.request

import pytest

from codedeploy_lab.deployments.testing import http_get
from codedeploy_lab.deployments.testing import run_web_instances
from codedeploy_lab.deployments.testing import terminate
from codedeploy_lab.deployments.testing import unique
from codedeploy_lab.deployments.testing import wait_for
from codedeploy_lab.deployments.testing import wait_web_ready
from codedeploy_lab.testing import run_cli


@pytest.fixture(scope="module")
def web_hosts(lab):
    instances = run_web_instances(lab.client, 2, {"Role": unique("lb-web")})
    wait_web_ready(lab, instances)
    yield instances
    terminate(lab.client, instances)


def states(lab, name):
    answer = lab.client("elb").describe_instance_health(LoadBalancerName=name)
    return {state["InstanceId"]: state["State"] for state in answer["InstanceStates"]}


def test_a_classic_load_balancer_serves_lab_hosts_round_robin(lab, web_hosts):
    name = unique("lab-elb")
    elb = lab.client("elb")
    elb.create_load_balancer(
        LoadBalancerName=name,
        AvailabilityZones=["us-east-1a"],
        Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80}],
    )
    elb.configure_health_check(
        LoadBalancerName=name,
        HealthCheck={
            "Target": "HTTP:80/index.html",
            "Interval": 6,
            "Timeout": 5,
            "UnhealthyThreshold": 2,
            "HealthyThreshold": 2,
        },
    )
    elb.register_instances_with_load_balancer(LoadBalancerName=name, Instances=[{"InstanceId": i} for i in web_hosts])
    wait_for(lambda: states(lab, name) == {i: "InService" for i in web_hosts}, "both hosts InService")

    status = json.loads(run_cli("status", "--json", "--state-dir", str(lab.state_dir)).stdout)
    url = status["load_balancers"][name]
    pages = [http_get(url) for _ in range(4)]

    assert [code for code, _ in pages] == [200] * 4
    assert sorted(body for _, body in pages) == sorted(f"v0 {i}" for i in web_hosts * 2)
    assert pages[0] != pages[1] and pages[0] == pages[2]  # round robin

    # Stopping httpd on one host fails its health checks: it leaves the rotation, and comes back when started.
    stopped = web_hosts[0]
    lab_request(lab, f"/_lab/hosts/{stopped}/services/httpd", {"action": "stop"})
    wait_for(lambda: states(lab, name)[stopped] == "OutOfService", "the stopped host OutOfService")
    assert {http_get(url)[1] for _ in range(4)} == {f"v0 {web_hosts[1]}"}
    lab_request(lab, f"/_lab/hosts/{stopped}/services/httpd", {"action": "start"})
    wait_for(lambda: states(lab, name)[stopped] == "InService", "the host back InService")
    assert {http_get(url)[1] for _ in range(4)} == {f"v0 {i}" for i in web_hosts}

    # Nobody healthy: 503.
    for instance in web_hosts:
        lab_request(lab, f"/_lab/hosts/{instance}/services/httpd", {"action": "stop"})
    wait_for(lambda: set(states(lab, name).values()) == {"OutOfService"}, "every host OutOfService")
    assert http_get(url)[0] == 503
    for instance in web_hosts:
        lab_request(lab, f"/_lab/hosts/{instance}/services/httpd", {"action": "start"})
    elb.delete_load_balancer(LoadBalancerName=name)
    wait_for(lambda: name not in lab.get("/_lab/status")["load_balancers"], "the load balancer's proxy to go")


def lab_request(lab, path, payload):
    with urllib.request.urlopen(lab.request("POST", path, payload), timeout=30) as response:
        return json.loads(response.read())
