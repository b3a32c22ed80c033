"""Deployments: creating one hands it to the engine; stop, continue and the listings
(docs/codedeploy-behavior.md#deployments-and-targets, #rollbacks-redeploys-and-alarms, #bluegreen-on-ec2).

``create_deployment`` validates, stores a ``Deployment`` in status ``Created`` and hands it to
``CodeDeployService.hand_off``, where the deployment engine (``lab.engine``) takes over; without an engine the
deployment stays ``Created``. The engine calls ``deployment_finished`` (under the service's lock) when one ends.
"""

from __future__ import annotations

import typing as t

from . import exceptions as exc
from . import revisions
from . import validation as v
from .paging import paginate
from .records import Application
from .records import Deployment
from .records import DeploymentGroup
from .records import new_deployment_id
from .records import now
from .state import BackendState

STOP_MESSAGE = "No more commands will be scheduled for execution in the deployment instances"


class Deployments(BackendState):
    def create_deployment(self, params: dict[str, t.Any]) -> dict[str, t.Any]:
        application = self.get_app(params.get("applicationName"))
        group_name = params.get("deploymentGroupName")
        if not group_name:
            raise exc.DeploymentGroupNameRequired(
                "The deployment group name is required for a deployment to the Server compute platform."
            )
        group = self.get_group(application.name, group_name)
        mode = v.check("deploymentMode", params.get("deploymentMode") or "STANDARD")
        style = group.settings["deploymentStyle"]
        if mode == "RESTART":
            revision = self._restart_revision(group, params)
        else:
            revision = v.revision(params.get("revision"), application.compute_platform)
        config_name = params.get("deploymentConfigName")
        config_name = (
            self.config_for(config_name, application.compute_platform)
            if config_name is not None
            else group.deployment_config_name
        )
        description = v.description(params.get("description"))
        file_exists = v.check("fileExistsBehavior", params.get("fileExistsBehavior") or "DISALLOW")
        target_instances = params.get("targetInstances")
        if target_instances is not None:
            target_instances = self._check_target_instances(target_instances, style)
        auto_rollback = v.auto_rollback_configuration(params.get("autoRollbackConfiguration"))
        alarms = v.alarm_configuration(params.get("overrideAlarmConfiguration"), self.refs.alarm_exists)
        ec2_options = v.ec2_deployment_options(params.get("ec2DeploymentOptions"))
        active = next(
            (d for d in self.deployments.values() if d.deployment_group_id == group.group_id and d.active), None
        )
        if active is not None:
            raise exc.DeploymentLimitExceeded(
                f"The Deployment Group '{group.name}' already has an active Deployment '{active.deployment_id}'"
            )

        deployment_id = new_deployment_id()
        while deployment_id in self.deployments:
            deployment_id = new_deployment_id()
        last_success = self.deployments.get(group.last_successful_deployment_id or "")
        deployment = Deployment(
            deployment_id=deployment_id,
            application_name=application.name,
            deployment_group_name=group.name,
            deployment_group_id=group.group_id,
            deployment_config_name=config_name,
            revision=revision,
            description=description,
            previous_revision=last_success.revision if last_success else None,
            ignore_application_stop_failures=bool(params.get("ignoreApplicationStopFailures", False)),
            auto_rollback_configuration=auto_rollback or group.settings["autoRollbackConfiguration"],
            update_outdated_instances_only=bool(params.get("updateOutdatedInstancesOnly", False)),
            deployment_style=dict(style),
            target_instances=target_instances,
            blue_green_deployment_configuration=group.settings["blueGreenDeploymentConfiguration"],
            load_balancer_info=group.settings["loadBalancerInfo"],
            file_exists_behavior=file_exists,
            deployment_mode="RESTART" if mode == "RESTART" else None,
            compute_platform=application.compute_platform,
            override_alarm_configuration=alarms,
            ec2_deployment_options=ec2_options,
        )
        _record_use(application, group, deployment)
        self.deployments[deployment_id] = deployment
        self.service.hand_off(self, deployment)
        return {"deploymentId": deployment_id}

    def _restart_revision(self, group: DeploymentGroup, params: dict[str, t.Any]) -> dict[str, t.Any]:
        """A RESTART deployment's revision: the one of the group's last successful deployment."""
        if params.get("revision") is not None:
            raise exc.InvalidRevision(
                "A RESTART deployment reuses the group's last successful revision: remove revision."
            )
        if params.get("updateOutdatedInstancesOnly"):
            raise exc.InvalidUpdateOutdatedInstancesOnlyValue(
                "updateOutdatedInstancesOnly cannot be true for a RESTART deployment."
            )
        if group.settings["deploymentStyle"]["deploymentType"] != "IN_PLACE":
            raise exc.InvalidInput("RESTART deployments are supported for in-place deployment groups only.")
        last = self.deployments.get(group.last_successful_deployment_id or "")
        if last is None or last.revision is None:
            raise exc.InvalidRevision(
                f"The deployment group {group.name} has no successful deployment whose "
                "revision a RESTART deployment could reuse."
            )
        return last.revision

    def _check_target_instances(self, value: dict[str, t.Any], style: dict[str, str]) -> dict[str, t.Any]:
        if style["deploymentType"] != "BLUE_GREEN":
            raise exc.InvalidTargetInstances(
                "targetInstances applies to blue/green deployments only; this deployment group is IN_PLACE."
            )
        result: dict[str, t.Any] = {}
        if value.get("tagFilters") and (value.get("ec2TagSet") or {}).get("ec2TagSetList"):
            raise exc.InvalidTargetInstances(
                "targetInstances.tagFilters and targetInstances.ec2TagSet cannot both be given."
            )
        if value.get("tagFilters"):
            v.check("targetInstances.tagFilters", value["tagFilters"])
            result["tagFilters"] = v.tag_filters(
                value["tagFilters"], "targetInstances.tagFilters", exc.InvalidTargetInstances
            )
        if value.get("ec2TagSet"):
            result["ec2TagSet"] = v.tag_set(
                value["ec2TagSet"], "targetInstances.ec2TagSet", "ec2TagSetList", exc.InvalidTargetInstances
            )
        if value.get("autoScalingGroups"):
            missing = [n for n in value["autoScalingGroups"] if self.refs.auto_scaling_group(n) is None]
            if missing:
                raise exc.InvalidAutoScalingGroup(f"Auto Scaling group(s) not found: {', '.join(missing)}.")
            result["autoScalingGroups"] = list(dict.fromkeys(value["autoScalingGroups"]))
        return result

    def get_deployment_info(self, deployment_id: t.Any) -> dict[str, t.Any]:
        return {"deploymentInfo": self.get_deployment(deployment_id).to_info()}

    def batch_get_deployments(self, deployment_ids: t.Any) -> dict[str, t.Any]:
        v.check("deploymentIds", deployment_ids)
        infos = []
        for deployment_id in dict.fromkeys(deployment_ids):
            try:
                infos.append(self.get_deployment(deployment_id).to_info())
            except exc.DeploymentDoesNotExist:
                continue  # unknown ids are left out, as AWS models no DoesNotExist here
        return {"deploymentsInfo": infos}

    def list_deployments(
        self,
        application_name: t.Any,
        group_name: t.Any,
        external_id: t.Any,
        statuses: t.Any,
        time_range: t.Any,
        next_token: t.Any,
    ) -> dict[str, t.Any]:
        group_id = None
        if application_name or group_name:
            if not application_name:
                raise exc.ApplicationNameRequired("applicationName is required when deploymentGroupName is given.")
            if not group_name:
                raise exc.DeploymentGroupNameRequired("deploymentGroupName is required when applicationName is given.")
            group_id = self.get_group(application_name, group_name).group_id
        for status in statuses or []:
            v.check("includeOnlyStatuses", status)
        start = end = None
        if time_range:
            start = v.as_datetime(time_range.get("start"), "createTimeRange.start")
            end = v.as_datetime(time_range.get("end"), "createTimeRange.end")
            if start and end and start > end:
                raise exc.InvalidTimeRange("createTimeRange.start is after createTimeRange.end.")
        deployments = [
            d
            for d in self.deployments.values()
            if (group_id is None or d.deployment_group_id == group_id)
            and (not statuses or d.status in statuses)
            and (external_id is None or d.external_id == external_id)
            and (start is None or d.create_time >= start)
            and (end is None or d.create_time <= end)
        ]
        deployments.sort(key=lambda d: d.create_time, reverse=True)  # newest first
        page, token = paginate([d.deployment_id for d in deployments], next_token, "ListDeployments")
        return {"deployments": page, **token}

    def stop_deployment(self, deployment_id: t.Any, auto_rollback_enabled: t.Any) -> dict[str, t.Any]:
        deployment = self.get_deployment(deployment_id)
        if not deployment.active:
            raise exc.DeploymentAlreadyCompleted(
                f"The deployment {deployment.deployment_id} has already completed with status {deployment.status}."
            )
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
        wait = v.check("deploymentWaitType", wait_type or "READY_WAIT")
        if not deployment.active:
            raise exc.DeploymentAlreadyCompleted(f"The deployment {deployment.deployment_id} has already completed.")
        if (deployment.deployment_style or {}).get("deploymentType") != "BLUE_GREEN":
            raise exc.UnsupportedActionForDeploymentType(
                f"ContinueDeployment applies to blue/green deployments; {deployment.deployment_id} is in-place."
            )
        engine = self.service.engine
        if (wait == "READY_WAIT" and deployment.status != "Ready") or engine is None:
            raise exc.DeploymentIsNotInReadyState(
                f"The deployment {deployment.deployment_id} does not have a status of Ready."
            )
        engine.continue_deployment(self, deployment, wait)
        return {}

    def skip_wait_time_for_instance_termination(self, deployment_id: t.Any) -> dict[str, t.Any]:
        deployment = self.get_deployment(deployment_id)
        if deployment.status == "Created":
            raise exc.DeploymentNotStarted(f"The deployment {deployment.deployment_id} has not started.")
        return self.continue_deployment(deployment_id, "TERMINATION_WAIT")

    def delete_resources_by_external_id(self, external_id: t.Any) -> dict[str, t.Any]:
        if external_id:
            for deployment_id in [d for d, dep in self.deployments.items() if dep.external_id == external_id]:
                if not self.deployments[deployment_id].active:
                    del self.deployments[deployment_id]
        return {}


def _record_use(application: Application, group: DeploymentGroup, deployment: Deployment) -> None:
    """A deployment registers its revision (if it was not), marks it used, and makes it the group's target."""
    revision = t.cast(dict[str, t.Any], deployment.revision)
    record = revisions.register(application, revision, None)
    if record.description is None and record.first_used_time is None:
        record.description = f"Application revision registered by Deployment ID: {deployment.deployment_id}"
    record.first_used_time = record.first_used_time or deployment.create_time
    record.last_used_time = deployment.create_time
    group.target_revision = revision
    group.last_attempted_deployment_id = deployment.deployment_id
