"""The CodeDeploy resources the service stores, each with the API shape it answers with (``to_info`` and friends).

The deployment engine (``codedeploy_lab.deployments``) mutates ``Deployment``, ``DeploymentTarget`` and
``LifecycleEvent`` objects while holding the service's lock.
"""

from __future__ import annotations

import random
import string
import typing as t
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime

from . import validation as v

ACTIVE_STATUSES = ("Created", "Queued", "InProgress", "Baking", "Ready")
TERMINAL_STATUSES = ("Succeeded", "Failed", "Stopped")


def now() -> datetime:
    """The time the service records, to the millisecond like CodeDeploy's: a client that passes a createTime it read
    back as createTimeRange.start must find that deployment, so no sub-millisecond part may stay behind."""
    moment = datetime.now(UTC)
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
        info: dict[str, t.Any] = {
            "deploymentConfigId": self.config_id,
            "deploymentConfigName": self.name,
            "createTime": self.create_time,
            "computePlatform": self.compute_platform,
        }
        if self.minimum_healthy_hosts is not None:
            info["minimumHealthyHosts"] = dict(self.minimum_healthy_hosts)
        if self.traffic_routing_config is not None:
            info["trafficRoutingConfig"] = self.traffic_routing_config
        if self.zonal_config is not None:
            info["zonalConfig"] = self.zonal_config
        return info


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


@dataclass
class DeploymentGroup:
    group_id: str
    application: Application
    name: str
    service_role_arn: str
    deployment_config_name: str
    settings: dict[str, t.Any]  # API-shaped values of group_settings.FIELDS; autoScalingGroups as names
    hooks: dict[str, dict[str, str | None]] = field(default_factory=dict)  # asg -> {hook, terminationHook}
    tags: dict[str, str] = field(default_factory=dict)
    target_revision: dict[str, t.Any] | None = None
    last_attempted_deployment_id: str | None = None
    last_successful_deployment_id: str | None = None

    @property
    def auto_scaling_group_names(self) -> list[str]:
        return list(self.settings["autoScalingGroups"])

    def to_info(self, deployments: Mapping[str, Deployment]) -> dict[str, t.Any]:
        """``DeploymentGroupInfo``; ``deployments`` (the backend's) name its last attempted and successful ones."""
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
                info[key] = [
                    {"name": name, **{k: h for k, h in self.hooks.get(name, {}).items() if h}} for name in value
                ]
            elif value is not None:
                info[key] = value
        if self.target_revision is not None:
            info["targetRevision"] = self.target_revision
        for key, deployment_id in (
            ("lastAttemptedDeployment", self.last_attempted_deployment_id),
            ("lastSuccessfulDeployment", self.last_successful_deployment_id),
        ):
            deployment = deployments.get(deployment_id or "")
            if deployment is not None:
                summary: dict[str, t.Any] = {
                    "deploymentId": deployment.deployment_id,
                    "status": deployment.status,
                    "createTime": deployment.create_time,
                }
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
        return {
            "applicationId": self.application_id,
            "applicationName": self.name,
            "createTime": self.create_time,
            "linkedToGitHub": False,
            "computePlatform": self.compute_platform,
        }


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
        info: dict[str, t.Any] = {
            "instanceName": self.name,
            "instanceArn": self.instance_arn,
            "registerTime": self.register_time,
            "tags": [{"Key": k, "Value": value} for k, value in self.tags.items()],
        }
        for key, value in (
            ("iamUserArn", self.iam_user_arn),
            ("iamSessionArn", self.iam_session_arn),
            ("deregisterTime", self.deregister_time),
        ):
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
        result: dict[str, t.Any] = {
            "deploymentId": deployment_id,
            "targetId": self.target_id,
            "targetArn": self.target_arn,
            "status": self.status,
            "lastUpdatedAt": self.last_updated_at,
            "lifecycleEvents": [e.to_dict() for e in self.lifecycle_events],
        }
        if self.instance_label is not None:
            result["instanceLabel"] = self.instance_label
        return result

    def to_instance_summary(self, deployment_id: str) -> dict[str, t.Any]:
        result: dict[str, t.Any] = {
            "deploymentId": deployment_id,
            "instanceId": self.target_arn,
            "status": self.status,
            "lastUpdatedAt": self.last_updated_at,
            "lifecycleEvents": [e.to_dict() for e in self.lifecycle_events],
        }
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
            "revision": self.revision,
            "previousRevision": self.previous_revision,
            "errorInformation": self.error_information,
            "startTime": self.start_time,
            "completeTime": self.complete_time,
            "description": self.description,
            "autoRollbackConfiguration": self.auto_rollback_configuration,
            "rollbackInfo": self.rollback_info,
            "deploymentStyle": self.deployment_style,
            "targetInstances": self.target_instances,
            "blueGreenDeploymentConfiguration": self.blue_green_deployment_configuration,
            "loadBalancerInfo": self.load_balancer_info,
            "additionalDeploymentStatusInfo": self.additional_deployment_status_info,
            "deploymentMode": self.deployment_mode,
            "externalId": self.external_id,
            "relatedDeployments": self.related_deployments,
            "overrideAlarmConfiguration": self.override_alarm_configuration,
            "ec2DeploymentOptions": self.ec2_deployment_options,
        }
        info.update({key: value for key, value in optional.items() if value is not None})
        return info
