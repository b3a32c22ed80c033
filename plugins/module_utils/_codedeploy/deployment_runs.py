# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This package is private to rollout.codedeploy: import from module_utils/codedeploy.py instead.

"""One codedeploy_deployment task: plan, act, follow and report.

Following can be handed over: with a progress handoff (what the action plugin passes), a run returns as soon as
the progress changed, with the lines to show and the handoff to continue from; the next run resumes where it
stopped. Without one, a run follows to the end. Both paths are the same code.
"""

from __future__ import annotations

import time
import typing as t
from dataclasses import dataclass
from dataclasses import field

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from . import deployments as api
from .common import AnsibleCodeDeployError
from .deployment_handoff import Handoff as Handoff  # the face re-exports it as DeploymentHandoff
from .deployment_planning import Plan
from .deployment_planning import plan_continued
from .deployment_planning import plan_present
from .deployment_planning import plan_rolled_back
from .deployment_planning import plan_stopped
from .deployment_planning import rollback_description
from .deployment_planning import rolled_back_from
from .following import ROLLBACK_APPEARS_WITHIN
from .following import EndpointUnreachable
from .following import OutageRetry
from .following import Snapshot
from .following import blue_green_outcome
from .following import deployment_to_ansible
from .following import expected_duration
from .following import explain_failure
from .following import explain_rollback
from .following import failed_events
from .following import follow
from .following import take_snapshot
from .revisions import describe_revision
from .revisions import revision_from_params

if t.TYPE_CHECKING:
    from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper


class DeploymentTaskFailed(Exception):
    """The task fails; result holds what is known (deployment id, status, failures) for the playbook."""

    def __init__(self, message: str, result: dict[str, t.Any]) -> None:
        super().__init__(message)
        self.message = message
        self.result = result


@dataclass
class TaskContext:
    client: RetryingBotoClientWrapper
    params: dict[str, t.Any]
    check_mode: bool
    # Counts the instances a deployment would reach (check mode only); None when it cannot tell.
    count_targets: t.Callable[[dict[str, t.Any], dict[str, t.Any] | None], int | None]
    clock: t.Callable[[], float] = time.time
    sleep: t.Callable[[float], None] = time.sleep
    outages: OutageRetry = field(default_factory=OutageRetry)
    handoff: dict[str, t.Any] = field(default_factory=dict)
    changed: bool = False
    plan: dict[str, t.Any] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)  # progress lines seen by this run
    on_line: t.Callable[[str], None] | None = None  # told each progress line as soon as it is seen

    @property
    def application(self) -> str:
        return self.params["application_name"]

    @property
    def group_name(self) -> str:
        return self.params["deployment_group_name"]

    def deadline(self) -> float:
        if not self.handoff.get("deadline"):
            self.handoff["deadline"] = self.clock() + self.params["wait_timeout"]
        return self.handoff["deadline"]

    @property
    def deployment_id(self) -> str | None:
        """The deployment this task created, attached to, acted on or waits for, once there is one."""
        return self.plan.get("deployment_id")

    def result(self, **values: t.Any) -> dict[str, t.Any]:
        known = {"deployment_id": self.deployment_id} if self.deployment_id else {}
        return {"changed": self.changed, "plan": self.plan, "progress": self.lines, **known, **values}


def create_request(params: dict[str, t.Any], revision: dict[str, t.Any], description: str | None) -> dict[str, t.Any]:
    """CreateDeployment parameters from the module options; unset options are left to the group."""
    request: dict[str, t.Any] = {
        "applicationName": params["application_name"],
        "deploymentGroupName": params["deployment_group_name"],
        "revision": revision,
    }
    optional = {
        "deploymentConfigName": params.get("deployment_config_name"),
        "description": description,
        "fileExistsBehavior": params.get("file_exists_behavior"),
        "ignoreApplicationStopFailures": params.get("ignore_application_stop_failures"),
        "updateOutdatedInstancesOnly": params.get("update_outdated_instances_only"),
    }
    request.update({name: value for name, value in optional.items() if value is not None})
    auto_rollback = params.get("auto_rollback")
    if auto_rollback:
        request["autoRollbackConfiguration"] = {
            "enabled": auto_rollback["enabled"],
            "events": list(auto_rollback.get("events") or []),
        }
    target_instances = params.get("target_instances")
    if target_instances:
        request["targetInstances"] = target_instances_to_boto3(target_instances)
    return request


def target_instances_to_boto3(target_instances: dict[str, t.Any]) -> dict[str, t.Any]:
    def tag_filter(item: dict[str, t.Any]) -> dict[str, str]:
        converted = {"Key": item.get("key"), "Value": item.get("value"), "Type": item.get("type")}
        if not converted["Type"]:
            converted["Type"] = "KEY_AND_VALUE" if item.get("key") and item.get("value") else "KEY_ONLY" if item.get("key") else "VALUE_ONLY"
        return {name: value for name, value in converted.items() if value}

    result: dict[str, t.Any] = {}
    if target_instances.get("tag_filters"):
        result["tagFilters"] = [tag_filter(item) for item in target_instances["tag_filters"]]
    if target_instances.get("auto_scaling_groups"):
        result["autoScalingGroups"] = list(target_instances["auto_scaling_groups"])
    if target_instances.get("ec2_tag_set"):
        result["ec2TagSet"] = {"ec2TagSetList": [[tag_filter(item) for item in group] for group in target_instances["ec2_tag_set"]]}
    return result


def _plan_summary(plan: Plan) -> dict[str, t.Any]:
    summary: dict[str, t.Any] = {"action": plan.action, "reason": plan.reason}
    if plan.revision:
        summary["revision"] = describe_revision(plan.revision)
    if plan.deployment:
        summary["deployment_id"] = plan.deployment.get("deploymentId")
    return summary


def _group(ctx: TaskContext) -> dict[str, t.Any]:
    group = api.get_deployment_group(ctx.client, ctx.application, ctx.group_name)
    if group is None:
        raise AnsibleCodeDeployError(
            message=(
                f"deployment_group_name: group '{ctx.group_name}' of application '{ctx.application}' does not exist; "
                "create it first (rollout.codedeploy.codedeploy_deployment_group)."
            )
        )
    return group


def _active(ctx: TaskContext) -> list[dict[str, t.Any]]:
    ids = api.list_deployment_ids(ctx.client, ctx.application, ctx.group_name, api.ACTIVE_STATUSES)
    return api.get_deployments(ctx.client, ids) if ids else []


def _deployment(ctx: TaskContext, deployment_id: str | None) -> dict[str, t.Any] | None:
    return api.get_deployment(ctx.client, deployment_id) if deployment_id else None


def run(ctx: TaskContext) -> dict[str, t.Any]:
    """Carry out the task the options describe; raises DeploymentTaskFailed when the task must fail.

    An AWS error raised once a deployment is known carries its id (in kwargs, which reach fail_json), so a failed
    task always says which deployment to attach to again.
    """
    try:
        return _run(ctx)
    except AnsibleAWSError as e:
        if ctx.deployment_id:
            e.kwargs.setdefault("deployment_id", ctx.deployment_id)
        raise


def _run(ctx: TaskContext) -> dict[str, t.Any]:
    ctx.changed = bool(ctx.handoff.get("changed"))
    ctx.plan = ctx.handoff.get("plan") or {}
    if ctx.handoff.get("deployment_id"):
        return _follow(ctx, ctx.handoff["deployment_id"], ctx.handoff.get("purpose", "ours"))
    state = ctx.params["state"]
    if state == "present" and revision_from_params(ctx.params) is None:
        raise AnsibleCodeDeployError(
            message=(
                "revision: state=present needs the revision to deploy: give revision (the revision role's output), "
                "s3_bucket, s3_key and s3_bundle_type, or github_repository and github_commit_id."
            )
        )
    if state == "stopped":
        return ensure_stopped(ctx)
    if state == "continued":
        return ensure_continued(ctx)
    return ensure_revision(ctx)


def ensure_revision(ctx: TaskContext) -> dict[str, t.Any]:
    """state=present and state=rolled_back: the group runs a revision, a new deployment puts it there."""
    group = _group(ctx)
    active = _active(ctx)
    description = ctx.params.get("description")
    if ctx.params["state"] == "rolled_back":
        plan = _plan_rollback(ctx, group, active)
        if plan.action == "create":
            description = rollback_description(plan.deployment or {}, plan.extra["rollback_target"], description)
    else:
        wanted = revision_from_params(ctx.params)
        # The next deployment of the group is expected to take as long as its last good one: the follow's schedule.
        ctx.handoff.setdefault("expected_duration", expected_duration(group.get("lastSuccessfulDeployment")))
        last_success = _deployment(ctx, (group.get("lastSuccessfulDeployment") or {}).get("deploymentId"))
        plan = plan_present(wanted or {}, group, active, last_success, ctx.params["force"], ctx.params["when_busy"])
    ctx.plan = _plan_summary(plan)
    if plan.action == "fail":
        raise DeploymentTaskFailed(plan.reason, ctx.result(deployment=deployment_to_ansible(plan.deployment)))
    if plan.action == "none":
        return _report(ctx, plan.deployment or {}, msg=plan.reason)
    ctx.changed = True
    if plan.action in ("wait_for_other", "stop_other"):
        if ctx.check_mode:
            first = "wait for" if plan.action == "wait_for_other" else "stop"
            return ctx.result(deployment=deployment_to_ansible(plan.deployment), msg=f"{plan.reason}: would {first} it, then deploy")
        if plan.action == "stop_other":
            api.stop_deployment(ctx.client, plan.deployment["deploymentId"], False)
        return _follow(ctx, plan.deployment["deploymentId"], "other")
    if plan.action == "attach":
        return _after_start(ctx, plan.deployment["deploymentId"], f"attached to {plan.deployment['deploymentId']}")
    # create
    if ctx.check_mode:
        count = ctx.count_targets(group, ctx.params.get("target_instances"))
        ctx.plan["target_count"] = count
        reach = f"{count} targets" if count is not None else "the group's targets"
        return ctx.result(msg=f"would {plan.reason} to {reach} of {ctx.application}/{ctx.group_name}")
    deployment_id = api.create_deployment(ctx.client, create_request(ctx.params, plan.revision or {}, description))
    ctx.plan["deployment_id"] = deployment_id
    return _after_start(ctx, deployment_id, f"created {deployment_id}")


def _plan_rollback(ctx: TaskContext, group: dict[str, t.Any], active: list[dict[str, t.Any]]) -> Plan:
    if active:
        in_flight = active[0]
        reason = f"deployment {in_flight['deploymentId']} is in flight"
        if ctx.params["when_busy"] == "fail":
            return Plan("fail", f"{reason} ({in_flight.get('status')}); wait for it, stop it, or set when_busy", in_flight)
        return Plan("stop_other" if ctx.params["when_busy"] == "stop" else "wait_for_other", reason, in_flight)
    current = _deployment(ctx, (group.get("lastAttemptedDeployment") or {}).get("deploymentId"))
    triggering = _deployment(ctx, rolled_back_from(current)) if current and current.get("status") != "Succeeded" else None
    succeeded_ids = api.list_deployment_ids(ctx.client, ctx.application, ctx.group_name, ["Succeeded"])
    succeeded = api.get_deployments(ctx.client, succeeded_ids) if succeeded_ids else []
    return plan_rolled_back(current, triggering, succeeded)


def _after_start(ctx: TaskContext, deployment_id: str, what: str) -> dict[str, t.Any]:
    if not ctx.params["wait"] or ctx.check_mode:
        deployment = api.get_deployment(ctx.client, deployment_id) or {"deploymentId": deployment_id}
        note = "check mode" if ctx.check_mode else "not waiting (wait=false)"
        return ctx.result(deployment=deployment_to_ansible(deployment), msg=f"{what}; {note}")
    return _follow(ctx, deployment_id, "ours")


def ensure_stopped(ctx: TaskContext) -> dict[str, t.Any]:
    deployment = _target_deployment(ctx)
    plan = plan_stopped(deployment)
    ctx.plan = _plan_summary(plan)
    if plan.action == "none":
        return ctx.result(deployment=deployment_to_ansible(deployment), msg=plan.reason)
    ctx.changed = True
    if ctx.check_mode:
        return ctx.result(deployment=deployment_to_ansible(deployment), msg=f"would {plan.reason}")
    response = api.stop_deployment(ctx.client, deployment["deploymentId"], ctx.params.get("rollback_on_stop"))
    ctx.plan["stop_status"] = response.get("status")
    return _after_start(ctx, deployment["deploymentId"], f"stopping {deployment['deploymentId']}")


def ensure_continued(ctx: TaskContext) -> dict[str, t.Any]:
    deployment = _target_deployment(ctx)
    plan = plan_continued(deployment)
    ctx.plan = _plan_summary(plan)
    if plan.action == "none":
        return ctx.result(deployment=deployment_to_ansible(deployment), msg=plan.reason)
    ctx.changed = True
    if ctx.check_mode:
        return ctx.result(deployment=deployment_to_ansible(deployment), msg=f"would {plan.reason}")
    api.continue_deployment(ctx.client, deployment["deploymentId"], plan.extra["wait_type"])
    return _after_start(ctx, deployment["deploymentId"], plan.reason)


def _target_deployment(ctx: TaskContext) -> dict[str, t.Any] | None:
    if ctx.params.get("deployment_id"):
        deployment = api.get_deployment(ctx.client, ctx.params["deployment_id"])
        if deployment is None:
            raise AnsibleCodeDeployError(message=f"deployment_id: deployment {ctx.params['deployment_id']} does not exist")
        return deployment
    _group(ctx)
    active = _active(ctx)
    return active[0] if active else None


def _follow(ctx: TaskContext, deployment_id: str, purpose: str) -> dict[str, t.Any]:
    """Follow deployment_id; purpose says what its end means: other (ours can start), ours, rollback."""
    if ctx.handoff.get("deployment_id") != deployment_id:
        ctx.handoff.update(deployment_id=deployment_id, purpose=purpose, started=ctx.clock())
    window = ctx.handoff.get("window")
    last: list[Snapshot] = []

    def take() -> Snapshot:
        snapshot = take_snapshot(ctx.client, deployment_id, last[-1] if last else None)
        last[:] = [snapshot]
        return snapshot

    try:
        outcome = follow(
            take,
            started=ctx.handoff["started"],
            deadline=ctx.deadline(),
            last_line=ctx.handoff.get("last_line"),
            return_on_change_after=window,
            clock=ctx.clock,
            sleep=ctx.sleep,
            on_line=ctx.on_line,
            # Our new blue/green deployment parked in Ready waits for a person (state=continued): the task is done.
            until_ready=purpose == "ours" and ctx.params["state"] in ("present", "rolled_back"),
            outages=ctx.outages,
            duration=ctx.handoff.get("expected_duration"),
        )
    except EndpointUnreachable as e:
        ctx.lines.extend(e.lines)
        known = last[-1].deployment if last else {"deploymentId": deployment_id}
        raise DeploymentTaskFailed(
            f"lost the CodeDeploy endpoint while following {deployment_id}: {e}. The deployment continues on AWS: "
            "run the task again to attach to it, or look it up with rollout.codedeploy.codedeploy_deployment_info "
            f"(deployment_id: {deployment_id})",
            ctx.result(deployment=deployment_to_ansible(known)),
        ) from e
    ctx.lines.extend(outcome.lines)
    if outcome.lines:
        ctx.handoff["last_line"] = outcome.lines[-1]
    if outcome.timed_out:
        status = outcome.snapshot.status
        raise DeploymentTaskFailed(
            f"timed out after {ctx.params['wait_timeout']} s waiting for {deployment_id} ({status}); it keeps running: "
            "run the task again to attach to it, or raise wait_timeout",
            ctx.result(deployment=deployment_to_ansible(outcome.snapshot.deployment)),
        )
    if not outcome.finished:
        handoff = {**ctx.handoff, "changed": ctx.changed, "plan": ctx.plan}
        return ctx.result(deployment=deployment_to_ansible(outcome.snapshot.deployment), progress_handoff=handoff)
    for key in ("deployment_id", "purpose", "started", "last_line"):
        ctx.handoff.pop(key, None)
    if purpose == "other":
        # The deployment in the way has ended: decide again from what the group now runs.
        return ensure_revision(ctx)
    if purpose == "rollback":
        return _finish_rollback(ctx, outcome.snapshot)
    return _finish(ctx, outcome.snapshot)


def _report(ctx: TaskContext, deployment: dict[str, t.Any], **values: t.Any) -> dict[str, t.Any]:
    """The result for a finished deployment: every target with its lifecycle events, blue/green outcome."""
    targets = api.get_all_targets(ctx.client, deployment["deploymentId"]) if _started(deployment) else []
    result = ctx.result(deployment=deployment_to_ansible(deployment, targets), **values)
    if (deployment.get("deploymentStyle") or {}).get("deploymentType") == "BLUE_GREEN":
        # The group names the replacement Auto Scaling group once the deployment moved it there.
        group = api.get_deployment_group(ctx.client, deployment["applicationName"], deployment["deploymentGroupName"])
        result["blue_green"] = blue_green_outcome(deployment, targets, group)
    return result


def _started(deployment: dict[str, t.Any]) -> bool:
    # Listing the targets of a deployment that has not started is an error (DeploymentNotStartedException).
    return bool(deployment.get("deploymentId")) and deployment.get("status") not in ("Created", "Queued")


def _failures(ctx: TaskContext, deployment: dict[str, t.Any]) -> list[dict[str, t.Any]]:
    overview = deployment.get("deploymentOverview") or {}
    if not overview.get("Failed"):
        return []
    failed_ids = api.list_target_ids(ctx.client, deployment["deploymentId"], ["Failed"])
    return failed_events(api.get_targets(ctx.client, deployment["deploymentId"], failed_ids))


def _expects_rollback(deployment: dict[str, t.Any], stop_rollback: bool | None) -> bool:
    if deployment.get("status") == "Stopped" and stop_rollback is not None:
        return stop_rollback
    config = deployment.get("autoRollbackConfiguration") or {}
    events = config.get("events") or []
    wanted = "DEPLOYMENT_FAILURE" if deployment.get("status") == "Failed" else "DEPLOYMENT_STOP_ON_REQUEST"
    return bool(config.get("enabled")) and (wanted in events or (deployment.get("status") == "Stopped" and "DEPLOYMENT_STOP_ON_ALARM" in events))


def _rollback_id(ctx: TaskContext, deployment: dict[str, t.Any]) -> tuple[str | None, dict[str, t.Any]]:
    """The automatic rollback's id; CodeDeploy may record it a moment after the failure, so look a little while."""
    stop_rollback = ctx.params.get("rollback_on_stop") if ctx.params["state"] == "stopped" else None
    give_up = ctx.clock() + ROLLBACK_APPEARS_WITHIN
    while True:
        info = deployment.get("rollbackInfo") or {}
        if info.get("rollbackDeploymentId") or info.get("rollbackMessage") or not _expects_rollback(deployment, stop_rollback):
            return info.get("rollbackDeploymentId"), info
        if ctx.clock() >= give_up:
            return None, info
        ctx.sleep(1.0)
        deployment = api.get_deployment(ctx.client, deployment["deploymentId"]) or deployment


def _finish(ctx: TaskContext, snapshot: Snapshot) -> dict[str, t.Any]:
    deployment = snapshot.deployment
    if deployment["status"] == "Succeeded":
        return _report(ctx, deployment, msg=f"{deployment['deploymentId']} succeeded: the group runs {describe_revision(deployment.get('revision'))}")
    if deployment["status"] == "Ready":
        return _report(
            ctx,
            deployment,
            msg=f"{deployment['deploymentId']} is Ready: the green fleet runs {describe_revision(deployment.get('revision'))}; "
            "traffic moves when the deployment is continued (state=continued) and it stops when its ready wait runs out",
        )
    rollback_id, _info = _rollback_id(ctx, deployment)
    if rollback_id and ctx.params["follow_rollback"]:
        ctx.handoff["failed_deployment_id"] = deployment["deploymentId"]
        return _follow(ctx, rollback_id, "rollback")
    return _conclude(ctx, deployment, _deployment(ctx, rollback_id), followed=False)


def _finish_rollback(ctx: TaskContext, snapshot: Snapshot) -> dict[str, t.Any]:
    failed = _deployment(ctx, ctx.handoff.pop("failed_deployment_id", None)) or snapshot.deployment
    return _conclude(ctx, failed, snapshot.deployment, followed=True)


def _conclude(ctx: TaskContext, deployment: dict[str, t.Any], rollback: dict[str, t.Any] | None, followed: bool) -> dict[str, t.Any]:
    """A deployment ended Failed or Stopped: explain it, with the rollback's outcome, and fail unless asked to stop."""
    failures = _failures(ctx, deployment)
    rollback_text = explain_rollback(rollback, deployment.get("rollbackInfo"), followed)
    values: dict[str, t.Any] = {"failures": failures}
    if rollback:
        values["rollback_deployment"] = deployment_to_ansible(rollback)
    if ctx.params["state"] == "stopped" and deployment["status"] == "Stopped":
        rollback_failed = rollback is not None and followed and rollback.get("status") != "Succeeded"
        result = _report(ctx, deployment, msg=f"{deployment['deploymentId']} stopped; {rollback_text}", **values)
        if rollback_failed:
            raise DeploymentTaskFailed(result["msg"], result)
        return result
    message = f"{explain_failure(deployment, failures)}; {rollback_text}"
    raise DeploymentTaskFailed(message, _report(ctx, deployment, **values))
