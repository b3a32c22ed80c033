# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This package is private to rollout.codedeploy: import from module_utils/codedeploy.py instead.

"""Following a deployment: when to poll, what a progress line says, and why a deployment failed."""

from __future__ import annotations

import functools
import time
import typing as t
from dataclasses import dataclass
from dataclasses import field

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

try:
    from botocore.exceptions import ConnectionClosedError
    from botocore.exceptions import ConnectTimeoutError
    from botocore.exceptions import EndpointConnectionError
    from botocore.exceptions import ReadTimeoutError

    CONNECTION_ERRORS: tuple[type[Exception], ...] = (
        EndpointConnectionError,
        ConnectionClosedError,
        ReadTimeoutError,
        ConnectTimeoutError,
    )
except ImportError:  # pragma: no cover - handled by AnsibleAWSModule's HAS_BOTO3
    CONNECTION_ERRORS = ()

from ansible_collections.amazon.aws.plugins.module_utils.botocore import normalize_boto3_result

from . import deployments as api
from .common import AnsibleCodeDeployError
from .revisions import describe_revision

if t.TYPE_CHECKING:
    from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

# How long to look for the automatic rollback of a failed deployment before reporting there is none.
ROLLBACK_APPEARS_WITHIN = 10.0
# A failure message stays short whatever the fleet size: failed instances are grouped by how they failed (event,
# error code, script), at most this many groups and this many instance names per group are named, quoted API texts
# are clipped, and only the first failed instance's log tail is shown. The result's failures list every instance.
FAILURE_KINDS_IN_MESSAGE = 3
NAMES_PER_FAILURE_KIND = 5
QUOTED_TEXT_LIMIT = 300
LOG_TAIL_LINES = 8
LOG_TAIL_IN_MESSAGE = 500
INSTANCES_IN_PROGRESS_LINE = 3
# While following, a progress line is shown at least this often (seconds), even when nothing changed.
HEARTBEAT = 30.0
# While following, an endpoint that stops answering (a dropped connection, a restarting proxy, a network blip) is
# polled again with backoff for up to this many seconds in all; the deployment itself runs on regardless.
UNREACHABLE_FOR_AT_MOST = 300.0

T = t.TypeVar("T")


@dataclass(frozen=True)
class PollSchedule:
    """Poll fast at first, then back off in proportion to the time already spent.

    A deployment that ends within its first 10 s is noticed within `first` seconds; after that the delay grows as
    a tenth of the elapsed time, up to `ceiling`, so a 20-minute deployment costs about 130 polls instead of 2400.
    When every target has been dispatched and the last ones are in their final event, the end is near and the
    delay drops back to `near_end`.

    When the end can be expected (the group's last successful deployment took as long), the schedule follows that
    instead: each delay is half the time left until `window` seconds before the expected end, `far` seconds at most
    (the AWS CLI's wait polls every 15 s), so a deployment that ends early is still seen soon; then a poll every
    `close` seconds until `late_by` seconds after the expected end; a deployment later than that goes back to the
    backoff.
    """

    first: float = 0.5
    ceiling: float = 10.0
    growth: float = 0.1
    near_end: float = 1.0
    far: float = 15.0
    window: float = 1.5
    close: float = 0.5
    late_by: float = 5.0

    def delay(self, elapsed: float, ending: bool = False, until_expected_end: float | None = None) -> float:
        delay = min(self.ceiling, max(self.first, elapsed * self.growth))
        if until_expected_end is not None and until_expected_end > -self.late_by:
            if until_expected_end > self.window:
                delay = min(self.far, max(self.close, (until_expected_end - self.window) / 2))
            else:
                delay = self.close
        return min(delay, self.near_end) if ending else delay


def expected_duration(last_successful: dict[str, t.Any] | None) -> float | None:
    """Seconds the group's last successful deployment took (its summary in GetDeploymentGroup), if known."""
    if not last_successful:
        return None
    seconds = _seconds_between(last_successful.get("createTime"), last_successful.get("endTime"))
    return seconds if seconds is not None and seconds > 0 else None


def expected_end(deployment: dict[str, t.Any], duration: float | None) -> float | None:
    """When (clock seconds) a deployment that takes duration seconds ends, from its createTime."""
    created = deployment.get("createTime")
    if duration is None or created is None or not hasattr(created, "timestamp"):
        return None
    return float(created.timestamp()) + duration


@dataclass(frozen=True)
class OutageRetry:
    """Retry while the endpoint is unreachable: `first` seconds, doubling up to `ceiling`, `budget` seconds in all."""

    budget: float = UNREACHABLE_FOR_AT_MOST
    first: float = 2.0
    ceiling: float = 30.0

    def delay(self, attempt: int, unreachable_for: float) -> float | None:
        """Seconds to wait before trying again after the attempt-th failure (0-based); None once the budget is spent."""
        remaining = self.budget - unreachable_for
        if remaining <= 0:
            return None
        return min(self.ceiling, self.first * 2**attempt, remaining)


class EndpointUnreachable(Exception):
    """The endpoint did not answer for the whole retry budget."""

    def __init__(self, unreachable_for: float, error: BaseException) -> None:
        super().__init__(f"the endpoint did not answer for {unreachable_for:.0f} s ({error})")
        self.unreachable_for = unreachable_for
        self.error = error
        self.lines: list[str] = []  # the progress lines seen by the follow() that gave up, for the failure result


def connection_error(error: BaseException) -> BaseException | None:
    """The botocore connection error behind error (raised as is, or wrapped by CodeDeployErrorHandler), if any."""
    for candidate in (error, getattr(error, "exception", None), error.__cause__):
        if isinstance(candidate, CONNECTION_ERRORS):
            return candidate
    return None


def through_outages(
    call: t.Callable[[], T],
    retry: OutageRetry,
    clock: t.Callable[[], float],
    sleep: t.Callable[[float], None],
    say: t.Callable[[str], None],
) -> T:
    """call(), tried again while it fails to reach the endpoint, until retry's budget is spent (EndpointUnreachable).

    Any other error is raised at once. say() is told when the endpoint stops answering and when it answers again.
    """
    unreachable_since: float | None = None
    attempt = 0
    while True:
        try:
            result = call()
        except Exception as error:  # pylint: disable=broad-exception-caught  # only connection errors are kept
            cause = connection_error(error)
            if cause is None:
                raise
            now = clock()
            unreachable_since = now if unreachable_since is None else unreachable_since
            delay = retry.delay(attempt, now - unreachable_since)
            if delay is None:
                raise EndpointUnreachable(now - unreachable_since, cause) from error
            say(
                f"endpoint unreachable ({cause}); retrying in {delay:.0f} s, "
                f"for up to {retry.budget - (now - unreachable_since):.0f} s more"
            )
            sleep(delay)
            attempt += 1
            continue
        if unreachable_since is not None:
            say(f"endpoint reachable again after {clock() - unreachable_since:.0f} s")
        return result


@dataclass
class Snapshot:
    deployment: dict[str, t.Any]
    active_targets: list[dict[str, t.Any]] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.deployment.get("status", "")

    @property
    def finished(self) -> bool:
        return self.status in api.TERMINAL_STATUSES

    @property
    def ready(self) -> bool:
        """A blue/green deployment waiting in Ready for ContinueDeployment (deploymentReadyOption STOP_DEPLOYMENT)."""
        return self.status == "Ready"


def take_snapshot(client: RetryingBotoClientWrapper, deployment_id: str, previous: Snapshot | None = None) -> Snapshot:
    """The deployment and up to 25 of its targets in progress: one call, two or three while instances are busy.

    The busy targets are listed again only when the counts changed or one of them is no longer busy; otherwise the
    ones the previous snapshot found are read directly, which saves the ListDeploymentTargets call.
    """
    deployment = api.get_deployment(client, deployment_id)
    if deployment is None:
        raise AnsibleCodeDeployError(message=f"deployment {deployment_id} does not exist")
    overview = deployment.get("deploymentOverview") or {}
    active: list[dict[str, t.Any]] = []
    if deployment.get("status") == "InProgress" and overview.get("InProgress"):
        if reusable_target_ids(previous, overview):
            target_ids = [target["targetId"] for target in previous.active_targets]  # type: ignore[union-attr]
        else:
            target_ids = api.first_target_ids(client, deployment_id, ["InProgress"])
        if target_ids:
            active = api.get_targets(client, deployment_id, target_ids)
    return Snapshot(deployment, active)


def reusable_target_ids(previous: Snapshot | None, overview: dict[str, t.Any]) -> bool:
    """Whether the targets busy at the previous poll are still the busy ones, as far as the counts tell."""
    if previous is None or not previous.active_targets:
        return False
    if (previous.deployment.get("deploymentOverview") or {}) != overview:
        return False
    return all(target.get("status") == "InProgress" for target in previous.active_targets)


def current_event(target: dict[str, t.Any]) -> str | None:
    """The lifecycle event a target is busy with (or about to start)."""
    events = target.get("lifecycleEvents") or []
    for event in events:
        if event.get("status") == "InProgress":
            return event.get("lifecycleEventName")
    for event in events:
        if event.get("status") == "Pending":
            return event.get("lifecycleEventName")
    return None


def _is_last_event(target: dict[str, t.Any]) -> bool:
    events = target.get("lifecycleEvents") or []
    return bool(events) and current_event(target) == events[-1].get("lifecycleEventName")


def nearly_done(snapshot: Snapshot) -> bool:
    """No target waits to be dispatched and every busy one is in its last lifecycle event."""
    overview = snapshot.deployment.get("deploymentOverview") or {}
    if snapshot.status != "InProgress" or overview.get("Pending"):
        return False
    return bool(snapshot.active_targets) and all(_is_last_event(target) for target in snapshot.active_targets)


def progress_line(snapshot: Snapshot) -> str:
    """e.g. 'd-X: InProgress, 2/6 succeeded, 1 failed, i-abc AfterInstall'."""
    deployment = snapshot.deployment
    overview = deployment.get("deploymentOverview") or {}
    total = sum(
        overview.get(name) or 0 for name in ("Pending", "InProgress", "Succeeded", "Failed", "Skipped", "Ready")
    )
    parts = [f"{deployment.get('deploymentId')}: {snapshot.status}"]
    if total:
        parts.append(f"{overview.get('Succeeded') or 0}/{total} succeeded")
        for name in ("Failed", "Skipped", "Ready"):
            if overview.get(name):
                parts.append(f"{overview[name]} {name.lower()}")
    busy = [
        f"{target.get('targetId')} {current_event(target)}"
        for target in snapshot.active_targets
        if current_event(target)
    ]
    parts.extend(busy[:INSTANCES_IN_PROGRESS_LINE])
    if len(busy) > INSTANCES_IN_PROGRESS_LINE:
        parts.append(f"+{len(busy) - INSTANCES_IN_PROGRESS_LINE} more in progress")
    return ", ".join(parts)


@dataclass
class FollowOutcome:
    snapshot: Snapshot
    lines: list[str]
    finished: bool
    timed_out: bool = False
    polls: int = 0
    last_state: str | None = None  # the last progress line shown, without its elapsed time
    last_shown: float | None = None  # when (clock seconds) it was shown


def elapsed_text(seconds: float) -> str:
    """e.g. '45s', '3m05s', '1h02m05s'."""
    whole = max(0, int(seconds + 0.5))  # to the nearest second
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def line_due(state: str, last_state: str | None, now: float, last_shown: float, heartbeat: float) -> bool:
    """Whether to show a progress line now: the progress changed, or none was shown for heartbeat seconds."""
    return state != last_state or now - last_shown >= heartbeat


def follow(
    take: t.Callable[[], Snapshot],
    started: float,
    deadline: float,
    last_line: str | None = None,
    return_on_change_after: float | None = None,
    schedule: PollSchedule = PollSchedule(),
    clock: t.Callable[[], float] = time.time,
    sleep: t.Callable[[float], None] = time.sleep,
    on_line: t.Callable[[str], None] | None = None,
    until_ready: bool = False,
    outages: OutageRetry = OutageRetry(),
    duration: float | None = None,
    last_shown: float | None = None,
    heartbeat: float = HEARTBEAT,
) -> FollowOutcome:
    """Poll until the deployment finishes (or, with until_ready, waits in Ready) or deadline passes (clock seconds).

    started: when following began (the backoff grows from it, and each progress line ends with the time since).
    A line is shown when the progress changed from last_line (the last one shown, without its elapsed time), and at
    least every heartbeat seconds after last_shown even when nothing changed. With return_on_change_after, return as
    soon as a line was shown and that many seconds passed since this call began, so a caller can show the lines.
    on_line is called with each new line as soon as it is seen. A poll that cannot reach the endpoint is retried as
    outages says, with a line saying so; EndpointUnreachable when the endpoint stays away. duration: how long the
    deployment is expected to take (see PollSchedule), None when nothing is known.
    """
    call_began = clock()
    lines: list[str] = []
    polls = 0
    # A run that resumes without knowing when its last line was shown counts the heartbeat from now.
    shown_at = call_began if last_shown is None else last_shown

    def say(line: str) -> None:
        lines.append(line)
        if on_line is not None:
            on_line(line)

    while True:
        try:
            snapshot = through_outages(take, outages, clock, sleep, say)
        except EndpointUnreachable as e:
            e.lines = lines
            raise
        polls += 1
        state = progress_line(snapshot)
        now = clock()
        if line_due(state, last_line, now, shown_at, heartbeat):
            say(f"{state} ({elapsed_text(now - started)})")
            last_line, shown_at = state, now
        finished = snapshot.finished or (until_ready and snapshot.ready)
        timed_out = not finished and now >= deadline
        handing_back = return_on_change_after is not None and bool(lines) and now - call_began >= return_on_change_after
        if finished or timed_out or handing_back:
            return FollowOutcome(snapshot, lines, finished, timed_out, polls, last_line, shown_at)
        ends_at = expected_end(snapshot.deployment, duration)
        delay = schedule.delay(now - started, nearly_done(snapshot), None if ends_at is None else ends_at - now)
        sleep(max(0.0, min(delay, deadline - now, shown_at + heartbeat - now)))


def _tail(log: str | None) -> str:
    lines = [line for line in (log or "").splitlines() if line.strip()]
    return "\n".join(lines[-LOG_TAIL_LINES:])


def _clip(text: str, limit: int = QUOTED_TEXT_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def failed_events(targets: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
    """For each failed target, the lifecycle event that failed and its diagnostics."""
    failures = []
    for target in targets:
        if target.get("status") != "Failed":
            continue
        failed = next((event for event in target.get("lifecycleEvents") or [] if event.get("status") == "Failed"), None)
        diagnostics = (failed or {}).get("diagnostics") or {}
        failures.append(
            {
                "target_id": target.get("targetId"),
                "lifecycle_event": (failed or {}).get("lifecycleEventName"),
                "error_code": diagnostics.get("errorCode"),
                "script_name": diagnostics.get("scriptName"),
                "message": diagnostics.get("message"),
                "log_tail": _tail(diagnostics.get("logTail")),
            }
        )
    return failures


def _failure_kinds(failures: list[dict[str, t.Any]]) -> list[list[dict[str, t.Any]]]:
    """The failures grouped by how they failed (event, error code, script), in the order first seen."""
    kinds: dict[tuple[t.Any, ...], list[dict[str, t.Any]]] = {}
    for failure in failures:
        kind = (failure.get("lifecycle_event"), failure.get("error_code"), failure.get("script_name"))
        kinds.setdefault(kind, []).append(failure)
    return list(kinds.values())


def _names(failures: list[dict[str, t.Any]]) -> str:
    names = [str(failure.get("target_id")) for failure in failures]
    shown = ", ".join(names[:NAMES_PER_FAILURE_KIND])
    return f"{shown} and {len(names) - NAMES_PER_FAILURE_KIND} more" if len(names) > NAMES_PER_FAILURE_KIND else shown


def _log_tail_text(failure: dict[str, t.Any]) -> str:
    tail = failure.get("log_tail") or ""
    if len(tail) > LOG_TAIL_IN_MESSAGE:
        tail = "..." + tail[-(LOG_TAIL_IN_MESSAGE - 3) :]
    return f"\nlog tail of {failure.get('target_id')}:\n{tail}" if tail else ""


def explain_failure(deployment: dict[str, t.Any], failures: list[dict[str, t.Any]]) -> str:
    """What went wrong, for a person, in a few lines whatever the fleet size: the deployment's error, then the failed
    instances grouped by event, error code and script (the first few by name), and the first one's log tail."""
    error = deployment.get("errorInformation") or {}
    text = f"deployment {deployment.get('deploymentId')} {deployment.get('status', '').lower()}"
    if error:
        text += f" ({error.get('code')}: {_clip(str(error.get('message')))})"
    kinds = _failure_kinds(failures)
    details = []
    for kind in kinds[:FAILURE_KINDS_IN_MESSAGE]:
        first = kind[0]
        if not first.get("lifecycle_event"):
            details.append(f"{_names(kind)} failed")
            continue
        detail = f"{_names(kind)} failed at {first['lifecycle_event']} ({first.get('error_code')})"
        if first.get("script_name"):
            detail += f" in {first['script_name']}"
        if first.get("message"):
            detail += f": {_clip(str(first['message']))}"
        if kind is kinds[0]:
            detail += _log_tail_text(first)
        details.append(detail)
    others = sum(len(kind) for kind in kinds[FAILURE_KINDS_IN_MESSAGE:])
    if others:
        details.append(f"{others} more instances failed otherwise (see failures in the result)")
    if details:
        text += ": " + "; ".join(details)
    return text


def explain_rollback(rollback: dict[str, t.Any] | None, rollback_info: dict[str, t.Any] | None, followed: bool) -> str:
    """The outcome of the automatic rollback a failed or stopped deployment started, if any."""
    if rollback is None:
        message = (rollback_info or {}).get("rollbackMessage")
        return f"no automatic rollback ({message})" if message else "no automatic rollback started"
    name = describe_revision(rollback.get("revision"))
    status = rollback.get("status")
    if status == "Succeeded":
        return f"automatic rollback {rollback['deploymentId']} succeeded: the group runs {name} again"
    if not followed or status not in api.TERMINAL_STATUSES:
        return f"automatic rollback {rollback['deploymentId']} to {name} is {status} (not followed)"
    return f"automatic rollback {rollback['deploymentId']} to {name} {status.lower()}"


def _seconds_between(start: t.Any, end: t.Any) -> float | None:
    if start is None or end is None or not hasattr(start, "timestamp") or not hasattr(end, "timestamp"):
        return None
    return round(end.timestamp() - start.timestamp(), 3)


@functools.lru_cache(maxsize=None)
def _snake_key(key: str) -> str:
    """The name camel_dict_to_snake_dict gives key, worked out once per name."""
    return next(iter(camel_dict_to_snake_dict({key: None})))


def _snake_case(value: t.Any) -> t.Any:
    """camel_dict_to_snake_dict's result, with each key name converted once: its regular expressions per key cost
    seconds on a 500-instance deployment (35,000 keys, about 20 distinct names)."""
    if isinstance(value, dict):
        return {_snake_key(key): _snake_case(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_snake_case(item) for item in value]
    return value


def target_to_ansible(target: dict[str, t.Any]) -> dict[str, t.Any]:
    """A target with each lifecycle event's duration in seconds added beside its start and end times."""
    durations = [
        _seconds_between(event.get("startTime"), event.get("endTime")) for event in target.get("lifecycleEvents") or []
    ]
    result = _snake_case(normalize_boto3_result(target))
    for event, duration in zip(result.get("lifecycle_events") or [], durations):
        event["duration"] = duration
    return result


def deployment_to_ansible(
    deployment: dict[str, t.Any] | None, targets: list[dict[str, t.Any]] | None = None
) -> dict[str, t.Any]:
    if not deployment:
        return {}
    result = camel_dict_to_snake_dict(normalize_boto3_result(deployment))
    # Overview counts keep their API names (Pending, Succeeded...): they are statuses, not keys to rename.
    if deployment.get("deploymentOverview") is not None:
        result["deployment_overview"] = dict(deployment["deploymentOverview"])
    result["revision_description"] = describe_revision(deployment.get("revision"))
    if targets is not None:
        result["targets"] = [target_to_ansible(target) for target in targets]
    return result


def blue_green_outcome(
    deployment: dict[str, t.Any], targets: list[dict[str, t.Any]], group: dict[str, t.Any] | None
) -> dict[str, t.Any] | None:
    """For a blue/green deployment: where the new fleet lives and what happened to the original instances."""
    style = deployment.get("deploymentStyle") or {}
    if style.get("deploymentType") != "BLUE_GREEN":
        return None
    config = deployment.get("blueGreenDeploymentConfiguration") or {}
    termination = config.get("terminateBlueInstancesOnDeploymentSuccess") or {}
    provisioning = (config.get("greenFleetProvisioningOption") or {}).get("action")
    green = [target.get("targetId") for target in targets if target.get("instanceLabel") == "Green"]
    blue = [target.get("targetId") for target in targets if target.get("instanceLabel") == "Blue"]
    replacement_group = None
    if provisioning == "COPY_AUTO_SCALING_GROUP":
        # CodeDeploy names the copy CodeDeploy_<group>_<deployment id> and moves the group onto it.
        expected = f"CodeDeploy_{deployment.get('deploymentGroupName')}_{deployment.get('deploymentId')}"
        names = [asg.get("name") for asg in (group or {}).get("autoScalingGroups") or []]
        replacement_group = expected if expected in names or not names else next(iter(names))
    action = termination.get("action") or "TERMINATE"
    if deployment.get("status") == "Ready":
        blue_fate = "serving until the deployment is continued (state=continued) and traffic moves to the green fleet"
    elif deployment.get("status") != "Succeeded":
        blue_fate = "kept serving: the deployment did not succeed"
    elif action == "KEEP_ALIVE":
        blue_fate = "kept running, deregistered from the load balancer and removed from the deployment group"
    else:
        blue_fate = f"terminated after {termination.get('terminationWaitTimeInMinutes', 0)} minutes"
    return {
        "green_fleet_provisioning": provisioning,
        "replacement_auto_scaling_group": replacement_group,
        "green_instance_ids": green,
        "blue_instance_ids": blue,
        "blue_instance_action": action,
        "blue_instances": blue_fate,
        "termination_wait_started": bool(deployment.get("instanceTerminationWaitTimeStarted")),
    }
