# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This package is private to rollout.codedeploy: import from module_utils/codedeploy.py instead.

"""One codedeploy_deployment task: gather, plan, act, follow and report.

A run is a loop over phases; each phase takes a frozen Step and returns the next one:

- DECIDE reads the group, or the deployment the options name (gather), and asks deployment_planning (plan); in
  check mode a group that does not exist yet (an earlier task of the run would create it) is a warning;
- ACT does what the plan says: creates, stops or continues a deployment, attaches to one, waits for another, or
  reports that nothing needs doing (in check mode, what it would do). Before it creates a deployment it reads the
  revision's S3 object and the instances the group selects, and fails when planning finds a problem (in check mode
  it warns);
- STARTED: the task created, attached to, stopped or continued a deployment: follow it, or report it now;
- FOLLOW polls the followed deployment until it ends, the hand-off's window passed or the time is up; a deployment
  the task waited for sends it back to DECIDE;
- ENDED: the task's deployment ended: report it, or look for its automatic rollback, then follow it or conclude;
- ROLLED_BACK: that rollback ended: conclude;
- DONE holds the result.

The phases read and act through the API wrappers; every decision is a pure function of deployment_planning.py.
Following can be handed over: with a window in the Handoff (what the action plugin passes), FOLLOW returns as soon as
the progress changed, with the lines to show and the Handoff to continue from, and the next run starts at FOLLOW
where this one stopped. Without a window, a run follows to the end. Both paths are the same code.
"""

from __future__ import annotations

import time
import typing as t
from dataclasses import dataclass
from dataclasses import replace
from enum import Enum

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from . import deployments as api
from .common import ACCESS_DENIED_ERROR_CODES
from .common import AnsibleCodeDeployError
from .deployment_groups import get_deployment_group
from .deployment_handoff import Handoff  # the face re-exports it as DeploymentHandoff
from .deployment_handoff import Purpose
from .deployment_planning import Plan
from .deployment_planning import Selection
from .deployment_planning import Selectors
from .deployment_planning import expects_rollback
from .deployment_planning import follows_until_ready
from .deployment_planning import missing_group_problem
from .deployment_planning import plan_after_failure
from .deployment_planning import plan_conclusion
from .deployment_planning import plan_continued
from .deployment_planning import plan_ended
from .deployment_planning import plan_present
from .deployment_planning import plan_restart
from .deployment_planning import plan_rolled_back
from .deployment_planning import plan_stopped
from .deployment_planning import plan_without_group
from .deployment_planning import preflight_failure
from .deployment_planning import preflight_problems
from .deployment_planning import rolled_back_from
from .deployment_planning import targets_to_report
from .following import ROLLBACK_APPEARS_WITHIN
from .following import EndpointUnreachable
from .following import OutageRetry
from .following import Snapshot
from .following import blue_green_outcome
from .following import deployment_to_ansible
from .following import expected_duration
from .following import failed_events
from .following import follow
from .following import take_snapshot
from .on_premises import list_instance_names
from .revisions import describe_revision
from .revisions import head_s3_object
from .revisions import revision_from_params
from .transformations import tag_filters_to_boto3

if t.TYPE_CHECKING:
    from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper


class DeploymentTaskFailed(Exception):
    """The task fails; result holds what is known (deployment id, status, failures) for the playbook."""

    def __init__(self, message: str, result: dict[str, t.Any]) -> None:
        super().__init__(message)
        self.message = message
        self.result = result


# The codes AWS answers a call the caller may not make with (S3's HeadObject answers a bare 403).


class Phase(Enum):
    DECIDE = "decide"
    ACT = "act"
    STARTED = "started"
    FOLLOW = "follow"
    ENDED = "ended"
    ROLLED_BACK = "rolled_back"
    DONE = "done"


@dataclass(frozen=True)
class Task:
    """What a run is given; nothing here changes while it runs."""

    client: RetryingBotoClientWrapper
    params: dict[str, t.Any]
    check_mode: bool
    # The clients of the other services the pre-flight reads ("s3", "ec2", "autoscaling"), made when first needed.
    clients: t.Callable[[str], RetryingBotoClientWrapper]
    warn: t.Callable[[str], None]
    clock: t.Callable[[], float]
    sleep: t.Callable[[float], None]
    outages: OutageRetry
    on_line: t.Callable[[str], None] | None  # told each progress line as soon as it is seen

    @property
    def application(self) -> str:
        return self.params["application_name"]

    @property
    def group_name(self) -> str:
        return self.params["deployment_group_name"]


@dataclass(frozen=True)
class Step:
    """Where a run stands: the phase to run next, the hand-off so far (the plan summary and changed included), the
    progress lines this run has seen, and what the phase before left for this one."""

    phase: Phase
    handoff: Handoff
    lines: tuple[str, ...] = ()
    plan: Plan | None = None  # ACT: what to do
    group: dict[str, t.Any] | None = None  # ACT: the group the plan was made for (the pre-flight reads its selectors)
    note: str = ""  # STARTED: what the task did to the deployment, e.g. "created d-X"
    deployment: dict[str, t.Any] | None = None  # ENDED, ROLLED_BACK: the followed deployment as it ended
    result: dict[str, t.Any] | None = None  # DONE: the task's result

    @property
    def deployment_id(self) -> str | None:
        """The deployment this task created, attached to, acted on or waits for, once there is one."""
        return self.handoff.plan.get("deployment_id")

    def to(self, phase: Phase, **payload: t.Any) -> Step:
        """The next step: phase, with this step's hand-off and lines and the payload given."""
        return Step(phase, self.handoff, self.lines, **payload)

    def with_handoff(self, **changes: t.Any) -> Step:
        return replace(self, handoff=replace(self.handoff, **changes))

    def result_with(self, **values: t.Any) -> dict[str, t.Any]:
        known = {"deployment_id": self.deployment_id} if self.deployment_id else {}
        return {
            "changed": self.handoff.changed,
            "plan": self.handoff.plan,
            "progress": list(self.lines),
            **known,
            **values,
        }

    def done(self, **values: t.Any) -> Step:
        return self.to(Phase.DONE, result=self.result_with(**values))


def run(
    client: RetryingBotoClientWrapper,
    params: dict[str, t.Any],
    *,
    check_mode: bool,
    clients: t.Callable[[str], RetryingBotoClientWrapper],
    warn: t.Callable[[str], None] = lambda _message: None,
    handoff: Handoff | None = None,
    on_line: t.Callable[[str], None] | None = None,
    clock: t.Callable[[], float] = time.time,
    sleep: t.Callable[[float], None] = time.sleep,
    outages: OutageRetry | None = None,
) -> dict[str, t.Any]:
    """Carry out the task the options describe; raises DeploymentTaskFailed when the task must fail.

    client: CodeDeploy's. clients: the client of another service by name ("s3", "ec2", "autoscaling"), for the
    pre-flight. warn is told what the task warns of (in check mode, the pre-flight's problems). handoff: where the
    task's previous run stopped (the action plugin passes it back); a run that follows a deployment carries on
    following it. on_line is told each progress line as soon as it is seen. outages: how long to ride out an endpoint
    that stops answering while following (OutageRetry's defaults when None).
    An AWS error raised once a deployment is known carries its id (in kwargs, which reach fail_json), so a failed
    task always says which deployment to attach to again.
    """
    task = Task(client, params, check_mode, clients, warn, clock, sleep, outages or OutageRetry(), on_line)
    handoff = handoff or Handoff()
    step = Step(Phase.FOLLOW if handoff.following else Phase.DECIDE, handoff)
    try:
        while step.phase is not Phase.DONE:
            step = _PHASES[step.phase](task, step)
    except AnsibleAWSError as e:
        if step.deployment_id:
            e.kwargs.setdefault("deployment_id", step.deployment_id)
        raise
    return step.result or {}


def create_request(
    params: dict[str, t.Any], revision: dict[str, t.Any] | None, description: str | None
) -> dict[str, t.Any]:
    """CreateDeployment parameters from the module options; unset options are left to the group. A RESTART
    deployment has no revision (CodeDeploy takes the group's last successful one)."""
    request: dict[str, t.Any] = {
        "applicationName": params["application_name"],
        "deploymentGroupName": params["deployment_group_name"],
    }
    if params.get("deployment_mode") != "RESTART":
        request["revision"] = revision
    optional = {
        "deploymentConfigName": params.get("deployment_config_name"),
        "description": description,
        "fileExistsBehavior": params.get("file_exists_behavior"),
        "ignoreApplicationStopFailures": params.get("ignore_application_stop_failures"),
        "updateOutdatedInstancesOnly": params.get("update_outdated_instances_only"),
        "deploymentMode": params.get("deployment_mode"),
    }
    request.update({name: value for name, value in optional.items() if value is not None})
    auto_rollback = params.get("auto_rollback_configuration")
    if auto_rollback:
        request["autoRollbackConfiguration"] = {
            "enabled": auto_rollback["enabled"],
            "events": list(auto_rollback.get("events") or []),
        }
    alarms = params.get("override_alarm_configuration")
    if alarms:
        override: dict[str, t.Any] = {"enabled": alarms["enabled"]}
        if alarms.get("ignore_poll_alarm_failure") is not None:
            override["ignorePollAlarmFailure"] = alarms["ignore_poll_alarm_failure"]
        if alarms.get("alarms") is not None:
            override["alarms"] = [{"name": alarm["name"]} for alarm in alarms["alarms"]]
        request["overrideAlarmConfiguration"] = override
    ec2_options = params.get("ec2_deployment_options")
    if ec2_options and ec2_options.get("auto_scaling_group_processes_to_suspend") is not None:
        processes = list(ec2_options["auto_scaling_group_processes_to_suspend"])
        request["ec2DeploymentOptions"] = {"autoScalingGroupProcessesToSuspend": processes}
    target_instances = params.get("target_instances")
    if target_instances:
        request["targetInstances"] = target_instances_to_boto3(target_instances)
    return request


def target_instances_to_boto3(target_instances: dict[str, t.Any]) -> dict[str, t.Any]:
    """target_instances (ec2_tag_set as codedeploy_deployment_group takes it, {ec2_tag_set_list: [[...]]}) as
    CreateDeployment's targetInstances."""
    result: dict[str, t.Any] = {}
    if target_instances.get("tag_filters"):
        result["tagFilters"] = tag_filters_to_boto3(target_instances["tag_filters"])
    if target_instances.get("auto_scaling_groups"):
        result["autoScalingGroups"] = list(target_instances["auto_scaling_groups"])
    tag_set_list = (target_instances.get("ec2_tag_set") or {}).get("ec2_tag_set_list")
    if tag_set_list:
        result["ec2TagSet"] = {"ec2TagSetList": [tag_filters_to_boto3(group) for group in tag_set_list]}
    return result


def _plan_summary(plan: Plan) -> dict[str, t.Any]:
    summary: dict[str, t.Any] = {"action": plan.action, "reason": plan.reason}
    if plan.revision:
        summary["revision"] = describe_revision(plan.revision)
    if plan.deployment:
        summary["deployment_id"] = plan.deployment.get("deploymentId")
    return summary


# ---- gather: what the decisions are made from ----------------------------------------------------


def _group(task: Task) -> dict[str, t.Any] | None:
    """The group; None in check mode when it does not exist (warned of: an earlier task may create it)."""
    group = get_deployment_group(task.client, task.application, task.group_name)
    if group is None:
        problem = missing_group_problem(task.application, task.group_name, task.check_mode)
        if not task.check_mode:
            raise AnsibleCodeDeployError(message=problem)
        task.warn(problem)
    return group


def _active(task: Task) -> list[dict[str, t.Any]]:
    ids = api.list_deployment_ids(task.client, task.application, task.group_name, api.ACTIVE_STATUSES)
    return api.get_deployments(task.client, ids) if ids else []


def _deployment(task: Task, deployment_id: str | None) -> dict[str, t.Any] | None:
    return api.get_deployment(task.client, deployment_id) if deployment_id else None


def _wanted_revision(task: Task) -> dict[str, t.Any]:
    wanted = revision_from_params(task.params)
    if wanted is None:
        raise AnsibleCodeDeployError(
            message=(
                "revision: state=present needs the revision to deploy: give revision (the revision role's output), "
                "s3_bucket, s3_key and s3_bundle_type, or github_repository and github_commit_id."
            )
        )
    return wanted


def _rollback_history(
    task: Task, group: dict[str, t.Any]
) -> tuple[dict[str, t.Any] | None, dict[str, t.Any] | None, list[dict[str, t.Any]]]:
    """The group's last attempted deployment, the one it rolled back (when it is a rollback that did not succeed),
    and the group's successful deployments: what plan_rolled_back decides from."""
    current = _deployment(task, (group.get("lastAttemptedDeployment") or {}).get("deploymentId"))
    triggering = (
        _deployment(task, rolled_back_from(current)) if current and current.get("status") != "Succeeded" else None
    )
    succeeded_ids = api.list_deployment_ids(task.client, task.application, task.group_name, ["Succeeded"])
    succeeded = api.get_deployments(task.client, succeeded_ids) if succeeded_ids else []
    return current, triggering, succeeded


def _target_deployment(task: Task) -> dict[str, t.Any] | None:
    """The deployment state=stopped and state=continued act on: the one named, else the group's in flight."""
    if task.params.get("deployment_id"):
        deployment = api.get_deployment(task.client, task.params["deployment_id"])
        if deployment is None:
            raise AnsibleCodeDeployError(
                message=f"deployment_id: deployment {task.params['deployment_id']} does not exist"
            )
        return deployment
    if _group(task) is None:  # check mode: nothing is in flight in a group that does not exist yet
        return None
    active = _active(task)
    return active[0] if active else None


def _denied(error: AnsibleAWSError) -> bool:
    response = getattr(error.exception, "response", None) or {}
    return (response.get("Error") or {}).get("Code") in ACCESS_DENIED_ERROR_CODES


def _s3_head(task: Task, location: dict[str, t.Any]) -> tuple[bool, dict[str, t.Any] | None]:
    """Whether the revision's S3 object could be read, and what HeadObject answered (None: no such object)."""
    try:
        return True, head_s3_object(task.clients("s3"), location["bucket"], location["key"], location.get("version"))
    except AnsibleAWSError as e:
        if not _denied(e):
            raise
        task.warn(
            f"could not check that s3://{location['bucket']}/{location['key']} exists before deploying it "
            "(s3:GetObject was denied); the deployment goes ahead"
        )
        return False, None


def _instance_count(task: Task, selectors: Selectors) -> int | None:
    """How many instances the selectors pick now; None when the caller may not read them (warned of)."""
    try:
        selected = set()
        if selectors.ec2_tag_filters or selectors.ec2_tag_set or selectors.auto_scaling_groups:
            selected = api.selected_instance_ids(
                task.clients("ec2"),
                task.clients("autoscaling"),
                selectors.ec2_tag_filters,
                selectors.ec2_tag_set,
                selectors.auto_scaling_groups,
            )
        selected |= _on_premises_names(task, selectors)
    except AnsibleAWSError as e:
        if not _denied(e):
            raise
        task.warn(
            f"could not count the instances {selectors.owner} selects ({e.message}): grant ec2:DescribeInstances, "
            "autoscaling:DescribeAutoScalingGroups and codedeploy:ListOnPremisesInstances to check them first"
        )
        return None
    return len(selected)


def _on_premises_names(task: Task, selectors: Selectors) -> set[str]:
    """The registered on-premises instances the selectors pick: any filter of a list, a filter of every set."""

    def matching(filters: list[dict[str, t.Any]]) -> set[str]:
        names: set[str] = set()
        for tag_filter in filters:
            # list_instance_names takes the module's shape of a filter ({key, value, type}).
            wanted = {"key": tag_filter.get("Key"), "value": tag_filter.get("Value"), "type": tag_filter.get("Type")}
            names |= set(list_instance_names(task.client, "Registered", [wanted]))
        return names

    selected = matching(selectors.on_premises_tag_filters)
    if selectors.on_premises_tag_set:
        selected |= set.intersection(*(matching(filters) for filters in selectors.on_premises_tag_set))
    return selected


def _selections(task: Task, group: dict[str, t.Any]) -> list[Selection]:
    """The group's selectors and the target_instances given, each with how many instances it picks now."""
    all_selectors = [Selectors.of_group(group)]
    if task.params.get("target_instances"):
        all_selectors.append(Selectors.of_target_instances(target_instances_to_boto3(task.params["target_instances"])))
    return [Selection(selectors, _instance_count(task, selectors)) for selectors in all_selectors]


def _find_rollback(task: Task, deployment: dict[str, t.Any]) -> str | None:
    """The automatic rollback's id; CodeDeploy may record it a moment after the failure, so look a little while."""
    give_up = task.clock() + ROLLBACK_APPEARS_WITHIN
    while True:
        info = deployment.get("rollbackInfo") or {}
        expected = expects_rollback(deployment, task.params["state"], task.params.get("rollback_on_stop"))
        if info.get("rollbackDeploymentId") or info.get("rollbackMessage") or not expected:
            return info.get("rollbackDeploymentId")
        if task.clock() >= give_up:
            return None
        task.sleep(1.0)
        deployment = api.get_deployment(task.client, deployment["deploymentId"]) or deployment


def _has_targets(deployment: dict[str, t.Any]) -> bool:
    # Listing the targets of a deployment that has not started is an error (DeploymentNotStartedException).
    return bool(deployment.get("deploymentId")) and deployment.get("status") not in ("Created", "Queued")


def _failures(task: Task, deployment: dict[str, t.Any]) -> list[dict[str, t.Any]]:
    overview = deployment.get("deploymentOverview") or {}
    if not overview.get("Failed"):
        return []
    failed_ids = api.list_target_ids(task.client, deployment["deploymentId"], ["Failed"])
    return failed_events(api.get_targets(task.client, deployment["deploymentId"], failed_ids))


def _report(task: Task, step: Step, deployment: dict[str, t.Any], **values: t.Any) -> dict[str, t.Any]:
    """The result for a finished deployment: its targets with their lifecycle events (those targets_to_report
    chooses, the others counted), blue/green outcome."""
    targets = api.get_all_targets(task.client, deployment["deploymentId"]) if _has_targets(deployment) else []
    listed, omitted = targets_to_report(deployment, targets, task.params.get("return_all_targets", True))
    reported = deployment_to_ansible(deployment, listed)
    if omitted:
        reported["omitted_targets"] = omitted
    result = step.result_with(deployment=reported, **values)
    if (deployment.get("deploymentStyle") or {}).get("deploymentType") == "BLUE_GREEN":
        # The group names the replacement Auto Scaling group once the deployment moved it there.
        group = get_deployment_group(task.client, deployment["applicationName"], deployment["deploymentGroupName"])
        result["blue_green"] = blue_green_outcome(deployment, targets, group)
    return result


# ---- the phases ----------------------------------------------------------------------------------


def _decide(task: Task, step: Step) -> Step:
    """Read the group (or the deployment the options name) and plan what the task does."""
    state = task.params["state"]
    handoff = step.handoff
    group = None
    if state == "stopped":
        plan = plan_stopped(_target_deployment(task))
    elif state == "continued":
        plan = plan_continued(_target_deployment(task))
    elif state == "rolled_back":
        group = _group(task)
        if group is None:
            plan = plan_without_group(None, task.application, task.group_name)
        else:
            active = _active(task)
            current, triggering, succeeded = _rollback_history(task, group) if not active else (None, None, [])
            when_busy, description = task.params["when_busy"], task.params.get("description")
            plan = plan_rolled_back(active, current, triggering, succeeded, when_busy, description)
    else:
        restart = task.params.get("deployment_mode") == "RESTART"
        wanted = None if restart else _wanted_revision(task)
        group = _group(task)
        if group is None:
            plan = plan_without_group(wanted, task.application, task.group_name)
        else:
            active = _active(task)
            if not handoff.plan:
                # The task's first decision (no deployment waited for yet): its deployment is expected to take as
                # long as the group's last good one, the follow's schedule.
                handoff = replace(handoff, expected_duration=expected_duration(group.get("lastSuccessfulDeployment")))
            last_success = _deployment(task, (group.get("lastSuccessfulDeployment") or {}).get("deploymentId"))
            if restart:
                plan = plan_restart(active, last_success, task.params["when_busy"])
            else:
                wanted = t.cast("dict[str, t.Any]", wanted)
                force, when_busy = task.params["force"], task.params["when_busy"]
                plan = plan_present(wanted, group, active, last_success, force, when_busy)
    return Step(Phase.ACT, replace(handoff, plan=_plan_summary(plan)), step.lines, plan=plan, group=group)


def _act(task: Task, step: Step) -> Step:
    if task.params["state"] in ("stopped", "continued"):
        return _act_on_deployment(task, step)
    return _act_on_revision(task, step)


def _act_on_revision(task: Task, step: Step) -> Step:
    """state=present and state=rolled_back: the group runs a revision, a new deployment puts it there."""
    plan = t.cast(Plan, step.plan)
    if plan.action == "fail":
        raise DeploymentTaskFailed(plan.reason, step.result_with(deployment=deployment_to_ansible(plan.deployment)))
    if plan.action == "none":
        if not plan.deployment:  # check mode, no group yet: nothing to report
            return step.done(msg=plan.reason)
        return step.to(Phase.DONE, result=_report(task, step, plan.deployment, msg=plan.reason))
    if plan.action == "create":
        return _create(task, step, plan)
    step = step.with_handoff(changed=True)
    if plan.action in ("wait_for_other", "stop_other"):
        other = t.cast("dict[str, t.Any]", plan.deployment)
        if task.check_mode:
            first = "wait for" if plan.action == "wait_for_other" else "stop"
            message = f"{plan.reason}: would {first} it, then deploy"
            return step.done(deployment=deployment_to_ansible(other), msg=message)
        if plan.action == "stop_other":
            api.stop_deployment(task.client, other["deploymentId"], False)
        return _start_following(task, step, other["deploymentId"], Purpose.OTHER)
    return step.to(Phase.STARTED, note=f"attached to {step.deployment_id}")


def _create(task: Task, step: Step, plan: Plan) -> Step:
    """Check what must hold first (pre-flight), then create the deployment; in check mode say what would happen."""
    if plan.extra.get("group_missing"):
        step = step.with_handoff(plan={**step.handoff.plan, "target_count": None}, changed=True)
        return step.done(
            msg=f"would {plan.reason} to the targets of {task.application}/{task.group_name}, which does not exist yet"
        )
    group = t.cast("dict[str, t.Any]", step.group)
    selections = _selections(task, group)
    location = (plan.revision or {}).get("s3Location") if not plan.extra.get("restart") else None
    checked, head = _s3_head(task, location) if location else (False, None)
    problems = preflight_problems(location if checked else None, head, selections)
    if task.check_mode:
        for problem in problems:
            task.warn(f"{problem} (check mode: an earlier task may make it right; a real run fails here)")
        count = selections[-1].count  # target_instances when given, else the group's
        reach = f"{count} targets" if count is not None else "the group's targets"
        summary = {**step.handoff.plan, "target_count": count, **({"problems": problems} if problems else {})}
        step = step.with_handoff(plan=summary, changed=True)
        return step.done(msg=f"would {plan.reason} to {reach} of {task.application}/{task.group_name}")
    if problems:
        raise DeploymentTaskFailed(
            preflight_failure(problems), step.result_with(plan={**step.handoff.plan, "problems": problems})
        )
    step = step.with_handoff(changed=True)
    description = plan.extra.get("description", task.params.get("description"))
    deployment_id = api.create_deployment(task.client, create_request(task.params, plan.revision, description))
    step = step.with_handoff(plan={**step.handoff.plan, "deployment_id": deployment_id})
    return step.to(Phase.STARTED, note=f"created {deployment_id}")


def _act_on_deployment(task: Task, step: Step) -> Step:
    """state=stopped and state=continued: stop or continue the deployment in flight."""
    plan = t.cast(Plan, step.plan)
    if plan.action == "none":
        return step.done(deployment=deployment_to_ansible(plan.deployment), msg=plan.reason)
    step = step.with_handoff(changed=True)
    deployment = t.cast("dict[str, t.Any]", plan.deployment)
    if task.check_mode:
        return step.done(deployment=deployment_to_ansible(deployment), msg=f"would {plan.reason}")
    if plan.action == "stop":
        response = api.stop_deployment(task.client, deployment["deploymentId"], task.params.get("rollback_on_stop"))
        step = step.with_handoff(plan={**step.handoff.plan, "stop_status": response.get("status")})
        return step.to(Phase.STARTED, note=f"stopping {deployment['deploymentId']}")
    api.continue_deployment(task.client, deployment["deploymentId"], plan.extra["wait_type"])
    return step.to(Phase.STARTED, note=plan.reason)


def _started(task: Task, step: Step) -> Step:
    """The task created, attached to, stopped or continued a deployment: follow it, or report it now."""
    deployment_id = t.cast(str, step.deployment_id)
    if not task.params["wait"] or task.check_mode:
        deployment = api.get_deployment(task.client, deployment_id) or {"deploymentId": deployment_id}
        note = "check mode" if task.check_mode else "not waiting (wait=false)"
        return step.done(deployment=deployment_to_ansible(deployment), msg=f"{step.note}; {note}")
    return _start_following(task, step, deployment_id, Purpose.OURS)


def _start_following(task: Task, step: Step, deployment_id: str, purpose: Purpose) -> Step:
    return Step(Phase.FOLLOW, step.handoff.follow(deployment_id, purpose, task.clock()), step.lines)


# What the task does once a followed deployment ended, by why it was followed.
_AFTER_FOLLOWING = {Purpose.OTHER: Phase.DECIDE, Purpose.OURS: Phase.ENDED, Purpose.ROLLBACK: Phase.ROLLED_BACK}


def _follow(task: Task, step: Step) -> Step:
    """Poll the followed deployment until it ends (or, ours, waits in Ready), the window passed or time is up."""
    handoff = step.handoff
    deployment_id = t.cast(str, handoff.deployment_id)
    purpose = handoff.purpose or Purpose.OURS
    if handoff.deadline is None:
        handoff = replace(handoff, deadline=task.clock() + task.params["wait_timeout"])
    last: list[Snapshot] = []

    def take() -> Snapshot:
        snapshot = take_snapshot(task.client, deployment_id, last[-1] if last else None)
        last[:] = [snapshot]
        return snapshot

    try:
        outcome = follow(
            take,
            started=handoff.started if handoff.started is not None else task.clock(),
            deadline=t.cast(float, handoff.deadline),
            last_line=handoff.last_line,
            return_on_change_after=handoff.window,
            clock=task.clock,
            sleep=task.sleep,
            on_line=task.on_line,
            until_ready=follows_until_ready(task.params["state"], purpose),
            outages=task.outages,
            duration=handoff.expected_duration,
            last_shown=handoff.last_shown,
        )
    except EndpointUnreachable as e:
        step = replace(step, lines=step.lines + tuple(e.lines))
        known = last[-1].deployment if last else {"deploymentId": deployment_id}
        raise DeploymentTaskFailed(
            f"lost the CodeDeploy endpoint while following {deployment_id}: {e}. The deployment continues on AWS: "
            "run the task again to attach to it, or look it up with rollout.codedeploy.codedeploy_deployment_info "
            f"(deployment_id: {deployment_id})",
            step.result_with(deployment=deployment_to_ansible(known)),
        ) from e
    handoff = replace(handoff, last_line=outcome.last_state, last_shown=outcome.last_shown)
    step = replace(step, handoff=handoff, lines=step.lines + tuple(outcome.lines))
    deployment = outcome.snapshot.deployment
    if outcome.timed_out:
        raise DeploymentTaskFailed(
            f"timed out after {task.params['wait_timeout']} s waiting for {deployment_id} "
            f"({outcome.snapshot.status}); it keeps running: run the task again to attach to it, or raise wait_timeout",
            step.result_with(deployment=deployment_to_ansible(deployment)),
        )
    if not outcome.finished:
        return step.done(deployment=deployment_to_ansible(deployment), progress_handoff=handoff.to_dict())
    return Step(_AFTER_FOLLOWING[purpose], handoff.followed(), step.lines, deployment=deployment)


def _ended(task: Task, step: Step) -> Step:
    """The task's deployment ended (or waits in Ready): report it, or find its automatic rollback and follow it."""
    deployment = t.cast("dict[str, t.Any]", step.deployment)
    plan = plan_ended(deployment)
    if plan.action == "report":
        return step.to(Phase.DONE, result=_report(task, step, deployment, msg=plan.reason))
    rollback_id = _find_rollback(task, deployment)
    plan = plan_after_failure(deployment, rollback_id, task.params["follow_rollback"])
    if plan.action == "follow_rollback":
        step = step.with_handoff(failed_deployment_id=deployment["deploymentId"])
        return _start_following(task, step, plan.extra["rollback_id"], Purpose.ROLLBACK)
    return _conclude(task, step, deployment, _deployment(task, rollback_id), followed=False)


def _rolled_back(task: Task, step: Step) -> Step:
    """The automatic rollback of the task's deployment ended."""
    rollback = t.cast("dict[str, t.Any]", step.deployment)
    failed = _deployment(task, step.handoff.failed_deployment_id) or rollback
    return _conclude(task, step.with_handoff(failed_deployment_id=None), failed, rollback, followed=True)


def _conclude(
    task: Task, step: Step, deployment: dict[str, t.Any], rollback: dict[str, t.Any] | None, followed: bool
) -> Step:
    """A deployment ended Failed or Stopped: explain it, with the rollback's outcome, and fail unless asked to stop."""
    failures = _failures(task, deployment)
    plan = plan_conclusion(deployment, rollback, followed, failures, task.params["state"])
    values: dict[str, t.Any] = {"failures": failures}
    if rollback:
        values["rollback_deployment"] = deployment_to_ansible(rollback)
    result = _report(task, step, deployment, msg=plan.reason, **values)
    if plan.action == "fail":
        raise DeploymentTaskFailed(plan.reason, result)
    return step.to(Phase.DONE, result=result)


_PHASES: dict[Phase, t.Callable[[Task, Step], Step]] = {
    Phase.DECIDE: _decide,
    Phase.ACT: _act,
    Phase.STARTED: _started,
    Phase.FOLLOW: _follow,
    Phase.ENDED: _ended,
    Phase.ROLLED_BACK: _rolled_back,
}
