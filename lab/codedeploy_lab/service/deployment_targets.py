"""The instances of a deployment: ``*DeploymentTarget*`` and the older ``*DeploymentInstance*`` calls
(docs/codedeploy-behavior.md#deployments-and-targets)."""

from __future__ import annotations

import typing as t

from . import exceptions as exc
from . import validation as v
from .paging import paginate
from .records import Deployment
from .records import DeploymentTarget
from .state import BackendState


class DeploymentTargets(BackendState):
    def _started(self, deployment_id: t.Any) -> Deployment:
        deployment = self.get_deployment(deployment_id)
        if deployment.status in ("Created", "Queued"):
            raise exc.DeploymentNotStarted(f"The deployment {deployment.deployment_id} has not started.")
        return deployment

    def _target(self, deployment: Deployment, target_id: t.Any) -> DeploymentTarget:
        if not target_id:
            raise exc.DeploymentTargetIdRequired("The target ID is required.")
        target = deployment.targets.get(target_id)
        if target is None:
            raise exc.DeploymentTargetDoesNotExist(
                f"The target {target_id} is not part of deployment {deployment.deployment_id}."
            )
        return target

    def list_deployment_targets(self, deployment_id: t.Any, filters: t.Any, next_token: t.Any) -> dict[str, t.Any]:
        deployment = self._started(deployment_id)
        filters = filters or {}
        for name in filters:
            v.check("targetFilters", name)
        statuses = filters.get("TargetStatus") or []
        for status in statuses:
            v.check("TargetStatus", status)
        labels = filters.get("ServerInstanceLabel") or []
        for label in labels:
            v.check("ServerInstanceLabel", label)
        ids = [
            target.target_id
            for target in deployment.targets.values()
            if (not statuses or target.status in statuses) and (not labels or target.instance_label in labels)
        ]
        page, token = paginate(ids, next_token, "ListDeploymentTargets")
        return {"targetIds": page, **token}

    def batch_get_deployment_targets(self, deployment_id: t.Any, target_ids: t.Any) -> dict[str, t.Any]:
        deployment = self._started(deployment_id)
        v.check("targetIds", target_ids)
        return {
            "deploymentTargets": [
                _instance_target(deployment, self._target(deployment, target_id))
                for target_id in dict.fromkeys(target_ids)
            ]
        }

    def get_deployment_target(self, deployment_id: t.Any, target_id: t.Any) -> dict[str, t.Any]:
        deployment = self._started(deployment_id)
        return {"deploymentTarget": _instance_target(deployment, self._target(deployment, target_id))}

    def list_deployment_instances(
        self, deployment_id: t.Any, status_filter: t.Any, type_filter: t.Any, next_token: t.Any
    ) -> dict[str, t.Any]:
        deployment = self._started(deployment_id)
        for status in status_filter or []:
            v.check("instanceStatusFilter", status)
        for kind in type_filter or []:
            v.check("instanceTypeFilter", kind)
        if type_filter and (deployment.deployment_style or {}).get("deploymentType") != "BLUE_GREEN":
            raise exc.InvalidDeploymentInstanceType("instanceTypeFilter applies to blue/green deployments only.")
        ids = [
            target.target_id
            for target in deployment.targets.values()
            if (not status_filter or target.status in status_filter)
            and (not type_filter or target.instance_label in type_filter)
        ]
        page, token = paginate(ids, next_token, "ListDeploymentInstances")
        return {"instancesList": page, **token}

    def batch_get_deployment_instances(self, deployment_id: t.Any, instance_ids: t.Any) -> dict[str, t.Any]:
        deployment = self.get_deployment(deployment_id)
        v.check("instanceIds", instance_ids)
        found, missing = [], []
        for instance_id in dict.fromkeys(instance_ids):
            target = deployment.targets.get(instance_id)
            if target is None:
                missing.append(instance_id)
            else:
                found.append(target.to_instance_summary(deployment.deployment_id))
        message = (
            f"Instances not found in deployment {deployment.deployment_id}: {', '.join(missing)}" if missing else ""
        )
        return {"instancesSummary": found, "errorMessage": message}

    def get_deployment_instance(self, deployment_id: t.Any, instance_id: t.Any) -> dict[str, t.Any]:
        deployment = self.get_deployment(deployment_id)
        if not instance_id:
            raise exc.InstanceIdRequired("The instance ID is required.")
        target = deployment.targets.get(instance_id)
        if target is None:
            raise exc.InstanceDoesNotExist(
                f"The instance {instance_id} is not part of deployment {deployment.deployment_id}."
            )
        return {"instanceSummary": target.to_instance_summary(deployment.deployment_id)}


def _instance_target(deployment: Deployment, target: DeploymentTarget) -> dict[str, t.Any]:
    return {
        "deploymentTargetType": "InstanceTarget",
        "instanceTarget": target.to_instance_target(deployment.deployment_id),
    }
