"""Automatic rollbacks: a new deployment of the group's last good revision.

When CodeDeploy rolls back, and what: docs/codedeploy-behavior.md#rollbacks-redeploys-and-alarms.

``start_if_configured(run)`` is called by the engine's ``finish`` with the service lock held, right after the
deployment reached its final status. When the deployment's autoRollbackConfiguration (or StopDeployment's
``autoRollbackEnabled``, see ``run.stop_cause``) asks for it, it creates the rollback deployment, links both through
``rollbackInfo`` and hands it to the engine; it returns the rollback's run, or None.

The rollback deployment (creator ``codeDeployRollback``) copies the triggering deployment's deployment style, load
balancers, deployment configuration, ignoreApplicationStopFailures and blue/green settings, and takes the revision
and fileExistsBehavior of the group's last successful deployment. An in-place rollback targets exactly the
triggering deployment's targets (a lab choice, docs/codedeploy-behavior.md#where-the-lab-decides). A blue/green
rollback is submitted without fixed targets: ``blue_green.run`` sees ``rollback_info["rollbackTriggeringDeploymentId"]``
and reroutes traffic back to that deployment's blue fleet.

A rollback never triggers another rollback. When it ends, this module is called again for it (same lock) and
updates the triggering deployment's ``rollbackMessage``, so no client ever sees a finished rollback with a stale
message.
"""

from __future__ import annotations

import logging

from ..service.records import Deployment
from ..service.records import new_deployment_id
from .run import DeploymentRun

LOG = logging.getLogger("codedeploy_lab.deployments")

ROLLBACK_CREATOR = "codeDeployRollback"
# Deployments that never roll back: a rollback itself, and an Auto Scaling launch (it already deploys the last good
# revision to one new instance, which the group abandons and replaces when it fails).
NO_ROLLBACK_CREATORS = frozenset({ROLLBACK_CREATOR, "autoscaling", "autoscalingTermination"})


def rollback_event(run: DeploymentRun) -> str | None:
    """The autoRollbackConfiguration event the run's end stands for, or None when it cannot trigger a rollback."""
    status = run.deployment.status
    if status == "Failed":
        return "DEPLOYMENT_FAILURE"
    if status == "Stopped":
        return run.stop_cause.rollback_event
    return None


def wanted(run: DeploymentRun) -> bool:
    """Whether the finished run asks for a rollback (StopDeployment's explicit autoRollbackEnabled wins)."""
    deployment = run.deployment
    if deployment.creator in NO_ROLLBACK_CREATORS:
        return False
    event = rollback_event(run)
    if event is None:
        return False
    if deployment.status == "Stopped" and run.stop_cause.rollback is not None:
        return run.stop_cause.rollback  # an explicit answer (StopDeployment's autoRollbackEnabled) wins
    config = deployment.auto_rollback_configuration or {}
    return bool(config.get("enabled")) and event in (config.get("events") or [])


def start_if_configured(run: DeploymentRun) -> DeploymentRun | None:
    deployment = run.deployment
    if deployment.creator == ROLLBACK_CREATOR:
        _report_outcome(run)
        return None
    if not wanted(run):
        return None
    backend = run.backend
    group = run.group()
    last = backend.deployments.get(group.last_successful_deployment_id or "") if group is not None else None
    if group is None:
        deployment.rollback_info = {"rollbackMessage": "Rollback not possible: the deployment group no longer exists."}
        return None
    if last is None or last.revision is None:
        deployment.rollback_info = {
            "rollbackMessage": "Rollback not possible: the deployment group has no earlier "
            "successful deployment to roll back to."
        }
        return None
    blue_green = (deployment.deployment_style or {}).get("deploymentType") == "BLUE_GREEN"
    instance_ids = None if blue_green else list(deployment.targets)
    if not blue_green and not instance_ids:
        deployment.rollback_info = {
            "rollbackMessage": "Rollback not needed: the deployment did not reach any instance."
        }
        return None

    rollback_id = new_deployment_id()
    while rollback_id in backend.deployments:
        rollback_id = new_deployment_id()
    rollback = Deployment(
        deployment_id=rollback_id,
        application_name=deployment.application_name,
        deployment_group_name=deployment.deployment_group_name,
        deployment_group_id=deployment.deployment_group_id,
        deployment_config_name=deployment.deployment_config_name,
        revision=last.revision,
        creator=ROLLBACK_CREATOR,
        previous_revision=last.revision,
        ignore_application_stop_failures=deployment.ignore_application_stop_failures,
        auto_rollback_configuration=deployment.auto_rollback_configuration,
        deployment_style=dict(deployment.deployment_style) if deployment.deployment_style else None,
        target_instances=deployment.target_instances,
        blue_green_deployment_configuration=deployment.blue_green_deployment_configuration,
        load_balancer_info=deployment.load_balancer_info,
        file_exists_behavior=last.file_exists_behavior,
        compute_platform=deployment.compute_platform,
        ec2_deployment_options=deployment.ec2_deployment_options,
        rollback_info={
            "rollbackTriggeringDeploymentId": deployment.deployment_id,
            "rollbackMessage": f"Rollback of deployment {deployment.deployment_id} to the revision of "
            f"the last successful deployment {last.deployment_id}",
        },
    )
    deployment.rollback_info = {
        "rollbackDeploymentId": rollback_id,
        "rollbackMessage": f"Rollback in progress: deployment {rollback_id} redeploys the "
        f"revision of the last successful deployment "
        f"{last.deployment_id}",
    }
    backend.deployments[rollback_id] = rollback
    group.last_attempted_deployment_id = rollback_id
    group.target_revision = last.revision
    LOG.info(
        "deployment %s: %s, automatic rollback %s to the revision of %s",
        deployment.deployment_id,
        deployment.status,
        rollback_id,
        last.deployment_id,
    )
    return run.submit(rollback, instance_ids)


def _report_outcome(run: DeploymentRun) -> None:
    """A rollback ended: its triggering deployment's rollbackMessage says how."""
    rollback = run.deployment
    triggering_id = (rollback.rollback_info or {}).get("rollbackTriggeringDeploymentId")
    triggering = run.backend.deployments.get(triggering_id or "")
    if triggering is None:
        return
    outcome = {"Succeeded": "Rollback succeeded", "Stopped": "Rollback stopped"}.get(rollback.status, "Rollback failed")
    error = rollback.error_information or {}
    detail = f" ({error.get('code')}: {error.get('message')})" if rollback.status != "Succeeded" and error else ""
    triggering.rollback_info = {
        **(triggering.rollback_info or {}),
        "rollbackMessage": f"{outcome}: deployment {rollback.deployment_id} ended {rollback.status}{detail}",
    }
