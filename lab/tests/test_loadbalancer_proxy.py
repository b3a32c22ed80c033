"""The load balancers against moto's ELB/ELBv2/Auto Scaling over HTTP, with real web servers standing as hosts.

These tests run the load-balancer room on its own (a moto server in this process, the proxies following its state,
one small HTTP server per instance) so they need neither the lab process nor the fleet; the end-to-end tests with
lab hosts are in ``test_loadbalancer_lab.py``.
"""

from __future__ import annotations

import threading
import time
import typing as t
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs
from urllib.parse import urlparse

import boto3
import pytest
from moto.server import ThreadedMotoServer

from codedeploy_lab import moto_patches
from codedeploy_lab.clock import LabClock
from codedeploy_lab.loadbalancer import LoadBalancers

# One AWS minute = 0.6 lab seconds: a 6-second health-check interval is probed every 60 ms.
CLOCK = LabClock(seconds_per_aws_minute=0.6)
WAIT = 20.0  # real seconds any condition below may take before a test gives up


class WebServer:
    """A host's web server: answers ``<instance id>``; /slow?seconds=N answers after N seconds."""

    def __init__(self, instance_id: str) -> None:
        self.instance_id = instance_id
        self.healthy = True
        self.in_flight = 0
        self.served = 0
        self.last_headers: dict[str, str] = {}
        web = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_HEAD(self) -> None:
                body = f"{web.instance_id}\n".encode()
                self.send_response(200 if web.healthy else 500)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()

            def do_GET(self) -> None:
                if not self.headers.get("User-Agent", "").startswith("ELB-HealthChecker"):
                    web.last_headers = dict(self.headers)
                web.in_flight += 1
                try:
                    query = parse_qs(urlparse(self.path).query)
                    if self.path.startswith("/slow"):
                        time.sleep(float(query["seconds"][0]))
                    status = 200 if web.healthy else 500
                    body = f"{web.instance_id}\n".encode()
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    if status == 200 and not self.headers.get("User-Agent", "").startswith("ELB-HealthChecker"):
                        web.served += 1
                finally:
                    web.in_flight -= 1

            def log_message(self, *args: t.Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.5}, daemon=True).start()

    @property
    def address(self) -> tuple[str, int]:
        return self.server.server_address[:2]  # type: ignore[return-value]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Hosts:
    """Instance id -> its web server, made the first time the load balancer asks (as a lab host's would be)."""

    def __init__(self) -> None:
        self.servers: dict[str, WebServer] = {}
        self._lock = threading.Lock()

    def resolve(self, instance_id: str, port: int) -> tuple[str, int] | None:
        with self._lock:
            if instance_id not in self.servers:
                self.servers[instance_id] = WebServer(instance_id)
            return self.servers[instance_id].address

    def __getitem__(self, instance_id: str) -> WebServer:
        self.resolve(instance_id, 80)
        return self.servers[instance_id]


@pytest.fixture(scope="module")
def moto_endpoint() -> t.Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="module")
def hosts() -> t.Iterator[Hosts]:
    hosts = Hosts()
    yield hosts
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(WebServer.stop, hosts.servers.values()))


@pytest.fixture(scope="module")
def load_balancers(moto_endpoint: str, hosts: Hosts) -> t.Iterator[LoadBalancers]:
    load_balancers = LoadBalancers(hosts.resolve, CLOCK).start()
    moto_patches.report_target_health_from(load_balancers)
    yield load_balancers
    moto_patches.report_target_health_from(None)
    load_balancers.stop()


@pytest.fixture(scope="module")
def aws(moto_endpoint: str) -> t.Callable[[str], t.Any]:
    def client(service: str) -> t.Any:
        return boto3.client(
            service,
            endpoint_url=moto_endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    return client


@pytest.fixture(scope="module")
def image(aws: t.Callable[[str], t.Any]) -> str:
    # One of moto's default Amazon Linux AMIs, asked for by id: listing them all takes seconds.
    return aws("ec2").describe_images(ImageIds=["ami-03cf127a"])["Images"][0]["ImageId"]


def run_instances(aws: t.Callable[[str], t.Any], image: str, count: int) -> list[str]:
    ec2 = aws("ec2")
    reservation = ec2.run_instances(ImageId=image, MinCount=count, MaxCount=count, InstanceType="t3.micro")
    return sorted(instance["InstanceId"] for instance in reservation["Instances"])


def get(url: str, timeout: float = 30.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode().strip()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode().strip()


def wait_for(condition: t.Callable[[], t.Any], what: str, timeout: float = WAIT) -> t.Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def classic_states(aws: t.Callable[[str], t.Any], name: str) -> dict[str, tuple[str, str]]:
    states = aws("elb").describe_instance_health(LoadBalancerName=name)["InstanceStates"]
    return {state["InstanceId"]: (state["State"], state["Description"]) for state in states}


def make_classic(
    aws: t.Callable[[str], t.Any],
    load_balancers: LoadBalancers,
    name: str,
    instances: list[str],
    draining: int | None = None,
) -> str:
    elb = aws("elb")
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
            "HealthyThreshold": 3,
        },
    )
    if draining is not None:
        elb.modify_load_balancer_attributes(
            LoadBalancerName=name, LoadBalancerAttributes={"ConnectionDraining": {"Enabled": True, "Timeout": draining}}
        )
    if instances:
        elb.register_instances_with_load_balancer(
            LoadBalancerName=name, Instances=[{"InstanceId": i} for i in instances]
        )
    load_balancers.sync()
    wait_for(
        lambda: all(state == "InService" for state, _ in classic_states(aws, name).values()),
        f"{name}: all instances InService",
    )
    return load_balancers[name].url


def test_classic_round_robin_over_healthy_instances(aws, image, load_balancers, hosts):
    instances = run_instances(aws, image, 3)
    url = make_classic(aws, load_balancers, "rr-elb", instances)

    answers = [get(f"{url}/index.html") for _ in range(9)]

    assert all(status == 200 for status, _ in answers)
    served = [body for _, body in answers]
    assert sorted(set(served)) == instances
    assert served[:3] * 3 == served  # the same rotation, each instance once per round
    # The proxy tells the host who asked, as ELB does.
    assert load_balancers.describe()["listeners"]["rr-elb"]["url"] == url


def test_health_check_takes_an_instance_out_and_back_in(aws, image, load_balancers, hosts):
    instances = run_instances(aws, image, 3)
    url = make_classic(aws, load_balancers, "health-elb", instances)
    sick = instances[1]

    hosts[sick].healthy = False
    state = wait_for(
        lambda: (
            classic_states(aws, "health-elb")[sick][0] == "OutOfService" and classic_states(aws, "health-elb")[sick]
        ),
        "the failing instance OutOfService",
    )
    assert "UnhealthyThreshold" in classic_states(aws, "health-elb")[sick][1], state
    served = {get(f"{url}/")[1] for _ in range(6)}
    assert served == set(instances) - {sick}

    hosts[sick].healthy = True
    wait_for(lambda: classic_states(aws, "health-elb")[sick][0] == "InService", "the instance back InService")
    served = {get(f"{url}/")[1] for _ in range(6)}
    assert served == set(instances)


def test_503_when_no_instance_is_healthy(aws, image, load_balancers, hosts):
    instances = run_instances(aws, image, 2)
    url = make_classic(aws, load_balancers, "down-elb", instances)
    for instance in instances:
        hosts[instance].healthy = False
    wait_for(
        lambda: all(state == "OutOfService" for state, _ in classic_states(aws, "down-elb").values()),
        "every instance OutOfService",
    )

    status, body = get(f"{url}/")

    assert status == 503
    assert "Service" in body and "Unavailable" in body
    for instance in instances:
        hosts[instance].healthy = True


def test_503_when_nothing_is_registered(aws, image, load_balancers):
    url = make_classic(aws, load_balancers, "empty-elb", [])
    assert get(f"{url}/")[0] == 503


def test_draining_lets_an_in_flight_request_finish(aws, image, load_balancers, hosts):
    instances = run_instances(aws, image, 2)
    url = make_classic(aws, load_balancers, "drain-elb", instances, draining=900)
    with ThreadPoolExecutor(max_workers=1) as pool:
        slow = pool.submit(get, f"{url}/slow?seconds=4")  # long enough for the checks below on a busy machine
        busy = wait_for(lambda: [i for i in instances if hosts[i].in_flight], "the slow request to reach a host")[0]

        aws("elb").deregister_instances_from_load_balancer(
            LoadBalancerName="drain-elb", Instances=[{"InstanceId": busy}]
        )
        load_balancers.sync()
        pool_state = load_balancers.classic_pool("123456789012", "us-east-1", "drain-elb").state_of(busy)
        assert pool_state is not None and pool_state[0] == "draining"
        assert classic_states(aws, "drain-elb") == {i: ("InService", "N/A") for i in instances if i != busy}
        other_answers = {get(f"{url}/")[1] for _ in range(4)}  # new requests go elsewhere meanwhile

        assert slow.result() == (200, busy)
    assert other_answers == set(instances) - {busy}
    wait_for(
        lambda: load_balancers.classic_pool("123456789012", "us-east-1", "drain-elb").state_of(busy) is None,
        "the drained instance to leave",
    )


def test_draining_timeout_cuts_what_is_still_in_flight(aws, image, load_balancers, hosts):
    instances = run_instances(aws, image, 1)
    # 6 AWS seconds of draining are 60 ms here: the 3-second request cannot finish.
    url = make_classic(aws, load_balancers, "cut-elb", instances, draining=6)
    with ThreadPoolExecutor(max_workers=1) as pool:
        slow = pool.submit(get, f"{url}/slow?seconds=3")
        wait_for(lambda: hosts[instances[0]].in_flight, "the slow request to reach the host")
        aws("elb").deregister_instances_from_load_balancer(
            LoadBalancerName="cut-elb", Instances=[{"InstanceId": instances[0]}]
        )
        load_balancers.sync()
        status, _ = slow.result()
    assert status == 502


def test_auto_scaling_group_attached_to_a_classic_load_balancer(aws, image, load_balancers, hosts):
    make_classic(aws, load_balancers, "asg-elb", [])
    ec2 = aws("ec2")
    ec2.create_launch_template(
        LaunchTemplateName="asg-lt", LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro"}
    )
    autoscaling = aws("autoscaling")
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="asg-web",
        MinSize=2,
        MaxSize=3,
        DesiredCapacity=2,
        LaunchTemplate={"LaunchTemplateName": "asg-lt"},
        AvailabilityZones=["us-east-1a"],
        LoadBalancerNames=["asg-elb"],
    )
    group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["asg-web"])["AutoScalingGroups"][0]
    instances = sorted(instance["InstanceId"] for instance in group["Instances"])

    wait_for(
        lambda: (
            sorted(i for i, (state, _) in classic_states(aws, "asg-elb").items() if state == "InService") == instances
        ),
        "the group's instances InService",
    )
    url = load_balancers["asg-elb"].url
    assert {get(f"{url}/")[1] for _ in range(4)} == set(instances)

    # Deregistering an instance the group registered takes it out (moto alone would keep it).
    aws("elb").deregister_instances_from_load_balancer(
        LoadBalancerName="asg-elb", Instances=[{"InstanceId": instances[0]}]
    )
    load_balancers.sync()
    assert {get(f"{url}/")[1] for _ in range(4)} == {instances[1]}


def test_application_load_balancer_with_a_target_group(aws, image, load_balancers, hosts):
    ec2, elbv2 = aws("ec2"), aws("elbv2")
    subnets = [subnet["SubnetId"] for subnet in ec2.describe_subnets()["Subnets"]][:2]
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    alb = elbv2.create_load_balancer(Name="web-alb", Subnets=subnets)["LoadBalancers"][0]
    group = elbv2.create_target_group(
        Name="web-tg",
        Protocol="HTTP",
        Port=80,
        VpcId=vpc,
        HealthCheckPath="/health",
        HealthCheckIntervalSeconds=6,
        HealthyThresholdCount=2,
        UnhealthyThresholdCount=2,
    )["TargetGroups"][0]
    elbv2.modify_target_group_attributes(
        TargetGroupArn=group["TargetGroupArn"],
        Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "900"}],
    )
    elbv2.create_listener(
        LoadBalancerArn=alb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}],
    )
    instances = run_instances(aws, image, 2)
    elbv2.register_targets(TargetGroupArn=group["TargetGroupArn"], Targets=[{"Id": i} for i in instances])
    load_balancers.sync()

    def target_states() -> dict[str, str]:
        descriptions = elbv2.describe_target_health(TargetGroupArn=group["TargetGroupArn"])
        return {d["Target"]["Id"]: d["TargetHealth"]["State"] for d in descriptions["TargetHealthDescriptions"]}

    wait_for(lambda: target_states() == {i: "healthy" for i in instances}, "both targets healthy")
    url = load_balancers["web-alb"].url
    assert sorted(get(f"{url}/")[1] for _ in range(4)) == sorted(instances * 2)

    with ThreadPoolExecutor(max_workers=1) as pool:
        slow = pool.submit(get, f"{url}/slow?seconds=4")
        busy = wait_for(lambda: [i for i in instances if hosts[i].in_flight], "the slow request to reach a host")[0]
        elbv2.deregister_targets(TargetGroupArn=group["TargetGroupArn"], Targets=[{"Id": busy}])
        load_balancers.sync()
        health = elbv2.describe_target_health(TargetGroupArn=group["TargetGroupArn"], Targets=[{"Id": busy}])
        assert health["TargetHealthDescriptions"][0]["TargetHealth"]["State"] == "draining"
        assert {get(f"{url}/")[1] for _ in range(3)} == set(instances) - {busy}
        assert slow.result() == (200, busy)


def test_forwarded_headers_and_head_requests(aws, image, load_balancers, hosts):
    instances = run_instances(aws, image, 1)
    url = make_classic(aws, load_balancers, "head-elb", instances)
    request = urllib.request.Request(f"{url}/index.html", method="HEAD")
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        assert response.headers["Content-Length"] == str(len(f"{instances[0]}\n"))
        assert response.read() == b""
    assert get(f"{url}/index.html") == (200, instances[0])
    headers = hosts[instances[0]].last_headers
    assert (headers["X-Forwarded-For"], headers["X-Forwarded-Port"], headers["X-Forwarded-Proto"]) == (
        "127.0.0.1",
        "80",
        "http",
    )
