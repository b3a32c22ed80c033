"""Blue/green deployments on EC2: provision green, deploy, reroute, retire blue.

``run(deployment_run, group)`` is called by the engine for a BLUE_GREEN deployment (its status is ``Queued``); it
must end the deployment through ``deployment_run.finish``. ``continue_run`` serves ContinueDeployment and returns
False when the run is not waiting for that kind of continuation.

The walk, as CodeDeploy's (docs/codedeploy-behavior.md#bluegreen-on-ec2): InProgress; green fleet copied
(COPY_AUTO_SCALING_GROUP) or discovered (DISCOVER_EXISTING); the green install events, batched by the deployment
configuration; with STOP_DEPLOYMENT the deployment waits in ``Ready`` (ContinueDeployment READY_WAIT, or ``Stopped``
when the wait runs out); green BeforeAllowTraffic, AllowTraffic, AfterAllowTraffic; blue BeforeBlockTraffic,
BlockTraffic, AfterBlockTraffic (green is healthy behind the load balancers before any blue instance leaves them);
the deployment group names the green Auto Scaling group; TERMINATE waits ``terminationWaitTimeInMinutes`` (still
``InProgress``, instanceTerminationWaitTimeStarted true; ContinueDeployment TERMINATION_WAIT ends it) and deletes
the original group, KEEP_ALIVE leaves blue running; then ``Succeeded``. A rollback deployment of a blue/green
deployment routes traffic back to that deployment's blue fleet.
"""

from __future__ import annotations

import logging
import time
import typing as t

from ..agent import DEPLOYMENT_ROOT
from ..agent import AgentCommand
from ..rooms import LabHost
from ..service.records import DeploymentGroup
from ..service.records import DeploymentTarget
from ..service.records import LifecycleEvent
from . import green_fleet
from . import planning
from . import triggers
from .rollback import ROLLBACK_CREATOR
from .run import ContinueWait
from .run import DeploymentRun
from .run import EventResult
from .run import EventRunner
from .run import StopCause
from .run import now
from .run import skip

LOG = logging.getLogger("codedeploy_lab.deployments")

READY_WAIT = "READY_WAIT"
TERMINATION_WAIT = "TERMINATION_WAIT"

GREEN_INSTALL_EVENTS = planning.IN_PLACE_EVENTS
ALLOW_EVENTS = ("BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic")
BLOCK_EVENTS = ("BeforeBlockTraffic", "BlockTraffic", "AfterBlockTraffic")
GREEN_EVENTS = (*GREEN_INSTALL_EVENTS, *ALLOW_EVENTS)

SUCCESS_DIAGNOSTICS = {"errorCode": "Success", "scriptName": "", "message": "Succeeded", "logTail": ""}
DEFAULT_CONFIGURATION: dict[str, t.Any] = {
    "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0},
    "greenFleetProvisioningOption": {"action": "DISCOVER_EXISTING"},
    "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 0},
}


def continue_run(deployment_run: DeploymentRun, wait_type: str) -> bool:
    # Under the service lock: a wait that runs out at this moment either sees the continuation or is gone.
    with deployment_run.lock:
        waiting = deployment_run.parked
        if waiting is None or waiting.kind != wait_type:
            return False
        if wait_type == READY_WAIT:
            # InProgress before ContinueDeployment answers, so no client sees Ready after continuing.
            deployment = deployment_run.deployment
            deployment.status = "InProgress"
            for target in deployment.targets.values():
                if target.status == "Ready":
                    target.status, target.last_updated_at = "InProgress", now()
        waiting.continued.set()
        return True


def run(deployment_run: DeploymentRun, group: DeploymentGroup) -> None:
    deployment = deployment_run.deployment
    triggering_id = (deployment.rollback_info or {}).get("rollbackTriggeringDeploymentId")
    if deployment.creator == ROLLBACK_CREATOR and triggering_id:
        _RerouteBack(deployment_run, group, triggering_id).run()
    else:
        _BlueGreenRun(deployment_run, group).run()


class _Walk:
    """What both walks share: targets, waits and endings."""

    def __init__(self, deployment_run: DeploymentRun, group: DeploymentGroup) -> None:
        self.deployment_run = deployment_run
        self.group = group
        self.deployment = deployment_run.deployment
        self.backend = deployment_run.backend
        self.lock = deployment_run.lock
        self.clock = deployment_run.clock
        self.configuration = (
            self.deployment.blue_green_deployment_configuration
            or group.settings.get("blueGreenDeploymentConfiguration")
            or DEFAULT_CONFIGURATION
        )

    @property
    def stopping(self) -> bool:
        return self.deployment_run.stop_requested.is_set()

    def _add_targets(self, instance_ids: t.Iterable[str], label: str, events: t.Sequence[str]) -> None:
        """Called with the lock held."""
        for instance_id in instance_ids:
            self.deployment.targets[instance_id] = DeploymentTarget(
                target_id=instance_id,
                target_arn=f"arn:aws:ec2:{self.backend.region}:{self.backend.account_id}:instance/{instance_id}",
                lifecycle_events=[LifecycleEvent(name) for name in events],
                instance_label=label,
            )

    def _start(self) -> None:
        with self.lock:
            self.deployment.status = "InProgress"
            self.deployment.start_time = now()
        triggers.deployment_event(self.deployment_run, "DeploymentStart")

    def _wait(self, kind: str, lab_seconds: float) -> str:
        """``continued``, ``timeout`` or ``stopped``."""
        waiting = ContinueWait(kind)
        with self.lock:
            self.deployment_run.parked = waiting
        deadline = time.monotonic() + lab_seconds
        while True:
            remaining = deadline - time.monotonic()
            waiting.continued.wait(max(0.0, min(0.2, remaining)))
            if waiting.continued.is_set() or self.stopping or remaining <= 0:
                with self.lock:
                    self.deployment_run.parked = None
                    if waiting.continued.is_set():
                        return "continued"
                return "stopped" if self.stopping else "timeout"

    def _close_targets(self) -> None:
        """The deployment ends early: events not run are Skipped, unfinished targets too."""
        with self.lock:
            for target in self.deployment.targets.values():
                if target.status in ("Succeeded", "Failed"):
                    continue
                for event in target.lifecycle_events:
                    if event.status in ("Pending", "InProgress"):
                        skip(event)
                target.status, target.last_updated_at = "Skipped", now()

    def _fail(self, code: str, message: str) -> None:
        self._close_targets()
        self.deployment_run.finish("Failed", code, message)

    def _stopped(self) -> None:
        self._close_targets()
        self.deployment_run.finish_stopped()

    def _all_at_once(self, instance_ids: list[str], only: t.Collection[str] | None = None) -> int:
        """Run the given events of these targets all at once (the traffic steps); returns how many succeeded."""
        if not instance_ids:
            return 0
        everyone = planning.Plan(len(instance_ids), 0, len(instance_ids), False)
        succeeded, _ = self.deployment_run.dispatch(instance_ids, everyone, only)
        return succeeded


class _BlueGreenRun(_Walk):
    def run(self) -> None:
        deployment, group = self.deployment, self.group
        provisioning = self.configuration["greenFleetProvisioningOption"]["action"]
        fleets = green_fleet.Fleets(
            blue=self.deployment_run.group_instances(group), original_groups=group.auto_scaling_group_names
        )
        with self.lock:
            self._add_targets(fleets.blue, "Blue", BLOCK_EVENTS)
        self._start()

        try:
            if provisioning == "COPY_AUTO_SCALING_GROUP":
                if len(fleets.original_groups) != 1:
                    self._fail(
                        "AUTO_SCALING_CONFIGURATION",
                        "COPY_AUTO_SCALING_GROUP needs exactly one Auto Scaling group in the deployment "
                        f"group; {group.name} has {len(fleets.original_groups)}.",
                    )
                    return
                fleets.green_group = green_fleet.green_group_name(group.name, deployment.deployment_id)
                fleets.green = green_fleet.copy_auto_scaling_group(
                    self.backend, fleets.original_groups[0], fleets.green_group, deployment.deployment_id
                )
            else:
                fleets.green = [
                    i for i in green_fleet.discover(self.backend, deployment.target_instances) if i not in fleets.blue
                ]
        except green_fleet.ProvisioningError as error:
            code = "NO_INSTANCES" if str(error) == planning.NO_INSTANCES_MESSAGE else "AUTO_SCALING_CONFIGURATION"
            self._fail(code, str(error))
            return
        if not fleets.green:
            self._fail(
                "NO_INSTANCES",
                "No replacement instances were found: targetInstances of the deployment "
                "(tagFilters, ec2TagSet or autoScalingGroups) must name running instances "
                "that are not in the deployment group already.",
            )
            return
        LOG.info(
            "deployment %s: blue %s, green %s%s",
            deployment.deployment_id,
            fleets.blue,
            fleets.green,
            f" in {fleets.green_group}" if fleets.green_group else "",
        )
        green_fleet.wait_booted(self.deployment_run.fleet, fleets.green)
        with self.lock:
            self._add_targets(fleets.green, "Green", GREEN_EVENTS)
        if self.stopping:
            self._stopped()
            return

        config = self.backend.find_config(deployment.deployment_config_name)
        plan = planning.plan(
            deployment.deployment_config_name,
            config.minimum_healthy_hosts if config is not None else None,
            len(fleets.green),
        )
        if not plan.can_start:
            self._fail("HEALTH_CONSTRAINTS_INVALID", planning.HEALTH_CONSTRAINTS_INVALID_MESSAGE)
            return
        installed, halted = self.deployment_run.dispatch(
            planning.order_targets(fleets.green, ()), plan, only=GREEN_INSTALL_EVENTS
        )
        if self.stopping:
            self._stopped()
            return
        if halted or not plan.succeeded(installed):
            self._fail("HEALTH_CONSTRAINTS", planning.HEALTH_CONSTRAINTS_MESSAGE)
            return
        with self.lock:
            ready = [i for i in fleets.green if deployment.targets[i].status == "InProgress"]

        if not self._ready_wait(ready):
            return
        allowed = self._all_at_once(ready, only=ALLOW_EVENTS)
        if self.stopping:
            self._stopped()
            return
        if not plan.succeeded(allowed):
            self._withdraw(ready)
            self._fail("HEALTH_CONSTRAINTS", planning.HEALTH_CONSTRAINTS_MESSAGE)
            return
        blocked = self._all_at_once(fleets.blue)
        if self.stopping:
            self._stopped()
            return
        if blocked < len(fleets.blue):
            self._fail(
                "HEALTH_CONSTRAINTS",
                "Traffic was routed to the replacement instances, but not every "
                "original instance could be taken out of the load balancers (see "
                "the Blue targets' BeforeBlockTraffic, BlockTraffic and "
                "AfterBlockTraffic).",
            )
            return
        with self.lock:
            green_fleet.hand_over(self.backend, group, fleets)
        self._retire_blue(fleets)

    def _ready_wait(self, ready: list[str]) -> bool:
        """STOP_DEPLOYMENT: sit in Ready until ContinueDeployment; False when the run ended here."""
        option = self.configuration["deploymentReadyOption"]
        if option.get("actionOnTimeout") != "STOP_DEPLOYMENT":
            return True
        deployment = self.deployment
        with self.lock:
            deployment.status = "Ready"
            for instance_id in ready:
                deployment.targets[instance_id].status = "Ready"
                deployment.targets[instance_id].last_updated_at = now()
        triggers.deployment_event(self.deployment_run, "DeploymentReady")
        for instance_id in ready:
            triggers.instance_event(self.deployment_run, deployment.targets[instance_id], "InstanceReady")
        minutes = option.get("waitTimeInMinutes", 0)
        LOG.info(
            "deployment %s: Ready, waiting up to %s minute(s) for ContinueDeployment", deployment.deployment_id, minutes
        )
        outcome = self._wait(READY_WAIT, self.clock.minutes(minutes))
        if outcome == "stopped":
            self._stopped()
            return False
        if outcome == "timeout":
            # Not a user's stop: no DEPLOYMENT_STOP_ON_REQUEST rollback (traffic never moved).
            self.deployment_run.stop_cause = StopCause(
                code="TIMEOUT",
                rollback_event="",
                rollback=False,
                message=f"The deployment was stopped because traffic was not rerouted to the replacement "
                f"instances within the ready wait of {minutes} minute(s) (deploymentReadyOption "
                f"STOP_DEPLOYMENT); continue a Ready deployment with ContinueDeployment.",
            )
            self._stopped()
            return False
        return True  # continue_run made it InProgress again

    def _withdraw(self, green: list[str]) -> None:
        """The reroute failed: take the green instances that got traffic out again, so blue alone serves."""
        info = self.deployment.load_balancer_info or {}
        for instance_id in green:
            self.deployment_run.traffic.block(info, instance_id)

    def _retire_blue(self, fleets: green_fleet.Fleets) -> None:
        option = self.configuration["terminateBlueInstancesOnDeploymentSuccess"]
        if option.get("action") == "TERMINATE":
            minutes = option.get("terminationWaitTimeInMinutes", 0)
            with self.lock:
                self.deployment.instance_termination_wait_time_started = True
            outcome = self._wait(TERMINATION_WAIT, self.clock.minutes(minutes)) if minutes else "timeout"
            if outcome == "stopped":
                self._stopped()
                return
            green_fleet.terminate_blue(self.backend, fleets)
        else:
            LOG.info(
                "deployment %s: KEEP_ALIVE, %s keep running outside the load balancers",
                self.deployment.deployment_id,
                fleets.blue,
            )
        self.deployment_run.finish("Succeeded")


class _RerouteBack(_Walk):
    """The rollback of a blue/green deployment: Blue gets the allow events, Green the block events."""

    def __init__(self, deployment_run: DeploymentRun, group: DeploymentGroup, triggering_id: str) -> None:
        super().__init__(deployment_run, group)
        self.triggering_id = triggering_id

    def _fleets(self) -> green_fleet.Fleets:
        """Who was who, from the triggering deployment's targets (green instances that never became targets never
        got traffic)."""
        triggering = self.backend.deployments.get(self.triggering_id)
        targets = list(triggering.targets.values()) if triggering is not None else []
        return green_fleet.Fleets(
            blue=[x.target_id for x in targets if x.instance_label == "Blue"],
            green=[x.target_id for x in targets if x.instance_label == "Green"],
        )

    def run(self) -> None:
        fleets = self._fleets()
        blue = [i for i in fleets.blue if green_fleet.instance_exists(self.backend, i)]
        green = [i for i in fleets.green if green_fleet.instance_exists(self.backend, i)]
        with self.lock:
            self._add_targets(blue, "Blue", ALLOW_EVENTS)
            self._add_targets(green, "Green", BLOCK_EVENTS)
        self._start()
        if not blue:
            self._fail(
                "NO_INSTANCES",
                f"Traffic cannot be routed back: the original instances of deployment "
                f"{self.triggering_id} no longer exist.",
            )
            return
        self.deployment_run.event_runner = HooksFromEarlierInstalls(self.deployment_run, blue)
        allowed = self._all_at_once(blue)
        if self.stopping:
            self._stopped()
            return
        if allowed == 0:
            self._fail(
                "HEALTH_CONSTRAINTS",
                "Traffic could not be routed back to any original instance (see the Blue targets' AllowTraffic).",
            )
            return
        blocked = self._all_at_once(green)
        if self.stopping:
            self._stopped()
            return
        with self.lock:
            green_fleet.hand_back(self.backend, self.group, fleets)
        if blocked < len(green):
            self._fail(
                "HEALTH_CONSTRAINTS",
                "Traffic was routed back to the original instances, but not every "
                "replacement instance could be taken out of the load balancers.",
            )
            return
        self.deployment_run.finish("Succeeded")


class HooksFromEarlierInstalls:
    """Where a blue/green rollback's hooks come from (docs/codedeploy-behavior.md#lifecycle-events): the allow hooks of
    an original instance from its last successful install, the block hooks of a replacement instance from its most
    recent install (the deployment being rolled back). The rollback itself downloads nothing.

    The rollback run's ``event_runner``; traffic events, and events of instances without a host, run as the engine
    runs them.
    """

    def __init__(self, deployment_run: DeploymentRun, blue: list[str]) -> None:
        self.deployment_run = deployment_run
        self.blue = set(blue)
        self.engine_events: EventRunner = deployment_run.run_event

    def __call__(self, name: str, host: LabHost | None, instance_id: str) -> EventResult:
        agent = self.deployment_run.agent
        if name in planning.SERVICE_EVENTS or host is None or agent is None:
            return self.engine_events(name, host, instance_id)
        started = now()
        deployment = self.deployment_run.deployment
        pointer_name = "last_successful_install" if instance_id in self.blue else "most_recent_install"
        pointer = agent.read_file(
            host, f"{DEPLOYMENT_ROOT}/deployment-instructions/{deployment.deployment_group_id}_{pointer_name}"
        )
        if pointer is None:  # nothing installed by this group: no scripts to run
            return EventResult(True, dict(SUCCESS_DIAGNOSTICS), started, now())
        source_deployment_id = pointer.decode().strip().rstrip("/").rsplit("/", 1)[-1]
        command = AgentCommand(
            event=name,
            deployment_id=source_deployment_id,
            application_name=deployment.application_name,
            deployment_group_name=deployment.deployment_group_name,
            deployment_group_id=deployment.deployment_group_id,
            revision=None,
            file_exists_behavior=deployment.file_exists_behavior,
            deployment_creator=deployment.creator,
            deployment_type="BLUE_GREEN",
            stop_requested=self.deployment_run.stop_requested,
            hour_limit_seconds=self.deployment_run.clock.minutes(60),
        )
        outcome = agent.run_event(host, command)
        return EventResult(outcome.succeeded, outcome.diagnostics(), outcome.started_at, outcome.ended_at)
