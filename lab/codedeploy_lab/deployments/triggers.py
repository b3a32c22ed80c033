"""Deployment group triggers: deployment and instance events published to SNS topics.

What CodeDeploy publishes, and when: docs/codedeploy-behavior.md#triggers.

The engine calls ``deployment_event(run, event_type)`` and ``instance_event(run, target, event_type)`` when a
deployment or one of its instances changes state; event types are the API's TriggerEventType values
(DeploymentStart, DeploymentSuccess, DeploymentFailure, DeploymentStop, DeploymentRollback, DeploymentReady,
InstanceStart, InstanceSuccess, InstanceFailure, InstanceReady).

For every ``triggerConfigurations`` entry of the deployment's group whose ``triggerEvents`` name the event, one
message is published to its ``triggerTargetArn`` through moto's SNS backend, in-process (SQS subscriptions receive
it at once). The shapes follow the user guide's "JSON data formats for CodeDeploy triggers" and the messages AWS
really sends (nested values are JSON strings, deployment times are Java ``Date`` strings):

* subject ``<STATUS>: AWS CodeDeploy <deployment id> in <region> to <application>``, e.g.
  ``SUCCEEDED: AWS CodeDeploy d-ABCDEFGHI in us-east-1 to my-app`` (instance events use the same form with the
  instance's status);
* deployment message: region, accountId, eventTriggerName, applicationName, deploymentId, deploymentGroupName,
  createTime, completeTime (null until the end), deploymentOverview (JSON string, not on CREATED), status,
  errorInformation (JSON string ``{"ErrorCode", "ErrorMessage"}``, when there is one), rollbackInformation (JSON
  string, on final events and whenever the deployment has rollbackInfo);
* instance message: region, accountId, eventTriggerName, deploymentId, instanceId (the instance ARN),
  lastUpdatedAt (epoch seconds as a string), instanceStatus, lifecycleEvents (JSON string of
  ``[{LifecycleEvent, LifecycleEventStatus, StartTime, EndTime}]``).

Publishing never breaks a deployment: a missing topic or any SNS error is logged and the deployment goes on.
"""

from __future__ import annotations

import json
import logging
import typing as t
from datetime import datetime

from moto.sns.models import sns_backends

from ..service.records import Deployment
from ..service.records import DeploymentTarget
from .run import DeploymentRun

LOG = logging.getLogger("codedeploy_lab.deployments.triggers")

SUBJECT_LIMIT = 100  # SNS rejects longer subjects

# The status word of a deployment event (subject and message); DeploymentStart is sent as CREATED, as AWS does.
EVENT_STATUS = {
    "DeploymentStart": "CREATED",
    "DeploymentSuccess": "SUCCEEDED",
    "DeploymentFailure": "FAILED",
    "DeploymentStop": "STOPPED",
    "DeploymentReady": "READY",
}
# DeploymentRollback: the subject says ROLLBACK, the message carries the deployment's own status.
ROLLBACK_WORD = "ROLLBACK"
OVERVIEW_KEYS = ("Succeeded", "Failed", "Skipped", "InProgress", "Pending")


def upper_snake(status: str) -> str:
    """``InProgress`` -> ``IN_PROGRESS``."""
    return "".join(f"_{c}" if c.isupper() and i else c for i, c in enumerate(status)).upper()


def java_date(moment: datetime | None) -> str | None:
    """``Fri Oct 14 08:38:46 UTC 2022``: how CodeDeploy's messages write deployment times."""
    return moment.strftime("%a %b %d %H:%M:%S UTC %Y") if moment is not None else None


def epoch(moment: datetime | None) -> str | None:
    """``1446744207.564``: how instance messages write times."""
    return f"{moment.timestamp():.3f}" if moment is not None else None


def subject(status_word: str, deployment_id: str, region: str, application: str) -> str:
    return f"{status_word}: AWS CodeDeploy {deployment_id} in {region} to {application}"[:SUBJECT_LIMIT]


def deployment_message(
    deployment: Deployment, event_type: str, trigger_name: str, region: str, account_id: str
) -> tuple[str, dict[str, t.Any]]:
    """(subject, message) of a deployment event; call with the service lock held (reads live state)."""
    status = EVENT_STATUS.get(event_type) or upper_snake(deployment.status)
    word = ROLLBACK_WORD if event_type == "DeploymentRollback" else status
    message: dict[str, t.Any] = {
        "region": region,
        "accountId": account_id,
        "eventTriggerName": trigger_name,
        "applicationName": deployment.application_name,
        "deploymentId": deployment.deployment_id,
        "deploymentGroupName": deployment.deployment_group_name,
        "createTime": java_date(deployment.create_time),
        "completeTime": java_date(deployment.complete_time),
    }
    if event_type != "DeploymentStart":
        counts = deployment.overview
        overview = {key: counts.get(key, 0) for key in OVERVIEW_KEYS}
        if (deployment.deployment_style or {}).get("deploymentType") == "BLUE_GREEN":
            overview["Ready"] = counts.get("Ready", 0)
        message["deploymentOverview"] = json.dumps(overview, separators=(",", ":"))
    message["status"] = status
    if deployment.error_information:
        message["errorInformation"] = json.dumps(
            {
                "ErrorCode": deployment.error_information.get("code", ""),
                "ErrorMessage": deployment.error_information.get("message", ""),
            },
            separators=(",", ":"),
        )
    rollback = deployment.rollback_info or {}
    if rollback or deployment.complete_time is not None:
        message["rollbackInformation"] = json.dumps(
            {key[0].upper() + key[1:]: value for key, value in rollback.items() if value}, separators=(",", ":")
        )
    return subject(word, deployment.deployment_id, region, deployment.application_name), message


def instance_message(
    deployment: Deployment, target: DeploymentTarget, trigger_name: str, region: str, account_id: str
) -> tuple[str, dict[str, t.Any]]:
    """(subject, message) of an instance event; call with the service lock held."""
    events = []
    for event in target.lifecycle_events:
        entry: dict[str, str | None] = {"LifecycleEvent": event.name, "LifecycleEventStatus": event.status}
        if event.start_time is not None:
            entry["StartTime"] = epoch(event.start_time)
        if event.end_time is not None:
            entry["EndTime"] = epoch(event.end_time)
        events.append(entry)
    message = {
        "region": region,
        "accountId": account_id,
        "eventTriggerName": trigger_name,
        "deploymentId": deployment.deployment_id,
        "instanceId": target.target_arn,
        "lastUpdatedAt": epoch(target.last_updated_at),
        "instanceStatus": target.status,
        "lifecycleEvents": json.dumps(events, separators=(",", ":")),
    }
    return subject(upper_snake(target.status), deployment.deployment_id, region, deployment.application_name), message


def publish(topic_arn: str, subject_line: str, message: dict[str, t.Any]) -> None:
    """Publish through moto's SNS backend of the topic's own account and region."""
    parts = topic_arn.split(":")
    if len(parts) < 6 or parts[2] != "sns":
        raise ValueError(f"{topic_arn!r} is not an SNS topic ARN")
    region, account_id = parts[3], parts[4]
    sns_backends[account_id][region].publish(
        json.dumps(message, separators=(",", ":")), arn=topic_arn, subject=subject_line
    )


def deployment_event(run: DeploymentRun, event_type: str) -> None:
    """Publish ``event_type`` of the run's deployment to the group's triggers that name it."""
    _send(
        run,
        event_type,
        lambda trigger: deployment_message(
            run.deployment, event_type, trigger["triggerName"], run.backend.region, run.backend.account_id
        ),
    )


def instance_event(run: DeploymentRun, target: DeploymentTarget, event_type: str) -> None:
    """Publish ``event_type`` of one of the run's targets to the group's triggers that name it."""
    _send(
        run,
        event_type,
        lambda trigger: instance_message(
            run.deployment, target, trigger["triggerName"], run.backend.region, run.backend.account_id
        ),
    )


def _triggers_for(run: DeploymentRun, event_type: str) -> list[dict[str, t.Any]]:
    """The group's trigger configurations that name ``event_type`` (read under the service lock)."""
    group = run.group()
    if group is None:
        return []
    return [
        trigger
        for trigger in group.settings.get("triggerConfigurations") or []
        if event_type in (trigger.get("triggerEvents") or []) and trigger.get("triggerTargetArn")
    ]


def _send(
    run: DeploymentRun, event_type: str, build: t.Callable[[dict[str, t.Any]], tuple[str, dict[str, t.Any]]]
) -> None:
    try:
        with run.lock:  # a consistent picture of the deployment; published after the lock is released
            messages = [(trigger, *build(trigger)) for trigger in _triggers_for(run, event_type)]
    except Exception:
        LOG.exception(
            "deployment %s: building the %s trigger messages failed", run.deployment.deployment_id, event_type
        )
        return
    for trigger, subject_line, message in messages:
        try:
            publish(trigger["triggerTargetArn"], subject_line, message)
            LOG.info(
                "deployment %s: %s published to %s (trigger %s)",
                run.deployment.deployment_id,
                event_type,
                trigger["triggerTargetArn"],
                trigger["triggerName"],
            )
        except Exception as error:  # a trigger must never break a deployment
            LOG.warning(
                "deployment %s: trigger %s could not publish %s to %s: %s",
                run.deployment.deployment_id,
                trigger["triggerName"],
                event_type,
                trigger["triggerTargetArn"],
                error,
            )
