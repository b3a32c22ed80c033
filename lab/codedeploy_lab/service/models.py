"""The CodeDeploy control plane's state and rules (one backend per account and region).

Shapes follow botocore 1.44.8's model; behaviour follows codedeploy-semantics.md. Every public backend method is
one API operation: it takes unpacked parameters (``responses.py`` does the unpacking), validates them as AWS does,
changes state under the service lock and returns the response body as a dict.

Deployments: ``CodeDeployBackend.create_deployment`` validates, stores a ``Deployment`` in status ``Created`` and
hands it to ``CodeDeployService.hand_off`` -- the one place where the deployment engine
(``codedeploy_lab.deployments``, attached as ``lab.engine``) takes over. Without an engine the deployment honestly
stays ``Created``. The engine mutates ``Deployment``/``DeploymentTarget``/``LifecycleEvent`` objects while holding
``service.lock`` (an ``RLock``) and calls ``backend.deployment_finished(deployment)`` when one ends.
"""

from __future__ import annotations

import base64
import json
import random
import string
import threading
import typing as t
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

from . import exceptions as exc
from . import validation as v

DEFAULT_ACCOUNT_ID = "123456789012"
PAGE_SIZE = 100  # items per page of every List* call (AWS does not document its page size)
MAX_APPLICATIONS = 1000
MAX_DEPLOYMENT_GROUPS = 1000
MAX_CUSTOM_CONFIGS = 200
MAX_BATCH_APPLICATIONS = 100
MAX_BATCH_DEPLOYMENT_GROUPS = 100
MAX_BATCH_DEPLOYMENTS = 100
MAX_BATCH_REVISIONS = 25
MAX_BATCH_TARGETS = 25
ACTIVE_STATUSES = ("Created", "Queued", "InProgress", "Baking", "Ready")
TERMINAL_STATUSES = ("Succeeded", "Failed", "Stopped")
DEFAULT_CONFIG = "CodeDeployDefault.OneAtATime"
LAUNCH_HOOK_PREFIX = "CodeDeploy-managed-automatic-launch-deployment-hook"
TERMINATION_HOOK_PREFIX = "CodeDeploy-managed-termination-hook"
STOP_MESSAGE = "No more commands will be scheduled for execution in the deployment instances"
BUILTIN_CREATE_TIME = datetime(2014, 11, 12, tzinfo=timezone.utc)


def now() -> datetime:
    """The time the service records, to the millisecond like CodeDeploy's: a client that passes a createTime it read
    back as createTimeRange.start must find that deployment, so no sub-millisecond part may stay behind."""
    moment = datetime.now(timezone.utc)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def new_deployment_id() -> str:
    return "d-" + "".join(random.choices(string.ascii_uppercase + string.digits, k=9))


# --- resources ----------------------------------------------------------------------------------------------


@dataclass
class DeploymentConfig:
    name: str
    config_id: str
    compute_platform: str = "Server"
    minimum_healthy_hosts: dict[str, t.Any] | None = None
    traffic_routing_config: dict[str, t.Any] | None = None
    zonal_config: dict[str, t.Any] | None = None
    create_time: datetime = field(default_factory=now)
    builtin: bool = False
    tags: dict[str, str] = field(default_factory=dict)

    def to_info(self) -> dict[str, t.Any]:
        info: dict[str, t.Any] = {"deploymentConfigId": self.config_id, "deploymentConfigName": self.name,
                                  "createTime": self.create_time, "computePlatform": self.compute_platform}
        if self.minimum_healthy_hosts is not None:
            info["minimumHealthyHosts"] = dict(self.minimum_healthy_hosts)
        if self.traffic_routing_config is not None:
            info["trafficRoutingConfig"] = self.traffic_routing_config
        if self.zonal_config is not None:
            info["zonalConfig"] = self.zonal_config
        return info


def _builtin(name: str, number: int, platform: str = "Server", hosts: dict[str, t.Any] | None = None,
             routing: dict[str, t.Any] | None = None) -> DeploymentConfig:
    config_id = f"00000000-0000-0000-0000-{number:012d}" if platform == "Server" else \
        str(uuid.uuid5(uuid.NAMESPACE_URL, f"codedeploy-lab:{name}"))
    return DeploymentConfig(name=name, config_id=config_id, compute_platform=platform, minimum_healthy_hosts=hosts,
                            traffic_routing_config=routing, create_time=BUILTIN_CREATE_TIME, builtin=True)


def _canary(percent: int, minutes: int) -> dict[str, t.Any]:
    return {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": percent, "canaryInterval": minutes}}


def _linear(percent: int, minutes: int) -> dict[str, t.Any]:
    return {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": percent, "linearInterval": minutes}}


BUILTIN_CONFIGS: dict[str, DeploymentConfig] = {c.name: c for c in [
    # OneAtATime really reports MOST_CONCURRENCY (outside the public enum) and id ...0001 (API reference sample).
    _builtin("CodeDeployDefault.OneAtATime", 1, hosts={"type": "MOST_CONCURRENCY", "value": 1}),
    _builtin("CodeDeployDefault.HalfAtATime", 2, hosts={"type": "FLEET_PERCENT", "value": 50}),
    _builtin("CodeDeployDefault.AllAtOnce", 3, hosts={"type": "HOST_COUNT", "value": 0}),
    *[_builtin(f"CodeDeployDefault.LambdaCanary10Percent{m}Minutes", 0, "Lambda", routing=_canary(10, m))
      for m in (5, 10, 15, 30)],
    *[_builtin(f"CodeDeployDefault.LambdaLinear10PercentEvery{m}Minute{'s' if m > 1 else ''}", 0, "Lambda",
               routing=_linear(10, m)) for m in (1, 2, 3, 10)],
    _builtin("CodeDeployDefault.LambdaAllAtOnce", 0, "Lambda", routing={"type": "AllAtOnce"}),
    *[_builtin(f"CodeDeployDefault.ECSLinear10PercentEvery{m}Minutes", 0, "ECS", routing=_linear(10, m))
      for m in (1, 3)],
    *[_builtin(f"CodeDeployDefault.ECSCanary10Percent{m}Minutes", 0, "ECS", routing=_canary(10, m))
      for m in (5, 15)],
    _builtin("CodeDeployDefault.ECSAllAtOnce", 0, "ECS", routing={"type": "AllAtOnce"}),
]}


@dataclass
class RevisionRecord:
    location: dict[str, t.Any]
    description: str | None = None
    register_time: datetime = field(default_factory=now)
    first_used_time: datetime | None = None
    last_used_time: datetime | None = None

    @property
    def key(self) -> tuple[t.Any, ...]:
        return v.revision_key(self.location)

    def to_info(self, deployment_groups: list[str]) -> dict[str, t.Any]:
        info: dict[str, t.Any] = {"registerTime": self.register_time, "deploymentGroups": deployment_groups}
        if self.description is not None:
            info["description"] = self.description
        if self.first_used_time is not None:
            info["firstUsedTime"] = self.first_used_time
        if self.last_used_time is not None:
            info["lastUsedTime"] = self.last_used_time
        return info


# The deployment-group fields that UpdateDeploymentGroup may change (API names), with what Get echoes by default.
GROUP_DEFAULTS: dict[str, t.Any] = {
    "ec2TagFilters": [],
    "onPremisesInstanceTagFilters": [],
    "autoScalingGroups": [],
    "triggerConfigurations": [],
    "alarmConfiguration": None,
    "autoRollbackConfiguration": {"enabled": False},
    "outdatedInstancesStrategy": "UPDATE",
    "deploymentStyle": {"deploymentType": "IN_PLACE", "deploymentOption": "WITHOUT_TRAFFIC_CONTROL"},
    "blueGreenDeploymentConfiguration": None,
    "loadBalancerInfo": None,
    "ec2TagSet": None,
    "onPremisesTagSet": {"onPremisesTagSetList": []},
    "ecsServices": None,
    "ec2DeploymentOptions": None,
    "terminationHookEnabled": False,
}


@dataclass
class DeploymentGroup:
    group_id: str
    application: Application
    name: str
    service_role_arn: str
    deployment_config_name: str
    settings: dict[str, t.Any]  # API-shaped values of the GROUP_DEFAULTS fields; autoScalingGroups as names
    hooks: dict[str, dict[str, str | None]] = field(default_factory=dict)  # asg -> {hook, terminationHook}
    tags: dict[str, str] = field(default_factory=dict)
    target_revision: dict[str, t.Any] | None = None
    last_attempted_deployment_id: str | None = None
    last_successful_deployment_id: str | None = None

    @property
    def auto_scaling_group_names(self) -> list[str]:
        return list(self.settings["autoScalingGroups"])

    def to_info(self, backend: CodeDeployBackend) -> dict[str, t.Any]:
        info: dict[str, t.Any] = {
            "applicationName": self.application.name,
            "deploymentGroupId": self.group_id,
            "deploymentGroupName": self.name,
            "deploymentConfigName": self.deployment_config_name,
            "serviceRoleArn": self.service_role_arn,
            "computePlatform": self.application.compute_platform,
        }
        for key, value in self.settings.items():
            if key == "autoScalingGroups":
                info[key] = [{"name": name, **{k: h for k, h in self.hooks.get(name, {}).items() if h}}
                             for name in value]
            elif value is not None:
                info[key] = value
        if self.target_revision is not None:
            info["targetRevision"] = self.target_revision
        for key, deployment_id in (("lastAttemptedDeployment", self.last_attempted_deployment_id),
                                   ("lastSuccessfulDeployment", self.last_successful_deployment_id)):
            deployment = backend.deployments.get(deployment_id or "")
            if deployment is not None:
                summary: dict[str, t.Any] = {"deploymentId": deployment.deployment_id,
                                             "status": deployment.status, "createTime": deployment.create_time}
                if deployment.complete_time is not None:
                    summary["endTime"] = deployment.complete_time
                info[key] = summary
        return info


@dataclass
class Application:
    application_id: str
    name: str
    compute_platform: str = "Server"
    create_time: datetime = field(default_factory=now)
    tags: dict[str, str] = field(default_factory=dict)
    deployment_groups: dict[str, DeploymentGroup] = field(default_factory=dict)
    revisions: dict[tuple[t.Any, ...], RevisionRecord] = field(default_factory=dict)

    def to_info(self) -> dict[str, t.Any]:
        return {"applicationId": self.application_id, "applicationName": self.name, "createTime": self.create_time,
                "linkedToGitHub": False, "computePlatform": self.compute_platform}


@dataclass
class OnPremisesInstance:
    name: str
    instance_arn: str
    iam_user_arn: str | None = None
    iam_session_arn: str | None = None
    register_time: datetime = field(default_factory=now)
    deregister_time: datetime | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def registered(self) -> bool:
        return self.deregister_time is None

    def to_info(self) -> dict[str, t.Any]:
        info: dict[str, t.Any] = {"instanceName": self.name, "instanceArn": self.instance_arn,
                                  "registerTime": self.register_time,
                                  "tags": [{"Key": k, "Value": value} for k, value in self.tags.items()]}
        for key, value in (("iamUserArn", self.iam_user_arn), ("iamSessionArn", self.iam_session_arn),
                           ("deregisterTime", self.deregister_time)):
            if value is not None:
                info[key] = value
        return info


# --- deployments --------------------------------------------------------------------------------------------


@dataclass
class LifecycleEvent:
    name: str
    status: str = "Pending"  # Pending | InProgress | Succeeded | Failed | Skipped | Unknown
    start_time: datetime | None = None
    end_time: datetime | None = None
    diagnostics: dict[str, str] | None = None  # {errorCode, scriptName, message, logTail}

    def to_dict(self) -> dict[str, t.Any]:
        result: dict[str, t.Any] = {"lifecycleEventName": self.name, "status": self.status}
        if self.start_time is not None:
            result["startTime"] = self.start_time
        if self.end_time is not None:
            result["endTime"] = self.end_time
        if self.diagnostics is not None:
            result["diagnostics"] = dict(self.diagnostics)
        return result


@dataclass
class DeploymentTarget:
    """One EC2 (or on-premises) instance of a deployment: ``InstanceTarget`` in the API."""

    target_id: str
    target_arn: str
    status: str = "Pending"  # Pending | InProgress | Succeeded | Failed | Skipped | Unknown | Ready
    last_updated_at: datetime = field(default_factory=now)
    lifecycle_events: list[LifecycleEvent] = field(default_factory=list)
    instance_label: str | None = None  # Blue | Green (blue/green deployments)

    def to_instance_target(self, deployment_id: str) -> dict[str, t.Any]:
        result: dict[str, t.Any] = {"deploymentId": deployment_id, "targetId": self.target_id,
                                    "targetArn": self.target_arn, "status": self.status,
                                    "lastUpdatedAt": self.last_updated_at,
                                    "lifecycleEvents": [e.to_dict() for e in self.lifecycle_events]}
        if self.instance_label is not None:
            result["instanceLabel"] = self.instance_label
        return result

    def to_instance_summary(self, deployment_id: str) -> dict[str, t.Any]:
        result: dict[str, t.Any] = {"deploymentId": deployment_id, "instanceId": self.target_arn,
                                    "status": self.status, "lastUpdatedAt": self.last_updated_at,
                                    "lifecycleEvents": [e.to_dict() for e in self.lifecycle_events]}
        if self.instance_label is not None:
            result["instanceType"] = self.instance_label
        return result


@dataclass
class Deployment:
    """``DeploymentInfo``; the engine mutates it under ``CodeDeployService.lock``."""

    deployment_id: str
    application_name: str
    deployment_group_name: str
    deployment_group_id: str
    deployment_config_name: str
    revision: dict[str, t.Any] | None
    status: str = "Created"
    creator: str = "user"
    create_time: datetime = field(default_factory=now)
    start_time: datetime | None = None
    complete_time: datetime | None = None
    description: str | None = None
    previous_revision: dict[str, t.Any] | None = None
    error_information: dict[str, str] | None = None  # {code, message}
    ignore_application_stop_failures: bool = False
    auto_rollback_configuration: dict[str, t.Any] | None = None
    update_outdated_instances_only: bool = False
    rollback_info: dict[str, str] | None = None
    deployment_style: dict[str, str] | None = None
    target_instances: dict[str, t.Any] | None = None
    instance_termination_wait_time_started: bool = False
    blue_green_deployment_configuration: dict[str, t.Any] | None = None
    load_balancer_info: dict[str, t.Any] | None = None
    additional_deployment_status_info: str | None = None
    file_exists_behavior: str = "DISALLOW"
    deployment_mode: str | None = None  # only "RESTART" is ever reported
    deployment_status_messages: list[str] = field(default_factory=list)
    compute_platform: str = "Server"
    external_id: str | None = None
    related_deployments: dict[str, t.Any] | None = None
    override_alarm_configuration: dict[str, t.Any] | None = None
    ec2_deployment_options: dict[str, t.Any] | None = None
    targets: dict[str, DeploymentTarget] = field(default_factory=dict)
    ready_count: int = 0  # deploymentOverview.Ready (blue/green replacement instances waiting for traffic)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def overview(self) -> dict[str, int]:
        counts = {"Pending": 0, "InProgress": 0, "Succeeded": 0, "Failed": 0, "Skipped": 0, "Ready": 0}
        for target in self.targets.values():
            if target.status in counts:
                counts[target.status] += 1
        return counts

    def to_info(self) -> dict[str, t.Any]:
        info: dict[str, t.Any] = {
            "applicationName": self.application_name,
            "deploymentGroupName": self.deployment_group_name,
            "deploymentConfigName": self.deployment_config_name,
            "deploymentId": self.deployment_id,
            "status": self.status,
            "createTime": self.create_time,
            "creator": self.creator,
            "ignoreApplicationStopFailures": self.ignore_application_stop_failures,
            "updateOutdatedInstancesOnly": self.update_outdated_instances_only,
            "instanceTerminationWaitTimeStarted": self.instance_termination_wait_time_started,
            "fileExistsBehavior": self.file_exists_behavior,
            "computePlatform": self.compute_platform,
            "deploymentOverview": self.overview,
            "deploymentStatusMessages": list(self.deployment_status_messages),
        }
        optional = {
            "revision": self.revision, "previousRevision": self.previous_revision,
            "errorInformation": self.error_information, "startTime": self.start_time,
            "completeTime": self.complete_time, "description": self.description,
            "autoRollbackConfiguration": self.auto_rollback_configuration, "rollbackInfo": self.rollback_info,
            "deploymentStyle": self.deployment_style, "targetInstances": self.target_instances,
            "blueGreenDeploymentConfiguration": self.blue_green_deployment_configuration,
            "loadBalancerInfo": self.load_balancer_info,
            "additionalDeploymentStatusInfo": self.additional_deployment_status_info,
            "deploymentMode": self.deployment_mode, "externalId": self.external_id,
            "relatedDeployments": self.related_deployments,
            "overrideAlarmConfiguration": self.override_alarm_configuration,
            "ec2DeploymentOptions": self.ec2_deployment_options,
        }
        info.update({key: value for key, value in optional.items() if value is not None})
        return info


# --- references to the other services (moto's backends, in this process) -----------------------------------


class References:
    """Lookups of the resources a deployment group names, in moto's backends of the same account and region."""

    def __init__(self, account_id: str, region: str) -> None:
        self.account_id = account_id
        self.region = region

    def role(self, arn: str) -> t.Any:
        from moto.iam.models import iam_backends
        from moto.utilities.utils import get_partition

        try:
            return iam_backends[self.account_id][get_partition(self.region)].get_role_by_arn(arn)
        except Exception:
            return None

    def auto_scaling_backend(self) -> t.Any:
        from moto.autoscaling.models import autoscaling_backends

        return autoscaling_backends[self.account_id][self.region]

    def auto_scaling_group(self, name: str) -> t.Any:
        return self.auto_scaling_backend().autoscaling_groups.get(name)

    def classic_load_balancer(self, name: str) -> t.Any:
        from moto.elb.models import elb_backends

        return elb_backends[self.account_id][self.region].load_balancers.get(name)

    def target_group(self, name: str) -> t.Any:
        from moto.elbv2.models import elbv2_backends

        groups = elbv2_backends[self.account_id][self.region].target_groups.values()
        return next((group for group in groups if group.name == name), None)

    def alarm_exists(self, name: str) -> bool:
        from moto.cloudwatch.models import cloudwatch_backends

        return name in cloudwatch_backends[self.account_id][self.region].alarms

    def sns_topic(self, arn: str) -> t.Any:
        from moto.sns.models import sns_backends

        match = v.SNS_TOPIC_ARN.match(arn or "")
        if not match:
            return None
        region, account = match.group(1), match.group(2)
        try:
            return sns_backends[account][region].topics.get(arn)
        except KeyError:
            return None

    def put_lifecycle_hook(self, group_name: str, hook_name: str, transition: str) -> None:
        self.auto_scaling_backend().create_lifecycle_hook(
            name=hook_name, as_name=group_name, transition=transition, timeout=600, result="ABANDON")

    def delete_lifecycle_hook(self, group_name: str, hook_name: str) -> bool:
        backend = self.auto_scaling_backend()
        if group_name not in backend.autoscaling_groups:
            return False
        backend.delete_lifecycle_hook(group_name, hook_name)
        return True

    def lifecycle_hook_count(self, group_name: str) -> int:
        return len(self.auto_scaling_backend().describe_lifecycle_hooks(group_name))


# --- pagination ---------------------------------------------------------------------------------------------


def paginate(items: list[t.Any], next_token: str | None, operation: str,
             token_key: str = "nextToken") -> tuple[list[t.Any], dict[str, str]]:
    """One page of ``items`` and, unless it is the last page, ``{token_key: <opaque token>}``."""
    start = 0
    if next_token:
        try:
            decoded = json.loads(base64.urlsafe_b64decode(next_token.encode()).decode())
            if decoded["op"] != operation:
                raise ValueError(operation)
            start = int(decoded["offset"])
            if start < 0:
                raise ValueError(start)
        except (ValueError, KeyError, TypeError) as error:
            raise exc.InvalidNextToken(f"The next token '{next_token}' is invalid for {operation}.") from error
    page = items[start:start + PAGE_SIZE]
    end = start + PAGE_SIZE
    if end < len(items):
        token = base64.urlsafe_b64encode(json.dumps({"op": operation, "offset": end}).encode()).decode()
        return page, {token_key: token}
    return page, {}


# --- the backend --------------------------------------------------------------------------------------------


class CodeDeployBackend:
    """CodeDeploy state of one account and region."""

    def __init__(self, service: CodeDeployService, account_id: str, region: str) -> None:
        self.service = service
        self.account_id = account_id
        self.region = region
        self.refs = References(account_id, region)
        self.applications: dict[str, Application] = {}
        self.deployment_configs: dict[str, DeploymentConfig] = {}
        self.deployments: dict[str, Deployment] = {}
        self.on_premises_instances: dict[str, OnPremisesInstance] = {}

    # ARNs ------------------------------------------------------------------------------------------------

    def _arn(self, resource: str) -> str:
        return f"arn:aws:codedeploy:{self.region}:{self.account_id}:{resource}"

    def application_arn(self, name: str) -> str:
        return self._arn(f"application:{name}")

    def deployment_group_arn(self, application: str, group: str) -> str:
        return self._arn(f"deploymentgroup:{application}/{group}")

    def deployment_config_arn(self, name: str) -> str:
        return self._arn(f"deploymentconfig:{name}")

    # lookups ---------------------------------------------------------------------------------------------

    def get_app(self, name: t.Any) -> Application:
        v.application_name(name)
        application = self.applications.get(name)
        if application is None:
            raise exc.ApplicationDoesNotExist(f"No application found for name: {name}")
        return application

    def get_group(self, application_name: t.Any, group_name: t.Any) -> DeploymentGroup:
        application = self.get_app(application_name)
        v.deployment_group_name(group_name)
        group = application.deployment_groups.get(group_name)
        if group is None:
            raise exc.DeploymentGroupDoesNotExist(f"No Deployment Group found for name: {group_name}")
        return group

    def find_config(self, name: str) -> DeploymentConfig | None:
        return BUILTIN_CONFIGS.get(name) or self.deployment_configs.get(name)

    def get_config(self, name: t.Any) -> DeploymentConfig:
        v.deployment_config_name(name)
        config = self.find_config(name)
        if config is None:
            raise exc.DeploymentConfigDoesNotExist(f"No deployment configuration found for name: {name}")
        return config

    def get_deployment(self, deployment_id: t.Any) -> Deployment:
        if not deployment_id:
            raise exc.DeploymentIdRequired("The deployment ID is required.")
        if not isinstance(deployment_id, str) or not deployment_id.startswith("d-") or len(deployment_id) != 11:
            raise exc.InvalidDeploymentId(f"The deployment ID '{deployment_id}' is invalid: "
                                          "deployment IDs look like d-XXXXXXXXX.")
        deployment = self.deployments.get(deployment_id)
        if deployment is None:
            raise exc.DeploymentDoesNotExist(f"The deployment {deployment_id} could not be found.")
        return deployment

    # applications ----------------------------------------------------------------------------------------

    def create_application(self, name: t.Any, compute_platform: t.Any, tags: t.Any) -> dict[str, t.Any]:
        v.application_name(name)
        platform = v.compute_platform(compute_platform)
        tag_map = v.tags(tags)
        if name in self.applications:
            raise exc.ApplicationAlreadyExists(f"The application {name} already exists with this account.")
        if len(self.applications) >= MAX_APPLICATIONS:
            raise exc.ApplicationLimitExceeded(
                f"The maximum number of applications ({MAX_APPLICATIONS}) for this account and region was reached.")
        application = Application(application_id=str(uuid.uuid4()), name=name, compute_platform=platform,
                                  tags=tag_map)
        self.applications[name] = application
        return {"applicationId": application.application_id}

    def get_application(self, name: t.Any) -> dict[str, t.Any]:
        return {"application": self.get_app(name).to_info()}

    def batch_get_applications(self, names: t.Any) -> dict[str, t.Any]:
        _check_batch(names, MAX_BATCH_APPLICATIONS, exc.ApplicationNameRequired, "application name", "application names")
        return {"applicationsInfo": [self.get_app(name).to_info() for name in dict.fromkeys(names)]}

    def list_applications(self, next_token: t.Any) -> dict[str, t.Any]:
        page, token = paginate(sorted(self.applications), next_token, "ListApplications")
        return {"applications": page, **token}

    def update_application(self, name: t.Any, new_name: t.Any) -> dict[str, t.Any]:
        application = self.get_app(name)
        if not new_name:
            raise exc.ApplicationNameRequired("The new application name (newApplicationName) is required.")
        v.application_name(new_name)
        if new_name == name:
            return {}
        if new_name in self.applications:
            raise exc.ApplicationAlreadyExists(f"The application {new_name} already exists with this account.")
        del self.applications[name]
        application.name = new_name
        self.applications[new_name] = application
        for deployment in self.deployments.values():
            if deployment.application_name == name:
                deployment.application_name = new_name
        return {}

    def delete_application(self, name: t.Any) -> dict[str, t.Any]:
        v.application_name(name)
        application = self.applications.pop(name, None)
        if application is None:
            return {}  # AWS models no not-found error for deletes (fidelity table)
        for group in application.deployment_groups.values():
            self._remove_hooks(group, list(group.hooks))
        for deployment_id in [d for d, dep in self.deployments.items() if dep.application_name == name]:
            del self.deployments[deployment_id]
        return {}

    # deployment configs ----------------------------------------------------------------------------------

    def create_deployment_config(self, name: t.Any, minimum_healthy_hosts: t.Any, traffic_routing: t.Any,
                                 compute_platform: t.Any, zonal_config: t.Any) -> dict[str, t.Any]:
        v.deployment_config_name(name)
        platform = v.compute_platform(compute_platform)
        if self.find_config(name) is not None:
            raise exc.DeploymentConfigAlreadyExists(f"The deployment configuration {name} already exists.")
        if name.startswith(v.BUILTIN_CONFIG_PREFIX):
            raise exc.InvalidDeploymentConfigName(
                f"The deployment configuration name {name} is invalid: names starting with "
                f"{v.BUILTIN_CONFIG_PREFIX} are reserved for the predefined configurations.")
        config = DeploymentConfig(name=name, config_id=str(uuid.uuid4()), compute_platform=platform)
        if platform == "Server":
            config.minimum_healthy_hosts = v.minimum_healthy_hosts(minimum_healthy_hosts)
            if traffic_routing is not None:
                raise exc.InvalidTrafficRoutingConfiguration(
                    "trafficRoutingConfig applies to Lambda and ECS deployment configurations only; "
                    "remove it for the Server compute platform.")
            config.zonal_config = v.zonal_config(zonal_config)
        else:
            if zonal_config is not None:
                raise exc.InvalidZonalDeploymentConfiguration(
                    "zonalConfig applies to the Server compute platform only.")
            if minimum_healthy_hosts is not None:
                raise exc.InvalidMinimumHealthyHostValue(
                    f"minimumHealthyHosts applies to the Server compute platform only, not {platform}.")
            config.traffic_routing_config = v.traffic_routing_config(traffic_routing or {"type": "AllAtOnce"})
        if len(self.deployment_configs) >= MAX_CUSTOM_CONFIGS:
            raise exc.DeploymentConfigLimitExceeded(
                f"The maximum number of custom deployment configurations ({MAX_CUSTOM_CONFIGS}) was reached.")
        self.deployment_configs[name] = config
        return {"deploymentConfigId": config.config_id}

    def get_deployment_config(self, name: t.Any) -> dict[str, t.Any]:
        return {"deploymentConfigInfo": self.get_config(name).to_info()}

    def list_deployment_configs(self, next_token: t.Any) -> dict[str, t.Any]:
        names = sorted([*BUILTIN_CONFIGS, *self.deployment_configs])
        page, token = paginate(names, next_token, "ListDeploymentConfigs")
        return {"deploymentConfigsList": page, **token}

    def delete_deployment_config(self, name: t.Any) -> dict[str, t.Any]:
        v.deployment_config_name(name)
        if name in BUILTIN_CONFIGS:
            raise exc.InvalidOperation(f"The deployment configuration {name} is a predefined configuration and "
                                       "cannot be deleted.")
        if name not in self.deployment_configs:
            return {}
        users = [f"{app.name}/{group.name}" for app in self.applications.values()
                 for group in app.deployment_groups.values() if group.deployment_config_name == name]
        if users:
            raise exc.DeploymentConfigInUse(f"The deployment configuration {name} is used by deployment group(s) "
                                            f"{', '.join(sorted(users))}; change those groups first.")
        del self.deployment_configs[name]
        return {}

    # deployment groups -----------------------------------------------------------------------------------

    def _check_role(self, arn: t.Any, required: bool) -> str | None:
        if arn is None or arn == "":
            if required:
                raise exc.RoleRequired("The service role ARN (serviceRoleArn) is required.")
            return None
        match = v.ROLE_ARN.match(arn)
        if not match:
            raise exc.InvalidRole(f"The service role ARN '{arn}' is not a valid IAM role ARN "
                                  "(arn:aws:iam::<account>:role/<name>).")
        if match.group(1) != self.account_id or self.refs.role(arn) is None:
            raise exc.InvalidRole(f"Cannot assume role provided: {arn} does not exist in IAM.")
        return arn

    def _check_group_config(self, name: t.Any, platform: str) -> str:
        if name is None:
            return DEFAULT_CONFIG
        config = self.get_config(name)
        if config.compute_platform != platform:
            raise exc.InvalidDeploymentConfigName(
                f"The deployment configuration {name} is for the {config.compute_platform} compute platform, "
                f"not {platform}.")
        return name

    def _group_settings(self, params: dict[str, t.Any], current: dict[str, t.Any] | None) -> dict[str, t.Any]:
        """Validate the deployment-group fields given in ``params`` and merge them over ``current``."""
        given = {key: params[key] for key in GROUP_DEFAULTS if params.get(key) is not None}
        if given.get("ec2TagFilters") and given.get("ec2TagSet", {}).get("ec2TagSetList"):
            raise exc.InvalidEC2TagCombination("ec2TagFilters and ec2TagSet cannot both be given: use one of them.")
        if given.get("onPremisesInstanceTagFilters") and \
                given.get("onPremisesTagSet", {}).get("onPremisesTagSetList"):
            raise exc.InvalidOnPremisesTagCombination(
                "onPremisesInstanceTagFilters and onPremisesTagSet cannot both be given: use one of them.")
        settings = dict(current) if current is not None else {k: _copy(d) for k, d in GROUP_DEFAULTS.items()}

        if "ec2TagFilters" in given:
            settings["ec2TagFilters"] = v.tag_filters(given["ec2TagFilters"], "ec2TagFilters", exc.InvalidEC2Tag)
            if settings["ec2TagFilters"]:
                settings["ec2TagSet"] = None
        if "ec2TagSet" in given:
            tag_set = v.tag_set(given["ec2TagSet"], "ec2TagSet", "ec2TagSetList", exc.InvalidEC2Tag)
            settings["ec2TagSet"] = tag_set if tag_set["ec2TagSetList"] else None
            if tag_set["ec2TagSetList"]:
                settings["ec2TagFilters"] = []
        if "onPremisesInstanceTagFilters" in given:
            settings["onPremisesInstanceTagFilters"] = v.tag_filters(
                given["onPremisesInstanceTagFilters"], "onPremisesInstanceTagFilters", exc.InvalidTag)
            if settings["onPremisesInstanceTagFilters"]:
                settings["onPremisesTagSet"] = {"onPremisesTagSetList": []}
        if "onPremisesTagSet" in given:
            settings["onPremisesTagSet"] = v.tag_set(given["onPremisesTagSet"], "onPremisesTagSet",
                                                     "onPremisesTagSetList", exc.InvalidTag)
            if settings["onPremisesTagSet"]["onPremisesTagSetList"]:
                settings["onPremisesInstanceTagFilters"] = []

        if "autoScalingGroups" in given:
            names = list(dict.fromkeys(given["autoScalingGroups"]))
            if len(names) > v.MAX_AUTO_SCALING_GROUPS:
                raise exc.InvalidAutoScalingGroup(f"{len(names)} Auto Scaling groups were given; the maximum is "
                                                  f"{v.MAX_AUTO_SCALING_GROUPS}.")
            missing = [name for name in names if self.refs.auto_scaling_group(name) is None]
            if missing:
                raise exc.InvalidAutoScalingGroup(f"Auto Scaling group(s) not found: {', '.join(missing)}.")
            settings["autoScalingGroups"] = names

        if "triggerConfigurations" in given:
            settings["triggerConfigurations"] = self._check_triggers(given["triggerConfigurations"])
        if "alarmConfiguration" in given:
            settings["alarmConfiguration"] = v.alarm_configuration(given["alarmConfiguration"],
                                                                   self.refs.alarm_exists)
        if "autoRollbackConfiguration" in given:
            settings["autoRollbackConfiguration"] = v.auto_rollback_configuration(given["autoRollbackConfiguration"])
        if "outdatedInstancesStrategy" in given:
            settings["outdatedInstancesStrategy"] = v.enum(given["outdatedInstancesStrategy"],
                                                           v.OUTDATED_INSTANCES_STRATEGIES,
                                                           "outdatedInstancesStrategy", exc.InvalidInput)
        if "deploymentStyle" in given:
            style = given["deploymentStyle"]
            settings["deploymentStyle"] = {
                "deploymentType": v.enum(style.get("deploymentType", "IN_PLACE"), v.DEPLOYMENT_TYPES,
                                         "deploymentStyle.deploymentType", exc.InvalidDeploymentStyle),
                "deploymentOption": v.enum(style.get("deploymentOption", "WITHOUT_TRAFFIC_CONTROL"),
                                           v.DEPLOYMENT_OPTIONS, "deploymentStyle.deploymentOption",
                                           exc.InvalidDeploymentStyle),
            }
        if "loadBalancerInfo" in given:
            settings["loadBalancerInfo"] = self._check_load_balancers(given["loadBalancerInfo"])
        if "ecsServices" in given and given["ecsServices"]:
            raise exc.InvalidECSService("ecsServices applies to ECS deployment groups only; remove it for the "
                                        "Server compute platform.")
        if "ec2DeploymentOptions" in given:
            settings["ec2DeploymentOptions"] = v.ec2_deployment_options(given["ec2DeploymentOptions"])
        if "terminationHookEnabled" in given:
            settings["terminationHookEnabled"] = bool(given["terminationHookEnabled"])

        style = settings["deploymentStyle"]
        blue_green = style["deploymentType"] == "BLUE_GREEN"
        if blue_green and style["deploymentOption"] == "WITHOUT_TRAFFIC_CONTROL":
            raise exc.InvalidDeploymentStyle(
                "A BLUE_GREEN deployment style needs deploymentOption WITH_TRAFFIC_CONTROL: blue/green "
                "deployments on EC2 route traffic through a load balancer.")
        if style["deploymentOption"] == "WITH_TRAFFIC_CONTROL":
            info = settings["loadBalancerInfo"] or {}
            if not info.get("elbInfoList") and not info.get("targetGroupInfoList"):
                raise exc.InvalidLoadBalancerInfo(
                    "The specification for load balancing in the deployment group is invalid. The deploymentOption "
                    "value is set to WITH_TRAFFIC_CONTROL, but either no load balancer was specified in elbInfoList "
                    "or no target group was specified in targetGroupInfoList.")
        if "blueGreenDeploymentConfiguration" in given or (blue_green and
                                                           settings["blueGreenDeploymentConfiguration"] is None):
            settings["blueGreenDeploymentConfiguration"] = self._check_blue_green(
                given.get("blueGreenDeploymentConfiguration") or {}, blue_green)
        if blue_green:
            provisioning = settings["blueGreenDeploymentConfiguration"]["greenFleetProvisioningOption"]["action"]
            if provisioning == "COPY_AUTO_SCALING_GROUP" and len(settings["autoScalingGroups"]) != 1:
                raise exc.InvalidBlueGreenDeploymentConfiguration(
                    "Exactly one AutoScaling group must be specifed when selecting the COPY_AUTO_SCALING_GROUP "
                    "green fleet provisioning option.")
        return settings

    def _check_triggers(self, triggers: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
        if len(triggers) > v.MAX_TRIGGERS:
            raise exc.TriggerTargetsLimitExceeded(
                f"{len(triggers)} triggers were given; the maximum is {v.MAX_TRIGGERS}.")
        result, names = [], set()
        for trigger in triggers:
            name, target = trigger.get("triggerName"), trigger.get("triggerTargetArn")
            if not name:
                raise exc.InvalidTriggerConfig("Every trigger needs a triggerName.")
            if name in names:
                raise exc.InvalidTriggerConfig(f"The trigger name {name} is used more than once.")
            names.add(name)
            if not target or self.refs.sns_topic(target) is None:
                raise exc.InvalidTriggerConfig(
                    f"The trigger {name} has an invalid target: SNS topic {target} does not exist.")
            events = trigger.get("triggerEvents") or []
            if not events:
                raise exc.InvalidTriggerConfig(f"The trigger {name} needs at least one trigger event.")
            for event in events:
                v.enum(event, v.TRIGGER_EVENTS, f"trigger {name} event", exc.InvalidTriggerConfig)
            result.append({"triggerName": name, "triggerTargetArn": target,
                           "triggerEvents": list(dict.fromkeys(events))})
        return result

    def _check_load_balancers(self, info: dict[str, t.Any]) -> dict[str, t.Any] | None:
        result: dict[str, t.Any] = {}
        if info.get("targetGroupPairInfoList"):
            raise exc.InvalidTargetGroupPair("targetGroupPairInfoList applies to ECS deployment groups only; use "
                                             "elbInfoList or targetGroupInfoList for the Server compute platform.")
        for key, lookup, kind in (("elbInfoList", self.refs.classic_load_balancer, "Classic Load Balancer"),
                                  ("targetGroupInfoList", self.refs.target_group, "target group")):
            entries = info.get(key) or []
            if len(entries) > v.MAX_LOAD_BALANCERS:
                raise exc.InvalidLoadBalancerInfo(f"{key} lists {len(entries)} entries; the maximum is "
                                                  f"{v.MAX_LOAD_BALANCERS}.")
            names = []
            for entry in entries:
                name = (entry or {}).get("name")
                if not name:
                    raise exc.InvalidLoadBalancerInfo(f"Every entry of {key} needs a name.")
                if lookup(name) is None:
                    raise exc.InvalidLoadBalancerInfo(f"The {kind} {name} in {key} does not exist.")
                names.append(name)
            if names:
                result[key] = [{"name": name} for name in dict.fromkeys(names)]
        return result or None

    def _check_blue_green(self, config: dict[str, t.Any], blue_green: bool) -> dict[str, t.Any]:
        error = exc.InvalidBlueGreenDeploymentConfiguration
        ready = config.get("deploymentReadyOption") or {}
        green = config.get("greenFleetProvisioningOption") or {}
        blue = config.get("terminateBlueInstancesOnDeploymentSuccess") or {}
        ready_action = v.enum(ready.get("actionOnTimeout", "CONTINUE_DEPLOYMENT"), v.READY_ACTIONS,
                              "deploymentReadyOption.actionOnTimeout", error)
        wait = ready.get("waitTimeInMinutes", 0)
        if not isinstance(wait, int) or not 0 <= wait <= v.MAX_READY_WAIT_MINUTES:
            raise error(f"deploymentReadyOption.waitTimeInMinutes {wait!r} is invalid: use 0 to "
                        f"{v.MAX_READY_WAIT_MINUTES}.")
        termination_wait = blue.get("terminationWaitTimeInMinutes", 60)
        if not isinstance(termination_wait, int) or not 0 <= termination_wait <= v.MAX_TERMINATION_WAIT_MINUTES:
            raise error(f"terminateBlueInstancesOnDeploymentSuccess.terminationWaitTimeInMinutes "
                        f"{termination_wait!r} is invalid: use 0 to {v.MAX_TERMINATION_WAIT_MINUTES}.")
        return {
            "deploymentReadyOption": {"actionOnTimeout": ready_action, "waitTimeInMinutes": wait},
            "greenFleetProvisioningOption": {
                "action": v.enum(green.get("action", "DISCOVER_EXISTING"), v.GREEN_FLEET_ACTIONS,
                                 "greenFleetProvisioningOption.action", error)},
            "terminateBlueInstancesOnDeploymentSuccess": {
                "action": v.enum(blue.get("action", "TERMINATE"), v.BLUE_TERMINATION_ACTIONS,
                                 "terminateBlueInstancesOnDeploymentSuccess.action", error),
                "terminationWaitTimeInMinutes": termination_wait},
        }

    def _sync_hooks(self, group: DeploymentGroup) -> list[dict[str, t.Any]]:
        """Install CodeDeploy's lifecycle hooks on the group's ASGs; remove them from ASGs it left."""
        wanted = set(group.auto_scaling_group_names)
        not_cleaned = self._remove_hooks(group, [name for name in group.hooks if name not in wanted])
        for name in group.auto_scaling_group_names:
            hooks = group.hooks.setdefault(name, {"hook": None, "terminationHook": None})
            if hooks["hook"] is None:
                hooks["hook"] = f"{LAUNCH_HOOK_PREFIX}-{group.name}-{uuid.uuid4()}"
                self.refs.put_lifecycle_hook(name, hooks["hook"], "autoscaling:EC2_INSTANCE_LAUNCHING")
            if group.settings["terminationHookEnabled"] and hooks["terminationHook"] is None:
                hooks["terminationHook"] = f"{TERMINATION_HOOK_PREFIX}-{group.name}-{uuid.uuid4()}"
                self.refs.put_lifecycle_hook(name, hooks["terminationHook"], "autoscaling:EC2_INSTANCE_TERMINATING")
            elif not group.settings["terminationHookEnabled"] and hooks["terminationHook"] is not None:
                self.refs.delete_lifecycle_hook(name, hooks["terminationHook"])
                hooks["terminationHook"] = None
        return not_cleaned

    def _remove_hooks(self, group: DeploymentGroup, asg_names: list[str]) -> list[dict[str, t.Any]]:
        not_cleaned = []
        for name in asg_names:
            hooks = group.hooks.pop(name, {})
            for hook in hooks.values():
                if hook and not self.refs.delete_lifecycle_hook(name, hook):
                    not_cleaned.append({"name": name, "hook": hook})
        return not_cleaned

    def _check_new_hooks(self, names: list[str], group: DeploymentGroup | None) -> None:
        for name in names:
            if group is not None and name in group.hooks:
                continue
            if self.refs.lifecycle_hook_count(name) >= v.MAX_LIFECYCLE_HOOKS_PER_ASG:
                raise exc.LifecycleHookLimitExceeded(
                    f"The Auto Scaling group {name} already has {v.MAX_LIFECYCLE_HOOKS_PER_ASG} lifecycle hooks.")

    def create_deployment_group(self, params: dict[str, t.Any]) -> dict[str, t.Any]:
        application = self.get_app(params.get("applicationName"))
        name = v.deployment_group_name(params.get("deploymentGroupName"))
        if name in application.deployment_groups:
            raise exc.DeploymentGroupAlreadyExists(
                f"The deployment group {name} already exists for application {application.name}.")
        role = self._check_role(params.get("serviceRoleArn"), required=True)
        config = self._check_group_config(params.get("deploymentConfigName"), application.compute_platform)
        settings = self._group_settings(params, None)
        tag_map = v.tags(params.get("tags"))
        if len(application.deployment_groups) >= MAX_DEPLOYMENT_GROUPS:
            raise exc.DeploymentGroupLimitExceeded(f"The application {application.name} already has "
                                                   f"{MAX_DEPLOYMENT_GROUPS} deployment groups.")
        group = DeploymentGroup(group_id=str(uuid.uuid4()), application=application, name=name,
                                service_role_arn=t.cast(str, role), deployment_config_name=config,
                                settings=settings, tags=tag_map)
        self._check_new_hooks(group.auto_scaling_group_names, None)
        self._sync_hooks(group)
        application.deployment_groups[name] = group
        return {"deploymentGroupId": group.group_id}

    def update_deployment_group(self, params: dict[str, t.Any]) -> dict[str, t.Any]:
        application = self.get_app(params.get("applicationName"))
        current_name = v.deployment_group_name(params.get("currentDeploymentGroupName"))
        group = application.deployment_groups.get(current_name)
        if group is None:
            raise exc.DeploymentGroupDoesNotExist(f"No Deployment Group found for name: {current_name}")
        new_name = params.get("newDeploymentGroupName")
        if new_name is not None and new_name != current_name:
            v.deployment_group_name(new_name)
            if new_name in application.deployment_groups:
                raise exc.DeploymentGroupAlreadyExists(
                    f"The deployment group {new_name} already exists for application {application.name}.")
        role = self._check_role(params.get("serviceRoleArn"), required=False)
        config = params.get("deploymentConfigName")
        if config is not None:
            config = self._check_group_config(config, application.compute_platform)
        settings = self._group_settings(params, group.settings)
        self._check_new_hooks(settings["autoScalingGroups"], group)
        # All checks passed: change the group.
        group.settings = settings
        if role is not None:
            group.service_role_arn = role
        if config is not None:
            group.deployment_config_name = config
        if new_name is not None and new_name != current_name:
            del application.deployment_groups[current_name]
            group.name = new_name
            application.deployment_groups[new_name] = group
            for deployment in self.deployments.values():
                if deployment.deployment_group_id == group.group_id:
                    deployment.deployment_group_name = new_name
        return {"hooksNotCleanedUp": self._sync_hooks(group)}

    def get_deployment_group(self, application_name: t.Any, group_name: t.Any) -> dict[str, t.Any]:
        return {"deploymentGroupInfo": self.get_group(application_name, group_name).to_info(self)}

    def batch_get_deployment_groups(self, application_name: t.Any, names: t.Any) -> dict[str, t.Any]:
        application = self.get_app(application_name)
        _check_batch(names, MAX_BATCH_DEPLOYMENT_GROUPS, exc.DeploymentGroupNameRequired, "deployment group name", "deployment group names")
        found, missing = [], []
        for name in dict.fromkeys(names):
            v.deployment_group_name(name)
            group = application.deployment_groups.get(name)
            if group is None:
                missing.append(name)
            else:
                found.append(group.to_info(self))
        message = f"Deployment groups not found for application {application.name}: {', '.join(missing)}" \
            if missing else ""
        return {"deploymentGroupsInfo": found, "errorMessage": message}

    def list_deployment_groups(self, application_name: t.Any, next_token: t.Any) -> dict[str, t.Any]:
        application = self.get_app(application_name)
        page, token = paginate(sorted(application.deployment_groups), next_token, "ListDeploymentGroups")
        return {"applicationName": application.name, "deploymentGroups": page, **token}

    def delete_deployment_group(self, application_name: t.Any, group_name: t.Any) -> dict[str, t.Any]:
        v.application_name(application_name)
        v.deployment_group_name(group_name)
        application = self.applications.get(application_name)
        group = application.deployment_groups.get(group_name) if application else None
        if group is None:
            return {"hooksNotCleanedUp": []}
        del application.deployment_groups[group_name]
        not_cleaned = self._remove_hooks(group, list(group.hooks))
        for deployment_id in [d for d, dep in self.deployments.items() if dep.deployment_group_id == group.group_id]:
            del self.deployments[deployment_id]
        return {"hooksNotCleanedUp": not_cleaned}

    # revisions -------------------------------------------------------------------------------------------

    def _revision_groups(self, application: Application, key: tuple[t.Any, ...]) -> list[str]:
        return sorted(group.name for group in application.deployment_groups.values()
                      if group.target_revision is not None and v.revision_key(group.target_revision) == key)

    def _get_revision(self, application: Application, location: t.Any) -> RevisionRecord:
        checked = v.revision(location, application.compute_platform)
        record = application.revisions.get(v.revision_key(checked))
        if record is None and checked["revisionType"] == "S3":
            # A location without version/eTag names the latest registration of that object.
            wanted = checked["s3Location"]
            candidates = [r for r in application.revisions.values() if r.location["revisionType"] == "S3"
                          and all(r.location["s3Location"].get(k) == wanted.get(k) for k in wanted)]
            record = max(candidates, key=lambda r: r.register_time, default=None)
        if record is None:
            raise exc.RevisionDoesNotExist(
                f"No application revision found for application {application.name} at {_describe(checked)}.")
        return record

    def register_revision(self, application: Application, location: dict[str, t.Any],
                          description: str | None) -> RevisionRecord:
        key = v.revision_key(location)
        record = application.revisions.get(key)
        if record is None:
            record = RevisionRecord(location=location, description=description)
            application.revisions[key] = record
        elif description is not None:
            record.description = description
        return record

    def register_application_revision(self, application_name: t.Any, revision: t.Any,
                                      description: t.Any) -> dict[str, t.Any]:
        application = self.get_app(application_name)
        location = v.revision(revision, application.compute_platform)
        self.register_revision(application, location, v.description(description))
        return {}

    def get_application_revision(self, application_name: t.Any, revision: t.Any) -> dict[str, t.Any]:
        application = self.get_app(application_name)
        record = self._get_revision(application, revision)
        return {"applicationName": application.name, "revision": record.location,
                "revisionInfo": record.to_info(self._revision_groups(application, record.key))}

    def batch_get_application_revisions(self, application_name: t.Any, revisions: t.Any) -> dict[str, t.Any]:
        application = self.get_app(application_name)
        _check_batch(revisions, MAX_BATCH_REVISIONS, exc.RevisionRequired, "revision", "revisions")
        found, missing = [], []
        for location in revisions:
            try:
                record = self._get_revision(application, location)
            except exc.RevisionDoesNotExist:
                missing.append(_describe(v.revision(location, application.compute_platform)))
                continue
            found.append({"revisionLocation": record.location,
                          "genericRevisionInfo": record.to_info(self._revision_groups(application, record.key))})
        message = f"Revisions not found: {', '.join(missing)}" if missing else ""
        return {"applicationName": application.name, "errorMessage": message, "revisions": found}

    def list_application_revisions(self, application_name: t.Any, sort_by: t.Any, sort_order: t.Any,
                                   s3_bucket: t.Any, s3_key_prefix: t.Any, deployed: t.Any,
                                   next_token: t.Any) -> dict[str, t.Any]:
        application = self.get_app(application_name)
        if sort_by is not None:
            v.enum(sort_by, ("registerTime", "firstUsedTime", "lastUsedTime"), "sortBy", exc.InvalidSortBy)
        if sort_order is not None:
            v.enum(sort_order, ("ascending", "descending"), "sortOrder", exc.InvalidSortOrder)
        if deployed is not None:
            v.enum(deployed, ("include", "exclude", "ignore"), "deployed", exc.InvalidDeployedStateFilter)
        if s3_bucket is not None and not v.S3_BUCKET.match(s3_bucket):
            raise exc.InvalidBucketNameFilter(f"The bucket name filter '{s3_bucket}' is not a valid S3 bucket name.")
        if s3_key_prefix is not None:
            if not s3_bucket:
                raise exc.BucketNameFilterRequired("A key prefix filter (s3KeyPrefix) needs a bucket name filter "
                                                   "(s3Bucket).")
            if len(s3_key_prefix) > 1024:
                raise exc.InvalidKeyPrefixFilter("The key prefix filter is longer than 1024 characters.")
        records = list(application.revisions.values())  # registration order
        if s3_bucket is not None:
            records = [r for r in records if r.location["revisionType"] == "S3"
                       and r.location["s3Location"]["bucket"] == s3_bucket
                       and r.location["s3Location"]["key"].startswith(s3_key_prefix or "")]
        if deployed in ("include", "exclude"):
            targets = {v.revision_key(g.target_revision) for g in application.deployment_groups.values()
                       if g.target_revision is not None}
            records = [r for r in records if (r.key in targets) == (deployed == "include")]
        if sort_by is not None:
            attribute = {"registerTime": "register_time", "firstUsedTime": "first_used_time",
                         "lastUsedTime": "last_used_time"}[sort_by]
            never = datetime.min.replace(tzinfo=timezone.utc)
            records.sort(key=lambda r: getattr(r, attribute) or never, reverse=sort_order == "descending")
        elif sort_order == "descending":
            records.reverse()
        page, token = paginate([r.location for r in records], next_token, "ListApplicationRevisions")
        return {"revisions": page, **token}

    # deployments -----------------------------------------------------------------------------------------

    def create_deployment(self, params: dict[str, t.Any]) -> dict[str, t.Any]:
        application = self.get_app(params.get("applicationName"))
        group_name = params.get("deploymentGroupName")
        if not group_name:
            raise exc.DeploymentGroupNameRequired("The deployment group name is required for a deployment to "
                                                  "the Server compute platform.")
        group = self.get_group(application.name, group_name)
        mode = v.enum(params.get("deploymentMode") or "STANDARD", v.DEPLOYMENT_MODES, "deploymentMode",
                      exc.InvalidInput)
        style = group.settings["deploymentStyle"]
        if mode == "RESTART":
            if params.get("revision") is not None:
                raise exc.InvalidRevision("A RESTART deployment reuses the group's last successful revision: "
                                          "remove revision.")
            if params.get("updateOutdatedInstancesOnly"):
                raise exc.InvalidUpdateOutdatedInstancesOnlyValue(
                    "updateOutdatedInstancesOnly cannot be true for a RESTART deployment.")
            if style["deploymentType"] != "IN_PLACE":
                raise exc.InvalidInput("RESTART deployments are supported for in-place deployment groups only.")
            last = self.deployments.get(group.last_successful_deployment_id or "")
            if last is None or last.revision is None:
                raise exc.InvalidRevision(f"The deployment group {group.name} has no successful deployment whose "
                                          "revision a RESTART deployment could reuse.")
            revision = last.revision
        else:
            revision = v.revision(params.get("revision"), application.compute_platform)
        config_name = params.get("deploymentConfigName")
        config_name = self._check_group_config(config_name, application.compute_platform) \
            if config_name is not None else group.deployment_config_name
        description = v.description(params.get("description"))
        file_exists = v.enum(params.get("fileExistsBehavior") or "DISALLOW", v.FILE_EXISTS_BEHAVIORS,
                             "fileExistsBehavior", exc.InvalidFileExistsBehavior)
        target_instances = params.get("targetInstances")
        if target_instances is not None:
            target_instances = self._check_target_instances(target_instances, style)
        auto_rollback = v.auto_rollback_configuration(params.get("autoRollbackConfiguration"))
        alarms = v.alarm_configuration(params.get("overrideAlarmConfiguration"), self.refs.alarm_exists)
        ec2_options = v.ec2_deployment_options(params.get("ec2DeploymentOptions"))
        active = next((d for d in self.deployments.values()
                       if d.deployment_group_id == group.group_id and d.active), None)
        if active is not None:
            raise exc.DeploymentLimitExceeded(
                f"The Deployment Group '{group.name}' already has an active Deployment '{active.deployment_id}'")

        deployment_id = new_deployment_id()
        while deployment_id in self.deployments:
            deployment_id = new_deployment_id()
        last_success = self.deployments.get(group.last_successful_deployment_id or "")
        deployment = Deployment(
            deployment_id=deployment_id, application_name=application.name, deployment_group_name=group.name,
            deployment_group_id=group.group_id, deployment_config_name=config_name, revision=revision,
            description=description, previous_revision=last_success.revision if last_success else None,
            ignore_application_stop_failures=bool(params.get("ignoreApplicationStopFailures", False)),
            auto_rollback_configuration=auto_rollback or group.settings["autoRollbackConfiguration"],
            update_outdated_instances_only=bool(params.get("updateOutdatedInstancesOnly", False)),
            deployment_style=dict(style), target_instances=target_instances,
            blue_green_deployment_configuration=group.settings["blueGreenDeploymentConfiguration"],
            load_balancer_info=group.settings["loadBalancerInfo"], file_exists_behavior=file_exists,
            deployment_mode="RESTART" if mode == "RESTART" else None, compute_platform=application.compute_platform,
            override_alarm_configuration=alarms, ec2_deployment_options=ec2_options,
        )
        record = self.register_revision(application, revision, None)
        if record.description is None and record.first_used_time is None:
            record.description = f"Application revision registered by Deployment ID: {deployment_id}"
        record.first_used_time = record.first_used_time or deployment.create_time
        record.last_used_time = deployment.create_time
        group.target_revision = revision
        group.last_attempted_deployment_id = deployment_id
        self.deployments[deployment_id] = deployment
        self.service.hand_off(self, deployment)
        return {"deploymentId": deployment_id}

    def _check_target_instances(self, value: dict[str, t.Any], style: dict[str, str]) -> dict[str, t.Any]:
        if style["deploymentType"] != "BLUE_GREEN":
            raise exc.InvalidTargetInstances("targetInstances applies to blue/green deployments only; this "
                                             "deployment group is IN_PLACE.")
        result: dict[str, t.Any] = {}
        if value.get("tagFilters") and (value.get("ec2TagSet") or {}).get("ec2TagSetList"):
            raise exc.InvalidTargetInstances("targetInstances.tagFilters and targetInstances.ec2TagSet cannot "
                                             "both be given.")
        if value.get("tagFilters"):
            if len(value["tagFilters"]) > v.MAX_TAGS_PER_GROUP:
                raise exc.InvalidTargetInstances(f"targetInstances.tagFilters lists more than "
                                                 f"{v.MAX_TAGS_PER_GROUP} tags.")
            result["tagFilters"] = v.tag_filters(value["tagFilters"], "targetInstances.tagFilters",
                                                 exc.InvalidTargetInstances)
        if value.get("ec2TagSet"):
            result["ec2TagSet"] = v.tag_set(value["ec2TagSet"], "targetInstances.ec2TagSet", "ec2TagSetList",
                                            exc.InvalidTargetInstances)
        if value.get("autoScalingGroups"):
            missing = [n for n in value["autoScalingGroups"] if self.refs.auto_scaling_group(n) is None]
            if missing:
                raise exc.InvalidAutoScalingGroup(f"Auto Scaling group(s) not found: {', '.join(missing)}.")
            result["autoScalingGroups"] = list(dict.fromkeys(value["autoScalingGroups"]))
        return result

    def get_deployment_info(self, deployment_id: t.Any) -> dict[str, t.Any]:
        return {"deploymentInfo": self.get_deployment(deployment_id).to_info()}

    def batch_get_deployments(self, deployment_ids: t.Any) -> dict[str, t.Any]:
        _check_batch(deployment_ids, MAX_BATCH_DEPLOYMENTS, exc.DeploymentIdRequired, "deployment ID", "deployment IDs")
        infos = []
        for deployment_id in dict.fromkeys(deployment_ids):
            try:
                infos.append(self.get_deployment(deployment_id).to_info())
            except exc.DeploymentDoesNotExist:
                continue  # unknown ids are left out, as AWS models no DoesNotExist here
        return {"deploymentsInfo": infos}

    def list_deployments(self, application_name: t.Any, group_name: t.Any, external_id: t.Any,
                         statuses: t.Any, time_range: t.Any, next_token: t.Any) -> dict[str, t.Any]:
        group_id = None
        if application_name or group_name:
            if not application_name:
                raise exc.ApplicationNameRequired("applicationName is required when deploymentGroupName is given.")
            if not group_name:
                raise exc.DeploymentGroupNameRequired(
                    "deploymentGroupName is required when applicationName is given.")
            group_id = self.get_group(application_name, group_name).group_id
        for status in statuses or []:
            v.enum(status, v.DEPLOYMENT_STATUSES, "includeOnlyStatuses", exc.InvalidDeploymentStatus)
        start = end = None
        if time_range:
            start = v.as_datetime(time_range.get("start"), "createTimeRange.start")
            end = v.as_datetime(time_range.get("end"), "createTimeRange.end")
            if start and end and start > end:
                raise exc.InvalidTimeRange("createTimeRange.start is after createTimeRange.end.")
        deployments = [d for d in self.deployments.values()
                       if (group_id is None or d.deployment_group_id == group_id)
                       and (not statuses or d.status in statuses)
                       and (external_id is None or d.external_id == external_id)
                       and (start is None or d.create_time >= start) and (end is None or d.create_time <= end)]
        deployments.sort(key=lambda d: d.create_time, reverse=True)  # newest first
        page, token = paginate([d.deployment_id for d in deployments], next_token, "ListDeployments")
        return {"deployments": page, **token}

    def stop_deployment(self, deployment_id: t.Any, auto_rollback_enabled: t.Any) -> dict[str, t.Any]:
        deployment = self.get_deployment(deployment_id)
        if not deployment.active:
            raise exc.DeploymentAlreadyCompleted(f"The deployment {deployment.deployment_id} has already completed "
                                                 f"with status {deployment.status}.")
        engine = self.service.engine
        if engine is not None:
            status, message = engine.stop(self, deployment, auto_rollback_enabled)
            return {"status": status, "statusMessage": message}
        # No engine: nothing was ever scheduled, so the stop completes at once.
        deployment.status = "Stopped"
        deployment.complete_time = now()
        deployment.error_information = {"code": "MANUAL_STOP", "message": "The deployment was stopped by a user."}
        for target in deployment.targets.values():
            if target.status in ("Pending", "InProgress", "Ready"):
                target.status = "Skipped"
        return {"status": "Succeeded", "statusMessage": STOP_MESSAGE}

    def deployment_finished(self, deployment: Deployment) -> None:
        """Called by the engine (under the lock) once a deployment reaches a terminal status."""
        if deployment.status == "Succeeded":
            for application in self.applications.values():
                for group in application.deployment_groups.values():
                    if group.group_id == deployment.deployment_group_id:
                        group.last_successful_deployment_id = deployment.deployment_id

    def continue_deployment(self, deployment_id: t.Any, wait_type: t.Any) -> dict[str, t.Any]:
        deployment = self.get_deployment(deployment_id)
        wait = v.enum(wait_type or "READY_WAIT", ("READY_WAIT", "TERMINATION_WAIT"), "deploymentWaitType",
                      exc.InvalidDeploymentWaitType)
        if not deployment.active:
            raise exc.DeploymentAlreadyCompleted(f"The deployment {deployment.deployment_id} has already completed.")
        if (deployment.deployment_style or {}).get("deploymentType") != "BLUE_GREEN":
            raise exc.UnsupportedActionForDeploymentType(
                f"ContinueDeployment applies to blue/green deployments; {deployment.deployment_id} is in-place.")
        if wait == "READY_WAIT" and deployment.status != "Ready":
            raise exc.DeploymentIsNotInReadyState(
                f"The deployment {deployment.deployment_id} does not have a status of Ready.")
        if self.service.engine is None:
            raise exc.DeploymentIsNotInReadyState(
                f"The deployment {deployment.deployment_id} does not have a status of Ready.")
        self.service.engine.continue_deployment(self, deployment, wait)
        return {}

    def skip_wait_time_for_instance_termination(self, deployment_id: t.Any) -> dict[str, t.Any]:
        deployment = self.get_deployment(deployment_id)
        if deployment.status == "Created":
            raise exc.DeploymentNotStarted(f"The deployment {deployment.deployment_id} has not started.")
        return self.continue_deployment(deployment_id, "TERMINATION_WAIT")

    # deployment targets / instances ------------------------------------------------------------------------

    def _started(self, deployment_id: t.Any) -> Deployment:
        deployment = self.get_deployment(deployment_id)
        if deployment.status in ("Created", "Queued"):
            raise exc.DeploymentNotStarted(f"The deployment {deployment.deployment_id} has not started.")
        return deployment

    def list_deployment_targets(self, deployment_id: t.Any, filters: t.Any, next_token: t.Any) -> dict[str, t.Any]:
        deployment = self._started(deployment_id)
        filters = filters or {}
        for name in filters:
            v.enum(name, ("TargetStatus", "ServerInstanceLabel"), "targetFilters", exc.InvalidTargetFilterName)
        statuses = filters.get("TargetStatus") or []
        for status in statuses:
            v.enum(status, ("Pending", "InProgress", "Succeeded", "Failed", "Skipped", "Unknown", "Ready"),
                   "TargetStatus", exc.InvalidInstanceStatus)
        labels = filters.get("ServerInstanceLabel") or []
        for label in labels:
            v.enum(label, ("Blue", "Green"), "ServerInstanceLabel", exc.InvalidInstanceType)
        ids = [target.target_id for target in deployment.targets.values()
               if (not statuses or target.status in statuses) and (not labels or target.instance_label in labels)]
        page, token = paginate(ids, next_token, "ListDeploymentTargets")
        return {"targetIds": page, **token}

    def _target(self, deployment: Deployment, target_id: t.Any) -> DeploymentTarget:
        if not target_id:
            raise exc.DeploymentTargetIdRequired("The target ID is required.")
        target = deployment.targets.get(target_id)
        if target is None:
            raise exc.DeploymentTargetDoesNotExist(
                f"The target {target_id} is not part of deployment {deployment.deployment_id}.")
        return target

    def batch_get_deployment_targets(self, deployment_id: t.Any, target_ids: t.Any) -> dict[str, t.Any]:
        deployment = self._started(deployment_id)
        _check_batch(target_ids, MAX_BATCH_TARGETS, exc.DeploymentTargetIdRequired, "target ID", "target IDs")
        return {"deploymentTargets": [
            {"deploymentTargetType": "InstanceTarget",
             "instanceTarget": self._target(deployment, target_id).to_instance_target(deployment.deployment_id)}
            for target_id in dict.fromkeys(target_ids)]}

    def get_deployment_target(self, deployment_id: t.Any, target_id: t.Any) -> dict[str, t.Any]:
        deployment = self._started(deployment_id)
        target = self._target(deployment, target_id)
        return {"deploymentTarget": {"deploymentTargetType": "InstanceTarget",
                                     "instanceTarget": target.to_instance_target(deployment.deployment_id)}}

    def list_deployment_instances(self, deployment_id: t.Any, status_filter: t.Any, type_filter: t.Any,
                                  next_token: t.Any) -> dict[str, t.Any]:
        deployment = self._started(deployment_id)
        for status in status_filter or []:
            v.enum(status, ("Pending", "InProgress", "Succeeded", "Failed", "Skipped", "Unknown", "Ready"),
                   "instanceStatusFilter", exc.InvalidInstanceStatus)
        for kind in type_filter or []:
            v.enum(kind, ("Blue", "Green"), "instanceTypeFilter", exc.InvalidInstanceType)
        if type_filter and (deployment.deployment_style or {}).get("deploymentType") != "BLUE_GREEN":
            raise exc.InvalidDeploymentInstanceType("instanceTypeFilter applies to blue/green deployments only.")
        ids = [target.target_id for target in deployment.targets.values()
               if (not status_filter or target.status in status_filter)
               and (not type_filter or target.instance_label in type_filter)]
        page, token = paginate(ids, next_token, "ListDeploymentInstances")
        return {"instancesList": page, **token}

    def batch_get_deployment_instances(self, deployment_id: t.Any, instance_ids: t.Any) -> dict[str, t.Any]:
        deployment = self.get_deployment(deployment_id)
        _check_batch(instance_ids, MAX_BATCH_TARGETS, exc.InstanceIdRequired, "instance ID", "instance IDs")
        found, missing = [], []
        for instance_id in dict.fromkeys(instance_ids):
            target = deployment.targets.get(instance_id)
            if target is None:
                missing.append(instance_id)
            else:
                found.append(target.to_instance_summary(deployment.deployment_id))
        message = f"Instances not found in deployment {deployment.deployment_id}: {', '.join(missing)}" \
            if missing else ""
        return {"instancesSummary": found, "errorMessage": message}

    def get_deployment_instance(self, deployment_id: t.Any, instance_id: t.Any) -> dict[str, t.Any]:
        deployment = self.get_deployment(deployment_id)
        if not instance_id:
            raise exc.InstanceIdRequired("The instance ID is required.")
        target = deployment.targets.get(instance_id)
        if target is None:
            raise exc.InstanceDoesNotExist(
                f"The instance {instance_id} is not part of deployment {deployment.deployment_id}.")
        return {"instanceSummary": target.to_instance_summary(deployment.deployment_id)}

    # tags ------------------------------------------------------------------------------------------------

    def _tagged(self, arn: t.Any) -> dict[str, str]:
        """The tag dict of the resource an ARN names (applications, deployment groups, custom configs)."""
        if not arn:
            raise exc.ResourceArnRequired("The resource ARN is required.")
        parts = arn.split(":", 5) if isinstance(arn, str) else []
        if len(parts) < 6 or parts[0] != "arn" or not parts[2] or not parts[5]:
            raise exc.InvalidArn(f"The ARN {arn} is not a valid ARN.")
        if parts[2] != "codedeploy":
            raise exc.ArnNotSupported(f"The ARN {arn} is not supported: only CodeDeploy applications, deployment "
                                      "groups and deployment configurations can be tagged.")
        region, account = parts[3], parts[4]
        kind, _, rest = parts[5].partition(":")
        backend = self.service.backend(account, region) if (account, region) != (self.account_id, self.region) \
            else self
        if kind == "application":
            return backend.get_app(rest).tags
        if kind == "deploymentgroup":
            application, _, group = rest.partition("/")
            return backend.get_group(application, group).tags
        if kind == "deploymentconfig":
            config = backend.get_config(rest)
            if config.builtin:
                raise exc.ArnNotSupported(f"The predefined deployment configuration {rest} cannot be tagged.")
            return config.tags
        raise exc.ArnNotSupported(f"The ARN {arn} is not supported: only CodeDeploy applications, deployment "
                                  "groups and deployment configurations can be tagged.")

    def tag_resource(self, arn: t.Any, tag_list: t.Any) -> dict[str, t.Any]:
        tags = self._tagged(arn)
        if not tag_list:
            raise exc.TagRequired("At least one tag is required.")
        new = v.tags(tag_list)
        if len({**tags, **new}) > v.MAX_RESOURCE_TAGS:
            raise exc.InvalidTagsToAdd(f"A resource can have at most {v.MAX_RESOURCE_TAGS} tags.")
        tags.update(new)
        return {}

    def untag_resource(self, arn: t.Any, keys: t.Any) -> dict[str, t.Any]:
        tags = self._tagged(arn)
        if not keys:
            raise exc.TagRequired("At least one tag key is required.")
        for key in keys:
            tags.pop(key, None)
        return {}

    def list_tags_for_resource(self, arn: t.Any, next_token: t.Any) -> dict[str, t.Any]:
        tags = self._tagged(arn)
        page, token = paginate([{"Key": k, "Value": value} for k, value in tags.items()], next_token,
                               "ListTagsForResource", token_key="NextToken")
        return {"Tags": page, **token}

    # on-premises instances --------------------------------------------------------------------------------

    def _instance_name(self, name: t.Any) -> str:
        if not name:
            raise exc.InstanceNameRequired("The on-premises instance name is required.")
        if not isinstance(name, str) or len(name) > v.NAME_MAX or not v.NAME_PATTERN.match(name):
            raise exc.InvalidInstanceName(f"The on-premises instance name '{name}' is invalid: use 1-100 letters, "
                                          "digits and + = , . @ _ -.")
        return name

    def _registered(self, name: t.Any) -> OnPremisesInstance:
        instance = self.on_premises_instances.get(self._instance_name(name))
        if instance is None or not instance.registered:
            raise _with_detail(exc.InstanceNotRegistered, name)
        return instance

    def register_on_premises_instance(self, name: t.Any, session_arn: t.Any, user_arn: t.Any) -> dict[str, t.Any]:
        self._instance_name(name)
        if session_arn and user_arn:
            raise exc.MultipleIamArnsProvided()
        if not session_arn and not user_arn:
            raise exc.IamArnRequired()
        if user_arn and not v.IAM_USER_ARN.match(user_arn):
            raise exc.InvalidIamUserArn(f"The IAM user ARN '{user_arn}' is invalid "
                                        "(arn:<partition>:iam::<account>:user/<name>).")
        if session_arn and not v.IAM_SESSION_ARN.match(session_arn):
            raise exc.InvalidIamSessionArn(f"The IAM session ARN '{session_arn}' is invalid "
                                           "(arn:<partition>:sts::<account>:assumed-role/<role>/<session>).")
        existing = self.on_premises_instances.get(name)
        if existing is not None and existing.registered:
            raise _with_detail(exc.InstanceNameAlreadyRegistered, name)
        for other in self.on_premises_instances.values():
            if not other.registered:
                continue
            if user_arn and other.iam_user_arn == user_arn:
                raise _with_detail(exc.IamUserArnAlreadyRegistered, other.name)
            if session_arn and other.iam_session_arn == session_arn:
                raise _with_detail(exc.IamSessionArnAlreadyRegistered, other.name)
        self.on_premises_instances[name] = OnPremisesInstance(
            name=name, instance_arn=self._arn(f"instance/{name}"), iam_user_arn=user_arn or None,
            iam_session_arn=session_arn or None)
        return {}

    def deregister_on_premises_instance(self, name: t.Any) -> dict[str, t.Any]:
        instance = self.on_premises_instances.get(self._instance_name(name))
        if instance is not None and instance.registered:
            instance.deregister_time = now()
        return {}

    def get_on_premises_instance(self, name: t.Any) -> dict[str, t.Any]:
        instance = self.on_premises_instances.get(self._instance_name(name))
        if instance is None:
            raise _with_detail(exc.InstanceNotRegistered, name)
        return {"instanceInfo": instance.to_info()}

    def batch_get_on_premises_instances(self, names: t.Any) -> dict[str, t.Any]:
        _check_batch(names, MAX_BATCH_TARGETS, exc.InstanceNameRequired, "on-premises instance name",
                     "instance names")
        infos = []
        for name in dict.fromkeys(names):
            instance = self.on_premises_instances.get(self._instance_name(name))
            if instance is not None:
                infos.append(instance.to_info())
        return {"instanceInfos": infos}

    def list_on_premises_instances(self, status: t.Any, tag_filters: t.Any, next_token: t.Any) -> dict[str, t.Any]:
        if status is not None:
            v.enum(status, ("Registered", "Deregistered"), "registrationStatus", exc.InvalidRegistrationStatus)
        filters = v.tag_filters(tag_filters, "tagFilters", exc.InvalidTagFilter)
        names = sorted(
            instance.name for instance in self.on_premises_instances.values()
            if (status is None or instance.registered == (status == "Registered"))
            and (not filters or any(v.tag_filter_matches(f, instance.tags) for f in filters)))
        page, token = paginate(names, next_token, "ListOnPremisesInstances")
        return {"instanceNames": page, **token}

    def _instances_for_tagging(self, tag_list: t.Any,
                               names: t.Any) -> tuple[list[OnPremisesInstance], dict[str, str]]:
        """The registered instances named, and the tags as a dict; both calls check them alike."""
        if not tag_list:
            raise exc.TagRequired("At least one tag is required.")
        if not names:
            raise exc.InstanceNameRequired("At least one on-premises instance name is required.")
        if len(names) > 100:
            raise exc.InstanceLimitExceeded(f"{len(names)} instances were given; the maximum is 100.")
        try:
            tags = v.tags(tag_list, exc.InvalidTag)
        except exc.InvalidTag as error:
            raise _with_detail(exc.InvalidTag, error.message) from None
        return [self._registered(name) for name in dict.fromkeys(names)], tags

    def add_tags_to_on_premises_instances(self, tag_list: t.Any, names: t.Any) -> dict[str, t.Any]:
        instances, new = self._instances_for_tagging(tag_list, names)
        for instance in instances:
            if len({**instance.tags, **new}) > v.MAX_INSTANCE_TAGS:
                raise exc.TagLimitExceeded(f"The on-premises instance {instance.name} would have more than "
                                           f"{v.MAX_INSTANCE_TAGS} tags.")
        for instance in instances:
            instance.tags.update(new)
        return {}

    def remove_tags_from_on_premises_instances(self, tag_list: t.Any, names: t.Any) -> dict[str, t.Any]:
        instances, removed = self._instances_for_tagging(tag_list, names)
        for instance in instances:
            for key, value in removed.items():
                if instance.tags.get(key) == value:
                    del instance.tags[key]
        return {}

    # GitHub and external ids ---------------------------------------------------------------------------------

    def list_github_account_token_names(self, next_token: t.Any) -> dict[str, t.Any]:
        page, token = paginate([], next_token, "ListGitHubAccountTokenNames")
        return {"tokenNameList": page, **token}

    def delete_github_account_token(self, token_name: t.Any) -> dict[str, t.Any]:
        if not token_name:
            raise exc.GitHubAccountTokenNameRequired("The GitHub account token name is required.")
        raise exc.GitHubAccountTokenDoesNotExist(f"No GitHub account connection found for name: {token_name}")

    def delete_resources_by_external_id(self, external_id: t.Any) -> dict[str, t.Any]:
        if external_id:
            for deployment_id in [d for d, dep in self.deployments.items() if dep.external_id == external_id]:
                if not self.deployments[deployment_id].active:
                    del self.deployments[deployment_id]
        return {}


def _with_detail(error: type[exc.CodeDeployError], detail: t.Any) -> exc.CodeDeployError:
    """AWS's documented message for the error, then what it is about: "... is not registered: web-1"."""
    return error(f"{error.default_message.rstrip('.')}: {detail}")


def _check_batch(items: t.Any, limit: int, required_error: type[Exception], one: str, many: str) -> None:
    """The check every BatchGet* makes first: at least one item (``required_error``), at most ``limit``."""
    if not items:
        raise required_error(f"At least one {one} is required.")
    if len(items) > limit:
        raise exc.BatchLimitExceeded(f"{len(items)} {many} were given; the maximum is {limit}.")


def _copy(value: t.Any) -> t.Any:
    return json.loads(json.dumps(value)) if isinstance(value, (dict, list)) else value


def _describe(location: dict[str, t.Any]) -> str:
    if location["revisionType"] == "S3":
        s3 = location["s3Location"]
        return f"s3://{s3['bucket']}/{s3['key']} ({s3['bundleType']})"
    if location["revisionType"] == "GitHub":
        return f"github:{location['gitHubLocation']['repository']}@{location['gitHubLocation']['commitId']}"
    return location["revisionType"]


# --- the service --------------------------------------------------------------------------------------------


class CodeDeployService:
    """All CodeDeploy backends of one lab, one lock for all of them, and the hand-off to the engine."""

    def __init__(self, lab: t.Any = None) -> None:
        self.lab = lab
        self.lock = threading.RLock()
        self._backends: dict[tuple[str, str], CodeDeployBackend] = {}

    @property
    def engine(self) -> t.Any:
        return getattr(self.lab, "engine", None)

    def backend(self, account_id: str, region: str) -> CodeDeployBackend:
        with self.lock:
            key = (account_id, region)
            if key not in self._backends:
                self._backends[key] = CodeDeployBackend(self, account_id, region)
            return self._backends[key]

    def backends(self) -> list[CodeDeployBackend]:
        with self.lock:
            return list(self._backends.values())

    def reset(self) -> None:
        with self.lock:
            self._backends.clear()

    def hand_off(self, backend: CodeDeployBackend, deployment: Deployment) -> None:
        """The one place where a new deployment leaves the control plane: ``lab.engine.submit`` runs it.

        Called with ``self.lock`` held, right after the deployment is stored in status ``Created``. The engine must
        not block here (start a thread or queue the work). Without an engine nothing happens and the deployment
        stays ``Created``, which is what moto does too.
        """
        engine = self.engine
        if engine is not None:
            engine.submit(backend, deployment)
