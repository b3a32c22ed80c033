# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This package is private to rollout.codedeploy: import from module_utils/codedeploy.py instead.

"""What a codedeploy_deployment task has to do, decided from the group's deployments alone (no API calls here)."""

from __future__ import annotations

import re
import typing as t
from dataclasses import dataclass
from dataclasses import field

from .revisions import describe_revision
from .revisions import same_revision

# Our own rollbacks carry this description, so a re-run recognises them and changes nothing.
ROLLBACK_MARKER = "rollout.codedeploy rollback of"
_ROLLBACK_DESCRIPTION = re.compile(re.escape(ROLLBACK_MARKER) + r" (?P<from_id>d-[A-Za-z0-9]+)")


@dataclass
class Plan:
    """action is one of: none, create, attach, wait_for_other, stop_other, fail, stop, continue."""

    action: str
    reason: str
    deployment: dict[str, t.Any] | None = None  # the deployment acted on or attached to
    revision: dict[str, t.Any] | None = None  # the revision a new deployment installs
    extra: dict[str, t.Any] = field(default_factory=dict)


def _time(value: t.Any) -> float:
    """createTime as comparable seconds; botocore gives datetimes, tests may give numbers."""
    if value is None:
        return 0.0
    if hasattr(value, "timestamp"):
        return value.timestamp()
    return float(value)


def group_runs(wanted: dict[str, t.Any], group: dict[str, t.Any], last_success: dict[str, t.Any] | None) -> bool:
    """Whether the group runs the wanted revision.

    The group's last successful deployment must have installed it, and no later attempt may have failed or been
    stopped: such an attempt can leave instances half way to another revision, so deploying again is the safe answer.
    """
    if not last_success or not same_revision(wanted, last_success.get("revision")):
        return False
    attempt = group.get("lastAttemptedDeployment") or {}
    if not attempt or attempt.get("deploymentId") == last_success.get("deploymentId"):
        return True
    if attempt.get("status") == "Succeeded":
        # A later success (an Auto Scaling launch, say) installs the last successful revision too.
        return True
    return _time(attempt.get("createTime")) <= _time(last_success.get("createTime"))


def plan_present(
    wanted: dict[str, t.Any],
    group: dict[str, t.Any],
    active: list[dict[str, t.Any]],
    last_success: dict[str, t.Any] | None,
    force: bool,
    when_busy: str,
) -> Plan:
    """Decide how to make wanted the revision the group runs.

    active: the group's deployments not yet finished (at most one in AWS), newest first.
    """
    name = describe_revision(wanted)
    in_flight = active[0] if active else None
    if in_flight is not None:
        if same_revision(wanted, in_flight.get("revision")):
            return Plan("attach", f"deployment {in_flight['deploymentId']} of {name} is in flight", in_flight, wanted)
        other = f"deployment {in_flight['deploymentId']} of {describe_revision(in_flight.get('revision'))} is in flight"
        if when_busy == "fail":
            return Plan(
                "fail",
                f"{other} ({in_flight.get('status')}); wait for it, stop it, or set when_busy to wait or stop",
                in_flight,
                wanted,
            )
        action = "stop_other" if when_busy == "stop" else "wait_for_other"
        return Plan(action, other, in_flight, wanted)
    if not force and group_runs(wanted, group, last_success):
        return Plan("none", f"the group already runs {name} (deployment {last_success['deploymentId']})", last_success)
    reason = f"force: deploy {name} again" if force and group_runs(wanted, group, last_success) else f"deploy {name}"
    return Plan("create", reason, None, wanted)


def is_rollback(deployment: dict[str, t.Any]) -> bool:
    return deployment.get("creator") == "codeDeployRollback" or bool(
        _ROLLBACK_DESCRIPTION.match(deployment.get("description") or "")
    )


def rolled_back_from(deployment: dict[str, t.Any]) -> str | None:
    """The id of the deployment a rollback deployment undid."""
    triggering = (deployment.get("rollbackInfo") or {}).get("rollbackTriggeringDeploymentId")
    if triggering:
        return triggering
    match = _ROLLBACK_DESCRIPTION.match(deployment.get("description") or "")
    return match.group("from_id") if match else None


def rollback_description(current: dict[str, t.Any], target: dict[str, t.Any], description: str | None) -> str:
    text = f"{ROLLBACK_MARKER} {current['deploymentId']} to the revision of {target['deploymentId']}"
    return f"{text}: {description}" if description else text


def plan_rolled_back(
    current: dict[str, t.Any] | None,
    triggering: dict[str, t.Any] | None,
    succeeded: list[dict[str, t.Any]],
) -> Plan:
    """Decide how to go back to the group's previous good revision.

    current: the group's last attempted deployment (finished). triggering: when current is a rollback, the
    deployment it undid (else None). succeeded: the group's successful deployments.
    The previous good revision is the newest successful deployment created before the current one whose revision
    differs from the current one's. A rollback that succeeded already put it in place, so nothing is done then;
    a rollback that failed is computed again from the deployment it undid, so a re-run retries it.
    """
    if current is None:
        return Plan("fail", "the group has no deployments: there is nothing to roll back to")
    if is_rollback(current):
        if current.get("status") == "Succeeded":
            return Plan(
                "none",
                f"the group already runs {describe_revision(current.get('revision'))}, "
                f"rolled back by {current['deploymentId']}",
                current,
            )
        if triggering is not None:
            current = triggering
    candidates = sorted(
        (
            deployment
            for deployment in succeeded
            if _time(deployment.get("createTime")) < _time(current.get("createTime"))
            and not same_revision(deployment.get("revision"), current.get("revision"))
        ),
        key=lambda deployment: _time(deployment.get("createTime")),
        reverse=True,
    )
    if not candidates:
        return Plan(
            "fail",
            f"no successful deployment before {current['deploymentId']} installed another revision than "
            f"{describe_revision(current.get('revision'))}: there is nothing to roll back to",
            current,
        )
    target = candidates[0]
    return Plan(
        "create",
        f"roll back from {current['deploymentId']} ({describe_revision(current.get('revision'))}) to "
        f"{describe_revision(target.get('revision'))} of {target['deploymentId']}",
        current,
        target.get("revision"),
        {"rollback_target": target},
    )


def plan_stopped(deployment: dict[str, t.Any] | None) -> Plan:
    if deployment is None or deployment.get("status") not in ("Created", "Queued", "InProgress", "Baking", "Ready"):
        status = f" ({deployment['deploymentId']} is {deployment.get('status')})" if deployment else ""
        return Plan("none", f"no deployment in flight to stop{status}", deployment)
    return Plan("stop", f"stop {deployment['deploymentId']} ({deployment.get('status')})", deployment)


def plan_continued(deployment: dict[str, t.Any] | None) -> Plan:
    """A blue/green deployment waits either in Ready (for traffic) or, after traffic moved, to terminate blue."""
    if deployment is None:
        return Plan("none", "no deployment in flight to continue")
    status = deployment.get("status")
    if status == "Ready":
        return Plan("continue", f"reroute traffic for {deployment['deploymentId']}", deployment, extra={"wait_type": "READY_WAIT"})
    if status in ("InProgress", "Baking") and deployment.get("instanceTerminationWaitTimeStarted"):
        return Plan(
            "continue",
            f"end the wait before the original instances of {deployment['deploymentId']} are terminated",
            deployment,
            extra={"wait_type": "TERMINATION_WAIT"},
        )
    return Plan("none", f"{deployment['deploymentId']} is {status}, not waiting to be continued", deployment)
