"""What the console shows, read through the lab's own AWS APIs (CodeDeploy, EC2, Auto Scaling, ELB) and its hosts.

One interface, ``LabSource``, with two implementations:

* ``InProcess(lab)``: inside the lab process (how the lab serves ``/console/``): AWS calls go to the lab's own
  endpoint, hosts and load balancer addresses come from the ``Lab`` object;
* ``OverHttp(endpoint, token, credentials)``: anywhere else (a test, a console beside a lab in another process): the
  same AWS calls, signed with the key pair it is given (on a lab started with ``--enforce-iam``, the administrator's:
  ``codedeploy-lab status --json`` gives them as ``admin_credentials``), hosts from ``/_lab/hosts`` and load balancer
  addresses from ``/_lab/status`` (with the control token).

When an enforcing lab refuses a call, ``ConsoleData.refusal`` says so in a sentence that names the keys, the call,
the lab's error and what the console needs (``READ_ACTIONS``), and the page shows that sentence.

Reading through the public API instead of the service's objects keeps the console honest: it sees what
``aws deploy get-deployment`` sees, and no lock or private attribute of the lab is touched. ``ConsoleData`` turns the
answers into one JSON-able dict per page.
"""

from __future__ import annotations

import json
import threading
import typing as t
import urllib.error
import urllib.request
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from ..iam import internal_credentials
from ..iam.bootstrap import KeyPair
from ..lab import TOKEN_HEADER
from ..lab import Lab

ANY_KEYS = KeyPair("testing", "testing")  # a lab without --enforce-iam takes any key pair
REGION = "us-east-1"
USER_AGENT = "codedeploy-lab-console"  # in every AWS call the console makes, so the lab can tell them apart
BATCH = 25  # BatchGetDeployments and BatchGetDeploymentTargets take at most 25 ids
RECENT_DEPLOYMENTS = 20  # deployments listed per deployment group
# Every IAM action the console's reads need, and no other (lab/tests/test_console_iam.py reads every page with
# exactly these).
READ_ACTIONS = (
    "codedeploy:BatchGetApplications",
    "codedeploy:BatchGetDeploymentGroups",
    "codedeploy:BatchGetDeploymentTargets",
    "codedeploy:BatchGetDeployments",
    "codedeploy:GetDeployment",
    "codedeploy:GetDeploymentGroup",
    "codedeploy:ListApplications",
    "codedeploy:ListDeploymentGroups",
    "codedeploy:ListDeploymentTargets",
    "codedeploy:ListDeployments",
    "ec2:DescribeInstances",
    "autoscaling:DescribeAutoScalingInstances",
    "elasticloadbalancing:DescribeInstanceHealth",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
)
# The codes with which an enforcing lab refuses a call, as each service words them (iam/guard.py): keys it does
# not know or a signature that does not match, and a call the keys' policies do not allow.
UNKNOWN_KEYS_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "InvalidAccessKeyId",
        "InvalidToken",
        "AuthFailure",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
    }
)
NOT_ALLOWED_CODES = frozenset({"AccessDeniedException", "AccessDenied", "UnauthorizedOperation", "AuthorizationError"})
ADMIN_KEYS_HINT = "`codedeploy-lab status --json` gives the administrator's as admin_credentials"


class LabSource(t.Protocol):
    """Where the console reads from."""

    signer: str  # who signs the console's AWS calls, as an error message names it

    def client(self, service: str) -> t.Any:
        """A boto3 client of the lab's AWS API."""

    def hosts(self) -> list[dict[str, t.Any]]:
        """Every lab host, as ``GET /_lab/hosts`` describes it (``instance_id``, ``state``, ``web.url``, ...)."""

    def status(self) -> dict[str, t.Any]:
        """``GET /_lab/status``: ``load_balancers`` (name -> URL), ``seconds_per_aws_minute``, ..."""


class _Clients:
    """boto3 clients of one endpoint, made once (they are thread-safe; making one takes tens of milliseconds)."""

    def __init__(self, endpoint: t.Callable[[], str], keys: KeyPair) -> None:
        self._endpoint = endpoint
        self._keys = keys
        self._clients: dict[str, t.Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str) -> t.Any:
        with self._lock:
            if service not in self._clients:
                config = Config(
                    user_agent_extra=USER_AGENT,
                    retries={"max_attempts": 2, "mode": "standard"},
                    connect_timeout=5,
                    read_timeout=10,
                )
                self._clients[service] = boto3.session.Session().client(
                    service, endpoint_url=self._endpoint(), config=config, region_name=REGION, **self._keys.as_boto3()
                )
            return self._clients[service]


class InProcess:
    """The console inside the lab process."""

    signer = "the lab's internal key pair"

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        # The lab's internal principal (an enforcing lab lets it read everything; it is never on disk).
        self._clients = _Clients(lambda: str(lab.endpoint), internal_credentials())  # the port is known once it listens

    def client(self, service: str) -> t.Any:
        return self._clients.client(service)

    def hosts(self) -> list[dict[str, t.Any]]:
        fleet = self.lab.fleet
        return [host.describe() for host in fleet.hosts()] if fleet is not None else []

    def status(self) -> dict[str, t.Any]:
        return self.lab.status()


class OverHttp:
    """The console beside a lab that runs in another process, reached at ``endpoint``.

    Its AWS calls are signed with ``credentials``: on a lab started with ``--enforce-iam``, keys whose policies allow
    ``READ_ACTIONS`` (the administrator's do); without them, ``testing``, which only a lab that does not enforce IAM
    takes.
    """

    def __init__(self, endpoint: str, token: str | None = None, credentials: KeyPair | None = None) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.headers = {TOKEN_HEADER: token} if token else {}  # /_lab/ answers only with the control token
        keys = credentials or ANY_KEYS
        self.signer = f"access key {keys.access_key_id}"
        self._clients = _Clients(lambda: self.endpoint, keys)

    def client(self, service: str) -> t.Any:
        return self._clients.client(service)

    def _get(self, path: str) -> t.Any:
        request = urllib.request.Request(f"{self.endpoint}{path}", headers=self.headers)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def hosts(self) -> list[dict[str, t.Any]]:
        try:
            return list(self._get("/_lab/hosts")["hosts"])
        except urllib.error.HTTPError as error:
            if error.code == 404:  # no fleet room in this lab
                return []
            raise

    def status(self) -> dict[str, t.Any]:
        return t.cast(dict, self._get("/_lab/status"))


class NotFound(LookupError):
    """The page's resource does not exist (the console answers 404 with this message)."""


def _chunks(items: list[str], size: int = BATCH) -> t.Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _paginate(client: t.Any, operation: str, key: str, **params: t.Any) -> list[t.Any]:
    return [item for page in client.get_paginator(operation).paginate(**params) for item in page[key]]


def _missing(error: Exception) -> bool:
    code = getattr(error, "response", {}).get("Error", {}).get("Code", "")
    return str(code).endswith("DoesNotExistException") or code in ("InvalidDeploymentIdException",)


class ConsoleData:
    """The console's pages as JSON-able dicts, read from a ``LabSource``."""

    def __init__(self, source: LabSource) -> None:
        self.source = source

    def refusal(self, error: Exception) -> str | None:
        """What to tell a person when ``error`` is the lab refusing one of the console's calls (None if it is not).

        The sentence names the keys, the call and the lab's own error (AWS's AccessDenied message names the action
        and the resource), then what is missing: keys the lab knows, or a policy that allows ``READ_ACTIONS``.
        """
        if not isinstance(error, ClientError):
            return None
        code = str(error.response.get("Error", {}).get("Code", ""))
        said = f"{code}: {error.response.get('Error', {}).get('Message') or 'no message'}".rstrip(".")
        call = f"the console's {error.operation_name} call"
        if code in UNKNOWN_KEYS_CODES:
            return (
                f"The lab refused {call}, signed with {self.source.signer}: {said}. The lab enforces IAM and does "
                f"not take these keys: give the console keys of a lab IAM user ({ADMIN_KEYS_HINT})."
            )
        if code in NOT_ALLOWED_CODES:
            return (
                f"The lab refused {call}, signed with {self.source.signer}: {said}. The console needs keys whose "
                f"policies allow {', '.join(READ_ACTIONS)} ({ADMIN_KEYS_HINT})."
            )
        return None

    def _codedeploy(self) -> t.Any:
        return self.source.client("codedeploy")

    # -- applications ---------------------------------------------------------------------------------------------

    def applications(self) -> dict[str, t.Any]:
        """Every application with its deployment groups and each group's last attempted deployment."""
        codedeploy = self._codedeploy()
        names = _paginate(codedeploy, "list_applications", "applications")
        applications = []
        for chunk in _chunks(sorted(names), 100):
            applications += codedeploy.batch_get_applications(applicationNames=chunk)["applicationsInfo"]
        for application in applications:
            groups = _paginate(
                codedeploy, "list_deployment_groups", "deploymentGroups", applicationName=application["applicationName"]
            )
            infos = []
            for chunk in _chunks(sorted(groups), 100):
                infos += codedeploy.batch_get_deployment_groups(
                    applicationName=application["applicationName"], deploymentGroupNames=chunk
                )["deploymentGroupsInfo"]
            application["deploymentGroups"] = [_group_settings(info) for info in infos]
        applications.sort(key=lambda a: a["createTime"], reverse=True)  # the newest first: the one being worked on
        return {"applications": applications, "now": _now()}

    def deployment_group(self, application: str, group: str) -> dict[str, t.Any]:
        """A group's settings and its recent deployments, newest first."""
        codedeploy = self._codedeploy()
        try:
            info = codedeploy.get_deployment_group(applicationName=application, deploymentGroupName=group)[
                "deploymentGroupInfo"
            ]
        except Exception as error:
            if _missing(error):
                raise NotFound(f"no deployment group {group!r} in application {application!r}") from error
            raise
        ids = codedeploy.list_deployments(applicationName=application, deploymentGroupName=group)["deployments"][
            :RECENT_DEPLOYMENTS
        ]
        deployments = self._deployments(ids)
        return {"deploymentGroup": _group_settings(info), "deployments": deployments, "now": _now()}

    def _deployments(self, ids: list[str]) -> list[dict[str, t.Any]]:
        found: dict[str, dict[str, t.Any]] = {}
        for chunk in _chunks(ids):
            for info in self._codedeploy().batch_get_deployments(deploymentIds=chunk)["deploymentsInfo"]:
                found[info["deploymentId"]] = _deployment_summary(info)
        return [found[i] for i in ids if i in found]

    # -- one deployment -------------------------------------------------------------------------------------------

    def deployment(self, deployment_id: str) -> dict[str, t.Any]:
        """A deployment, its instances with their lifecycle events, and for blue/green where the traffic is."""
        codedeploy = self._codedeploy()
        try:
            info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
        except Exception as error:
            if _missing(error):
                raise NotFound(f"no deployment {deployment_id!r}") from error
            raise
        targets: list[dict[str, t.Any]] = []
        if info.get("startTime") or info["status"] not in ("Created", "Queued"):
            target_ids = _paginate(codedeploy, "list_deployment_targets", "targetIds", deploymentId=deployment_id)
            for chunk in _chunks(sorted(target_ids)):
                answer = codedeploy.batch_get_deployment_targets(deploymentId=deployment_id, targetIds=chunk)
                targets += [
                    _target(target["instanceTarget"])
                    for target in answer["deploymentTargets"]
                    if "instanceTarget" in target
                ]
        summary = _deployment_summary(info)
        summary["instances"] = sorted(targets, key=lambda target: (target["label"] == "Green", target["instanceId"]))
        if summary["style"].get("deploymentType") == "BLUE_GREEN":
            summary["blueGreen"] = _blue_green(info, targets, self.source.status())
        return {"deployment": summary, "now": _now()}

    # -- the fleet ------------------------------------------------------------------------------------------------

    def fleet(self) -> dict[str, t.Any]:
        """Every EC2 instance with its Auto Scaling group, lifecycle state, load balancer health and web server."""
        ec2 = self.source.client("ec2")
        instances = {
            i["InstanceId"]: i for r in _paginate(ec2, "describe_instances", "Reservations") for i in r["Instances"]
        }
        scaling = {
            i["InstanceId"]: i
            for i in _paginate(
                self.source.client("autoscaling"), "describe_auto_scaling_instances", "AutoScalingInstances"
            )
        }
        health = self._load_balancer_health()
        hosts = {host["instance_id"]: host for host in self.source.hosts()}
        status = self.source.status()
        rows = []
        for instance_id, instance in sorted(instances.items(), key=lambda item: (item[1]["LaunchTime"], item[0])):
            tags = {tag["Key"]: tag["Value"] for tag in instance.get("Tags", [])}
            group = scaling.get(instance_id, {})
            host = hosts.get(instance_id, {})
            web = host.get("web") or {}
            rows.append(
                {
                    "instanceId": instance_id,
                    "name": tags.get("Name"),
                    "state": instance["State"]["Name"],
                    "launchTime": instance["LaunchTime"],
                    "autoScalingGroup": group.get("AutoScalingGroupName"),
                    "lifecycleState": group.get("LifecycleState"),
                    "healthStatus": group.get("HealthStatus"),
                    "loadBalancers": health.get(instance_id, []),
                    "web": {
                        "url": web.get("url"),
                        "socket": web.get("socket"),
                        "running": web.get("running"),
                        "healthy": web.get("healthy"),
                    },
                    "tags": tags,
                }
            )
        load_balancers = [{"name": name, "url": url} for name, url in sorted(status.get("load_balancers", {}).items())]
        return {"instances": rows, "loadBalancers": load_balancers, "now": _now()}

    def _load_balancer_health(self) -> dict[str, list[dict[str, t.Any]]]:
        """``{instance id: [{loadBalancer, state, reason}]}`` from Classic Load Balancers and target groups."""
        health: dict[str, list[dict[str, t.Any]]] = {}
        elb = self.source.client("elb")
        for balancer in _paginate(elb, "describe_load_balancers", "LoadBalancerDescriptions"):
            name = balancer["LoadBalancerName"]
            if not balancer.get("Instances"):
                continue
            for state in elb.describe_instance_health(LoadBalancerName=name)["InstanceStates"]:
                health.setdefault(state["InstanceId"], []).append(
                    {"loadBalancer": name, "state": state["State"], "reason": state.get("Description")}
                )
        elbv2 = self.source.client("elbv2")
        for group in _paginate(elbv2, "describe_target_groups", "TargetGroups"):
            for description in elbv2.describe_target_health(TargetGroupArn=group["TargetGroupArn"]).get(
                "TargetHealthDescriptions", []
            ):
                target_health = description.get("TargetHealth", {})
                health.setdefault(description["Target"]["Id"], []).append(
                    {
                        "loadBalancer": f"target group {group['TargetGroupName']}",
                        "state": target_health.get("State"),
                        "reason": target_health.get("Description"),
                    }
                )
        return health


# -- shapes ---------------------------------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def _group_settings(info: dict[str, t.Any]) -> dict[str, t.Any]:
    """The settings of a deployment group that matter while watching a rollout."""
    load_balancer = info.get("loadBalancerInfo") or {}
    return {
        "applicationName": info["applicationName"],
        "name": info["deploymentGroupName"],
        "deploymentConfigName": info.get("deploymentConfigName"),
        "style": info.get("deploymentStyle") or {},
        "autoScalingGroups": [group["name"] for group in info.get("autoScalingGroups", [])],
        "ec2TagFilters": info.get("ec2TagFilters", []),
        "loadBalancers": [lb["name"] for lb in load_balancer.get("elbInfoList", [])]
        + [f"target group {tg['name']}" for tg in load_balancer.get("targetGroupInfoList", [])],
        "autoRollback": info.get("autoRollbackConfiguration") or {"enabled": False},
        "alarms": info.get("alarmConfiguration") or {"enabled": False},
        "blueGreen": info.get("blueGreenDeploymentConfiguration"),
        "lastAttemptedDeployment": info.get("lastAttemptedDeployment"),
        "lastSuccessfulDeployment": info.get("lastSuccessfulDeployment"),
    }


def _deployment_summary(info: dict[str, t.Any]) -> dict[str, t.Any]:
    rollback = info.get("rollbackInfo") or {}
    return {
        "deploymentId": info["deploymentId"],
        "applicationName": info["applicationName"],
        "deploymentGroupName": info["deploymentGroupName"],
        "status": info["status"],
        "creator": info.get("creator"),
        "revision": _revision(info.get("revision")),
        "deploymentConfigName": info.get("deploymentConfigName"),
        "overview": info.get("deploymentOverview", {}),
        "createTime": info.get("createTime"),
        "startTime": info.get("startTime"),
        "completeTime": info.get("completeTime"),
        "description": info.get("description"),
        "errorInformation": info.get("errorInformation"),
        "style": info.get("deploymentStyle") or {},
        "rollbackDeploymentId": rollback.get("rollbackDeploymentId"),
        "rollbackTriggeringDeploymentId": rollback.get("rollbackTriggeringDeploymentId"),
        "rollbackMessage": rollback.get("rollbackMessage"),
        "statusMessages": info.get("deploymentStatusMessages", []),
    }


def _revision(revision: dict[str, t.Any] | None) -> dict[str, t.Any] | None:
    """S3 revision: bucket, key, bundle type and ETag or version; GitHub: repository and commit; else as given."""
    if not revision:
        return None
    if revision.get("revisionType") == "S3":
        location = revision.get("s3Location", {})
        return {
            "type": "S3",
            "bucket": location.get("bucket"),
            "key": location.get("key"),
            "bundleType": location.get("bundleType"),
            "eTag": location.get("eTag"),
            "version": location.get("version"),
        }
    if revision.get("revisionType") == "GitHub":
        location = revision.get("gitHubLocation", {})
        return {"type": "GitHub", "repository": location.get("repository"), "commitId": location.get("commitId")}
    return {"type": revision.get("revisionType")}


def _target(target: dict[str, t.Any]) -> dict[str, t.Any]:
    return {
        "instanceId": target["targetId"],
        "status": target["status"],
        "label": target.get("instanceLabel"),
        "lastUpdatedAt": target.get("lastUpdatedAt"),
        "events": [
            {
                "name": event["lifecycleEventName"],
                "status": event["status"],
                "startTime": event.get("startTime"),
                "endTime": event.get("endTime"),
                "diagnostics": event.get("diagnostics"),
            }
            for event in target.get("lifecycleEvents", [])
        ],
    }


def _event(targets: list[dict[str, t.Any]], label: str, name: str) -> list[dict[str, t.Any]]:
    return [
        event for target in targets if target["label"] == label for event in target["events"] if event["name"] == name
    ]


def _blue_green(info: dict[str, t.Any], targets: list[dict[str, t.Any]], status: dict[str, t.Any]) -> dict[str, t.Any]:
    """Original (Blue) and replacement (Green) fleets, where traffic is, and when the original fleet ends."""
    config = info.get("blueGreenDeploymentConfiguration") or {}
    allowed = _event(targets, "Green", "AllowTraffic")
    blocked = _event(targets, "Blue", "BlockTraffic")
    rollback_of = (info.get("rollbackInfo") or {}).get("rollbackTriggeringDeploymentId")
    if rollback_of:  # a blue/green rollback sends traffic back: Blue gets AllowTraffic, Green BlockTraffic
        allowed, blocked = _event(targets, "Blue", "AllowTraffic"), _event(targets, "Green", "BlockTraffic")
    moved = bool(allowed) and all(event["status"] == "Succeeded" for event in allowed)
    new_fleet, old_fleet = ("original", "replacement") if rollback_of else ("replacement", "original")
    if moved:
        traffic = f"on the {new_fleet} fleet"
    elif any(event["status"] == "InProgress" for event in allowed + blocked):
        traffic = f"moving from the {old_fleet} to the {new_fleet} fleet"
    else:
        traffic = f"on the {old_fleet} fleet"
    termination = config.get("terminateBlueInstancesOnDeploymentSuccess") or {}
    action = termination.get("action", "KEEP_ALIVE")
    wait_minutes = termination.get("terminationWaitTimeInMinutes", 0) if action == "TERMINATE" else None
    ends_at = None
    traffic_moved_at = max((event["endTime"] for event in allowed if event.get("endTime")), default=None)
    if wait_minutes is not None and traffic_moved_at is not None and info["status"] == "Succeeded":
        seconds = wait_minutes * float(status.get("seconds_per_aws_minute") or 60.0)
        ends_at = traffic_moved_at + timedelta(seconds=seconds)
    return {
        "original": [target["instanceId"] for target in targets if target["label"] == "Blue"],
        "replacement": [target["instanceId"] for target in targets if target["label"] == "Green"],
        "traffic": traffic,
        "trafficMovedAt": traffic_moved_at,
        "originalFleetAction": action,
        "terminationWaitMinutes": wait_minutes,
        "originalFleetEndsAt": ends_at,
        "secondsPerAwsMinute": status.get("seconds_per_aws_minute"),
    }
