# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This package is private to rollout.codedeploy: import from module_utils/codedeploy.py instead.

"""What a codedeploy_deployment task has to do, decided from what was read (no API calls here).

deployment_runs.py reads the state (gather), asks a function here what to do (plan) and does it (act): which
deployment to create, stop, continue, attach to or wait for; where a rollback goes; what is wrong before a deployment
is created (pre-flight); whether to follow the automatic rollback of a failed deployment; whether the task succeeds
or fails once its deployment ended; and which targets its result lists.
"""

from __future__ import annotations

import re
import typing as t
from dataclasses import dataclass
from dataclasses import field

from .deployment_handoff import Purpose
from .following import explain_failure
from .following import explain_rollback
from .revisions import _strip_etag
from .revisions import describe_revision
from .revisions import same_revision

# Our own rollbacks carry this description, so a re-run recognises them and changes nothing.
ROLLBACK_MARKER = "rollout.codedeploy rollback of"
_ROLLBACK_DESCRIPTION = re.compile(re.escape(ROLLBACK_MARKER) + r" (?P<from_id>d-[A-Za-z0-9]+)")


@dataclass(frozen=True)
class Plan:
    """action is one of: none, create, attach, wait_for_other, stop_other, fail, stop, continue (what the task does;
    its result's plan shows it), or, once the task's deployment ended: report, look_for_rollback, follow_rollback,
    conclude."""

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
        return _plan_for_other(in_flight, when_busy, wanted)
    if last_success is not None and group_runs(wanted, group, last_success):
        if force:
            return Plan("create", f"force: deploy {name} again", None, wanted)
        return Plan("none", f"the group already runs {name} (deployment {last_success['deploymentId']})", last_success)
    return Plan("create", f"deploy {name}", None, wanted)


def _plan_for_other(in_flight: dict[str, t.Any], when_busy: str, wanted: dict[str, t.Any] | None = None) -> Plan:
    """Another deployment is in flight on the group: fail, stop it or wait for it, as when_busy says."""
    other = f"deployment {in_flight['deploymentId']} of {describe_revision(in_flight.get('revision'))} is in flight"
    if when_busy == "fail":
        return Plan(
            "fail",
            f"{other} ({in_flight.get('status')}); wait for it, stop it, or set when_busy to wait or stop",
            in_flight,
            wanted,
        )
    return Plan("stop_other" if when_busy == "stop" else "wait_for_other", other, in_flight, wanted)


def plan_restart(active: list[dict[str, t.Any]], last_success: dict[str, t.Any] | None, when_busy: str) -> Plan:
    """deployment_mode=RESTART: run the group's last successful revision again (CodeDeploy picks it; the request
    has no revision). Like force=true it always deploys, but a restart already in flight is attached to."""
    in_flight = active[0] if active else None
    if in_flight is not None:
        if in_flight.get("deploymentMode") == "RESTART":
            return Plan("attach", f"restart {in_flight['deploymentId']} is in flight", in_flight)
        return _plan_for_other(in_flight, when_busy)
    if last_success is None:
        return Plan(
            "fail",
            "deployment_mode: RESTART runs the group's last successful revision again, and the group has no "
            "successful deployment; deploy a revision first",
        )
    revision = last_success.get("revision")
    reason = f"restart {describe_revision(revision)} (the revision of {last_success['deploymentId']})"
    return Plan("create", reason, None, revision, {"restart": True})


def plan_without_group(wanted: dict[str, t.Any] | None, application: str, group_name: str) -> Plan:
    """Check mode, and the group does not exist: an earlier task of the same run may create it (check mode created
    nothing), so the task predicts what it would do to a new group: deploy the wanted revision (state=present), or
    nothing (state=rolled_back: a new group has nothing to roll back to)."""
    if wanted is not None:
        return Plan("create", f"deploy {describe_revision(wanted)}", None, wanted, {"group_missing": True})
    return Plan("none", f"group '{group_name}' of application '{application}' does not exist yet: nothing to roll back")


def missing_group_problem(application: str, group_name: str, check_mode: bool) -> str:
    text = f"deployment_group_name: group '{group_name}' of application '{application}' does not exist"
    if check_mode:
        return f"{text}; in check mode an earlier task may create it (rollout.codedeploy.codedeploy_deployment_group)"
    return f"{text}; create it first (rollout.codedeploy.codedeploy_deployment_group)."


# ---- pre-flight: what must hold before CreateDeployment ----------------------------------------------------------


def _filter_text(tag_filter: dict[str, t.Any]) -> str:
    key, value = tag_filter.get("Key"), tag_filter.get("Value")
    filter_type = tag_filter.get("Type") or ("KEY_AND_VALUE" if value else "KEY_ONLY")
    if filter_type == "KEY_ONLY":
        return f"{key} (any value)"
    if filter_type == "VALUE_ONLY":
        return f"any key={value}"
    return f"{key}={value}"


def _filters_text(filters: list[dict[str, t.Any]]) -> str:
    return " or ".join(_filter_text(tag_filter) for tag_filter in filters)


@dataclass(frozen=True)
class Selectors:
    """How a deployment group (or a blue/green deployment's target_instances) picks instances, in API shapes: tag
    filters match any filter; a tag set needs a match in every inner list; Auto Scaling groups give their InService
    instances (docs/codedeploy-behavior.md#applications-configurations-and-groups)."""

    owner: str  # who selects, in words: "group 'web' of application 'app'", or "target_instances"
    ec2_tag_filters: list[dict[str, t.Any]] = field(default_factory=list)
    ec2_tag_set: list[list[dict[str, t.Any]]] = field(default_factory=list)
    auto_scaling_groups: list[str] = field(default_factory=list)
    on_premises_tag_filters: list[dict[str, t.Any]] = field(default_factory=list)
    on_premises_tag_set: list[list[dict[str, t.Any]]] = field(default_factory=list)

    @classmethod
    def of_group(cls, group: dict[str, t.Any]) -> Selectors:
        return cls(
            owner=f"group '{group.get('deploymentGroupName')}' of application '{group.get('applicationName')}'",
            ec2_tag_filters=list(group.get("ec2TagFilters") or []),
            ec2_tag_set=[list(item) for item in (group.get("ec2TagSet") or {}).get("ec2TagSetList") or [] if item],
            auto_scaling_groups=[asg["name"] for asg in group.get("autoScalingGroups") or []],
            on_premises_tag_filters=list(group.get("onPremisesInstanceTagFilters") or []),
            on_premises_tag_set=[
                list(item) for item in (group.get("onPremisesTagSet") or {}).get("onPremisesTagSetList") or [] if item
            ],
        )

    @classmethod
    def of_target_instances(cls, target_instances: dict[str, t.Any]) -> Selectors:
        """From CreateDeployment's targetInstances (target_instances_to_boto3's result)."""
        return cls(
            owner="target_instances",
            ec2_tag_filters=list(target_instances.get("tagFilters") or []),
            ec2_tag_set=[list(item) for item in (target_instances.get("ec2TagSet") or {}).get("ec2TagSetList") or []],
            auto_scaling_groups=list(target_instances.get("autoScalingGroups") or []),
        )

    def describe(self) -> str:
        """e.g. 'EC2 tag filters app=web; Auto Scaling groups web-asg (InService instances)'."""
        parts = []
        if self.ec2_tag_filters:
            parts.append(f"EC2 tag filters {_filters_text(self.ec2_tag_filters)}")
        if self.ec2_tag_set:
            parts.append("EC2 tag set " + " and ".join(f"({_filters_text(item)})" for item in self.ec2_tag_set))
        if self.auto_scaling_groups:
            parts.append(f"Auto Scaling groups {', '.join(self.auto_scaling_groups)} (InService instances)")
        if self.on_premises_tag_filters:
            parts.append(f"on-premises tag filters {_filters_text(self.on_premises_tag_filters)}")
        if self.on_premises_tag_set:
            sets = " and ".join(f"({_filters_text(item)})" for item in self.on_premises_tag_set)
            parts.append(f"on-premises tag set {sets}")
        return "; ".join(parts) if parts else "no tag filters, tag sets or Auto Scaling groups"


@dataclass(frozen=True)
class Selection:
    """What a set of selectors picked when it was read: count is None when it could not be read."""

    selectors: Selectors
    count: int | None


def preflight_problems(
    s3_location: dict[str, t.Any] | None, s3_head: dict[str, t.Any] | None, selections: list[Selection]
) -> list[str]:
    """What stops a deployment before CreateDeployment: its S3 object is missing or is not the one given (s3_location
    is the revision's, None when not checked; s3_head what HeadObject answered, None when there is no such object),
    or a set of selectors picks no instance. CodeDeploy would create the deployment and fail it on every instance
    (DownloadBundle) or with NO_INSTANCES (docs/codedeploy-behavior.md#revisions)."""
    problems = []
    if s3_location is not None:
        url = f"s3://{s3_location.get('bucket')}/{s3_location.get('key')}"
        version = f" (version {s3_location['version']})" if s3_location.get("version") else ""
        wanted_etag = _strip_etag(s3_location.get("eTag"))
        if s3_head is None:
            problems.append(f"revision: {url}{version} does not exist in bucket {s3_location.get('bucket')}")
        elif wanted_etag and wanted_etag != _strip_etag(s3_head.get("ETag")):
            problems.append(
                f"revision: {url}{version} has ETag {_strip_etag(s3_head.get('ETag'))}, not the e_tag given "
                f"({wanted_etag}): the object changed since the revision was made"
            )
    for selection in selections:
        if selection.count == 0:
            problems.append(
                f"{selection.selectors.owner} selects no instance ({selection.selectors.describe()}): "
                "there is nothing to deploy to"
            )
    return problems


def preflight_failure(problems: list[str]) -> str:
    return f"{'; '.join(problems)}. No deployment was created."


def targets_to_report(
    deployment: dict[str, t.Any], targets: list[dict[str, t.Any]], return_all_targets: bool
) -> tuple[list[dict[str, t.Any]], dict[str, int]]:
    """The targets a result lists in full, and how many of the others it leaves out, by status.

    A deployment that failed or was stopped lists only its failed targets unless return_all_targets: the task's
    output stays short on a large fleet. Any other deployment lists every target."""
    if return_all_targets or deployment.get("status") not in ("Failed", "Stopped"):
        return targets, {}
    listed = [target for target in targets if target.get("status") == "Failed"]
    omitted: dict[str, int] = {}
    for target in targets:
        if target.get("status") != "Failed":
            omitted[target.get("status") or "Unknown"] = omitted.get(target.get("status") or "Unknown", 0) + 1
    return listed, omitted


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
    active: list[dict[str, t.Any]],
    current: dict[str, t.Any] | None,
    triggering: dict[str, t.Any] | None,
    succeeded: list[dict[str, t.Any]],
    when_busy: str,
    description: str | None,
) -> Plan:
    """Decide how to go back to the group's previous good revision.

    active: the group's deployments not yet finished, newest first; while one is in flight, nothing else is read
    (current, triggering and succeeded are then empty) and when_busy decides. current: the group's last attempted
    deployment (finished). triggering: when current is a rollback, the deployment it undid (else None). succeeded:
    the group's successful deployments. description: the user's, added to the rollback's own (extra["description"]).
    The previous good revision is the newest successful deployment created before the current one whose revision
    differs from the current one's. A rollback that succeeded already put it in place, so nothing is done then;
    a rollback that failed is computed again from the deployment it undid, so a re-run retries it.
    """
    if active:
        in_flight = active[0]
        reason = f"deployment {in_flight['deploymentId']} is in flight"
        if when_busy == "fail":
            return Plan(
                "fail", f"{reason} ({in_flight.get('status')}); wait for it, stop it, or set when_busy", in_flight
            )
        return Plan("stop_other" if when_busy == "stop" else "wait_for_other", reason, in_flight)
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
        {"rollback_target": target, "description": rollback_description(current, target, description)},
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
        return Plan(
            "continue",
            f"reroute traffic for {deployment['deploymentId']}",
            deployment,
            extra={"wait_type": "READY_WAIT"},
        )
    if status in ("InProgress", "Baking") and deployment.get("instanceTerminationWaitTimeStarted"):
        return Plan(
            "continue",
            f"end the wait before the original instances of {deployment['deploymentId']} are terminated",
            deployment,
            extra={"wait_type": "TERMINATION_WAIT"},
        )
    return Plan("none", f"{deployment['deploymentId']} is {status}, not waiting to be continued", deployment)


def follows_until_ready(state: str, purpose: Purpose) -> bool:
    """Whether following ends when the deployment waits in Ready: the task's new blue/green deployment parked there
    waits for a person (state=continued), so the task that created it is done."""
    return purpose is Purpose.OURS and state in ("present", "rolled_back")


def plan_ended(deployment: dict[str, t.Any]) -> Plan:
    """The task's deployment ended, or waits in Ready: report it, or look for its automatic rollback."""
    status = deployment["status"]
    revision = describe_revision(deployment.get("revision"))
    if status == "Succeeded":
        return Plan("report", f"{deployment['deploymentId']} succeeded: the group runs {revision}", deployment)
    if status == "Ready":
        return Plan(
            "report",
            f"{deployment['deploymentId']} is Ready: the green fleet runs {revision}; "
            "traffic moves when the deployment is continued (state=continued) and it stops when its ready wait runs out",
            deployment,
        )
    return Plan("look_for_rollback", f"{deployment['deploymentId']} is {status}", deployment)


def expects_rollback(deployment: dict[str, t.Any], state: str, rollback_on_stop: bool | None) -> bool:
    """Whether CodeDeploy starts an automatic rollback of this failed or stopped deployment: the rollback_on_stop of
    the task that stopped it decides, else the deployment's own rollback configuration."""
    stop_rollback = rollback_on_stop if state == "stopped" else None
    if deployment.get("status") == "Stopped" and stop_rollback is not None:
        return stop_rollback
    config = deployment.get("autoRollbackConfiguration") or {}
    events = config.get("events") or []
    wanted = "DEPLOYMENT_FAILURE" if deployment.get("status") == "Failed" else "DEPLOYMENT_STOP_ON_REQUEST"
    on_alarm = deployment.get("status") == "Stopped" and "DEPLOYMENT_STOP_ON_ALARM" in events
    return bool(config.get("enabled")) and (wanted in events or on_alarm)


def plan_after_failure(deployment: dict[str, t.Any], rollback_id: str | None, follow_rollback: bool) -> Plan:
    """The task's deployment failed or stopped: follow its automatic rollback (extra["rollback_id"]), or conclude."""
    if rollback_id and follow_rollback:
        reason = f"follow the automatic rollback {rollback_id} of {deployment['deploymentId']}"
        return Plan("follow_rollback", reason, deployment, extra={"rollback_id": rollback_id})
    return Plan("conclude", f"{deployment['deploymentId']} is {deployment.get('status')}", deployment)


def plan_conclusion(
    deployment: dict[str, t.Any],
    rollback: dict[str, t.Any] | None,
    followed: bool,
    failures: list[dict[str, t.Any]],
    state: str,
) -> Plan:
    """A deployment ended Failed or Stopped: the task fails, explaining it with the rollback's outcome, unless it was
    asked to stop the deployment (state=stopped) and the rollback it followed did not fail (action report)."""
    rollback_text = explain_rollback(rollback, deployment.get("rollbackInfo"), followed)
    if state == "stopped" and deployment["status"] == "Stopped":
        rollback_failed = rollback is not None and followed and rollback.get("status") != "Succeeded"
        message = f"{deployment['deploymentId']} stopped; {rollback_text}"
        return Plan("fail" if rollback_failed else "report", message, deployment)
    return Plan("fail", f"{explain_failure(deployment, failures)}; {rollback_text}", deployment)
