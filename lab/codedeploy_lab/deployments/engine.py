"""The deployment engine: walks an in-place deployment through batches and lifecycle events, each in its own thread.

``CodeDeployService.hand_off`` calls ``Engine.submit`` with every new deployment (under the service lock); the engine
starts a thread and returns at once. The thread moves the deployment Created -> Queued -> InProgress -> Succeeded or
Failed (or Stopped), runs each target's lifecycle events on its lab host through the host agent (BlockTraffic and
AllowTraffic itself, through the load balancers), and mutates the service's ``Deployment``/``DeploymentTarget``/
``LifecycleEvent`` objects only while holding the service lock, so every API call sees a consistent state.

Each deployment runs in an ``EngineRun``, the ``run.DeploymentRun`` the helper modules are handed (blue/green,
alarms, rollbacks, triggers, on-premises targets); they import ``run``, never this module.
"""

from __future__ import annotations

import logging
import threading
import typing as t
from collections import deque
from concurrent.futures import FIRST_COMPLETED
from concurrent.futures import Future
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait
from dataclasses import dataclass

from moto.autoscaling.models import autoscaling_backends
from moto.ec2.models import ec2_backends

from ..agent import AgentCommand
from ..agent import S3Revision
from ..clock import LabClock
from ..rooms import FaultsRoom
from ..rooms import FleetRoom
from ..rooms import LabHost
from ..rooms import LoadBalancerRoom
from ..service import exceptions
from ..service import validation
from ..service.models import CodeDeployBackend
from ..service.records import Deployment
from ..service.records import DeploymentGroup
from ..service.records import DeploymentTarget
from ..service.records import LifecycleEvent
from ..service.records import OnPremisesInstance
from . import alarms
from . import blue_green
from . import on_premises
from . import planning
from . import rollback
from . import triggers
from .run import ContinueWait
from .run import DeploymentRun
from .run import EventResult
from .run import EventRunner
from .run import StopCause
from .run import failure
from .run import now
from .run import skip
from .traffic import Traffic

LOG = logging.getLogger("codedeploy_lab.deployments")

STOP_PENDING_MESSAGE = "Stopping the deployment; lifecycle events running on instances are being ended"
STOP_DONE_MESSAGE = "No more commands will be scheduled for execution in the deployment instances"


FINAL_EVENTS = {"Succeeded": "DeploymentSuccess", "Failed": "DeploymentFailure", "Stopped": "DeploymentStop"}

# Threads that run targets of one deployment at once. Every target the plan dispatches is still handed over at once
# (halting and skipping are decided as before); beyond this many, dispatched targets wait Pending for a thread, as
# targets wait for their agent's next poll on AWS. Keeps AllAtOnce on a 500-host simulated fleet at 64 threads.
MAX_TARGET_THREADS = 64


@dataclass(frozen=True)
class InstanceRecord:
    """What the engine remembers of an instance in a deployment group: its last deployment's revision and result."""

    revision_key: tuple[t.Any, ...] | None
    succeeded: bool


class Engine:
    """``lab.engine``: runs every deployment the CodeDeploy service hands over, on the lab's hosts.

    Takes the rooms it drives: the clock, the hosts and their agent (``fleet``), the load balancers of BlockTraffic
    and AllowTraffic, and the faults asked before and after each event; any room but the clock may be missing.
    """

    def __init__(
        self,
        clock: LabClock,
        fleet: FleetRoom | None = None,
        load_balancers: LoadBalancerRoom | None = None,
        faults: FaultsRoom | None = None,
    ) -> None:
        self.clock = clock
        self.fleet = fleet
        self.load_balancers = load_balancers
        self.faults = faults
        self._runs: dict[str, EngineRun] = {}
        self._records: dict[tuple[str, str], InstanceRecord] = {}  # (deployment group id, instance id) -> record
        self._lock = threading.Lock()

    # -- the service's hand-off points --------------------------------------------------------------------------------

    def submit(
        self,
        backend: CodeDeployBackend,
        deployment: Deployment,
        instance_ids: t.Sequence[str] | None = None,
        on_finished: t.Callable[[Deployment], t.Any] | None = None,
    ) -> EngineRun:
        """Start running ``deployment`` in its own thread (``instance_ids``: fixed targets, e.g. an ASG launch)."""
        run = EngineRun(self, backend, deployment, instance_ids, on_finished)
        with self._lock:
            self._runs[deployment.deployment_id] = run
        threading.Thread(target=run.run, daemon=True, name=f"deployment-{deployment.deployment_id}").start()
        return run

    def stop(self, backend: CodeDeployBackend, deployment: Deployment, auto_rollback_enabled: t.Any) -> tuple[str, str]:
        """StopDeployment: no further events are scheduled; ``Pending`` while events are still running."""
        run = self._runs.get(deployment.deployment_id)
        if run is None:
            return "Succeeded", STOP_DONE_MESSAGE
        rollback_wanted = None if auto_rollback_enabled is None else bool(auto_rollback_enabled)
        return run.request_stop(StopCause(rollback=rollback_wanted))

    def continue_deployment(self, backend: CodeDeployBackend, deployment: Deployment, wait_type: str) -> None:
        """ContinueDeployment: READY_WAIT ends a blue/green Ready wait, TERMINATION_WAIT the termination wait."""
        run = self._runs.get(deployment.deployment_id)
        if run is None or not blue_green.continue_run(run, wait_type):
            raise exceptions.DeploymentIsNotInReadyState(
                f"The deployment {deployment.deployment_id} does not have a status of Ready."
            )

    # -- bookkeeping shared by runs -------------------------------------------------------------------------------------

    def record(self, group_id: str, instance_id: str, revision_key: tuple[t.Any, ...] | None, succeeded: bool) -> None:
        with self._lock:
            self._records[(group_id, instance_id)] = InstanceRecord(revision_key, succeeded)

    def record_of(self, group_id: str, instance_id: str) -> InstanceRecord | None:
        with self._lock:
            return self._records.get((group_id, instance_id))

    def forget(self, deployment_id: str) -> None:
        with self._lock:
            self._runs.pop(deployment_id, None)

    def reset(self) -> None:
        with self._lock:
            for run in self._runs.values():
                run.request_stop(StopCause(rollback=False))  # a lab reset never starts rollbacks
            self._records.clear()


class EngineRun:
    """One deployment being walked through, the engine's ``DeploymentRun``; ``run()`` is its thread."""

    def __init__(
        self,
        engine: Engine,
        backend: CodeDeployBackend,
        deployment: Deployment,
        instance_ids: t.Sequence[str] | None,
        on_finished: t.Callable[[Deployment], t.Any] | None,
    ) -> None:
        self.engine = engine
        self.backend = backend
        self.deployment = deployment
        self.lock = backend.service.lock
        self.clock = engine.clock
        self.fleet = engine.fleet
        self.agent = engine.fleet.agent if engine.fleet is not None else None
        self.faults = engine.faults
        self.fixed_instances = list(instance_ids) if instance_ids is not None else None
        self.on_premises_instances: dict[str, OnPremisesInstance] = {}  # targets that are on-premises, by name
        self.on_finished = on_finished
        self.stop_requested = threading.Event()
        self.stop_cause = StopCause()
        self.parked: ContinueWait | None = None  # blue_green's wait for ContinueDeployment, while the run sits in one
        self.finished = threading.Event()
        self.traffic = Traffic(engine.load_balancers, engine.clock, backend.account_id, backend.region)
        self.traffic_control = planning.uses_traffic_control(deployment.deployment_style, deployment.load_balancer_info)
        self.event_runner: EventRunner = self.run_event

    # -- the thread -----------------------------------------------------------------------------------------------------

    def run(self) -> None:
        watch = alarms.AlarmWatch(self)
        try:
            watch.start()
            self._run()
        except Exception as error:  # the engine's own bug: the deployment must still end
            LOG.exception("deployment %s failed inside the engine", self.deployment.deployment_id)
            self.finish("Failed", "INTERNAL_ERROR", f"The CodeDeploy lab failed to run the deployment: {error}")
        finally:
            watch.stop()
            self.finished.set()
            self.engine.forget(self.deployment.deployment_id)

    def request_stop(self, cause: StopCause | None = None) -> tuple[str, str]:
        """Stop scheduling events; the first cause given wins (an alarm's stop is not turned into a user's)."""
        if not self.stop_requested.is_set():
            self.stop_cause = cause or StopCause()
        self.stop_requested.set()
        with self.lock:
            running = any(target.status == "InProgress" for target in self.deployment.targets.values())
        return ("Pending", STOP_PENDING_MESSAGE) if running else ("Succeeded", STOP_DONE_MESSAGE)

    def _run(self) -> None:
        deployment = self.deployment
        with self.lock:
            if deployment.status != "Created":
                return
            deployment.status = "Queued"
            group = self.group()
        if self.stop_requested.is_set():
            self.finish_stopped()
            return
        if group is None:
            self.finish(
                "Failed",
                "DEPLOYMENT_GROUP_MISSING",
                f"The deployment group {deployment.deployment_group_name} no longer exists.",
            )
            return
        # An Auto Scaling launch deployment (fixed instances) is in-place even in a blue/green group.
        if (deployment.deployment_style or {}).get("deploymentType") == "BLUE_GREEN" and self.fixed_instances is None:
            blue_green.run(self, group)
            return

        if self.fixed_instances is not None:
            instance_ids = self.fixed_instances
        else:
            with self.lock:
                self.on_premises_instances = on_premises.select(self.backend, group)
            instance_ids = self.group_instances(group) + sorted(self.on_premises_instances)
        outdated, up_to_date = self._split_outdated(instance_ids)
        previously_failed = {i for i in outdated if (r := self.engine.record_of(group.group_id, i)) and not r.succeeded}
        order = planning.order_targets(outdated, previously_failed)
        config = self.backend.find_config(deployment.deployment_config_name)
        plan = planning.plan(
            deployment.deployment_config_name, config.minimum_healthy_hosts if config is not None else None, len(order)
        )
        if not instance_ids:
            self.finish("Failed", "NO_INSTANCES", planning.NO_INSTANCES_MESSAGE)
            return
        if order and not plan.can_start:
            self.finish("Failed", "HEALTH_CONSTRAINTS_INVALID", planning.HEALTH_CONSTRAINTS_INVALID_MESSAGE)
            return

        events = planning.lifecycle_events(self.traffic_control)
        with self.lock:
            for instance_id in order + sorted(up_to_date):
                on_premises_instance = self.on_premises_instances.get(instance_id)
                deployment.targets[instance_id] = DeploymentTarget(
                    target_id=instance_id,
                    target_arn=on_premises_instance.instance_arn
                    if on_premises_instance
                    else f"arn:aws:ec2:{self.backend.region}:{self.backend.account_id}:instance/{instance_id}",
                    lifecycle_events=[LifecycleEvent(name) for name in events],
                )
            for instance_id in up_to_date:  # updateOutdatedInstancesOnly: already on this revision
                self._skip_rest(deployment.targets[instance_id])
            deployment.status = "InProgress"
            deployment.start_time = now()
        triggers.deployment_event(self, "DeploymentStart")
        LOG.info(
            "deployment %s: %d target(s), %d at a time, minimum healthy %d%s",
            deployment.deployment_id,
            len(order),
            plan.concurrency,
            plan.minimum_healthy,
            f", {len(up_to_date)} up to date" if up_to_date else "",
        )

        succeeded, halted = self.dispatch(order, plan)
        if self.stop_requested.is_set():
            self.finish_stopped()
        elif halted or (order and not plan.succeeded(succeeded)):
            self.finish("Failed", "HEALTH_CONSTRAINTS", planning.HEALTH_CONSTRAINTS_MESSAGE)
        else:
            self.finish("Succeeded")

    def dispatch(
        self, order: list[str], plan: planning.Plan, only: t.Collection[str] | None = None
    ) -> tuple[int, bool]:
        """Run targets, at most ``plan.concurrency`` at once; stop dispatching when the health rule says so.

        ``only``: run just these lifecycle events of each target (see ``_deploy_target``).
        """
        queue = deque(order)
        running: dict[Future[bool], str] = {}
        succeeded = failed = 0
        halted = False
        with ThreadPoolExecutor(
            max_workers=max(1, min(plan.concurrency, MAX_TARGET_THREADS)),
            thread_name_prefix=f"deploy-{self.deployment.deployment_id}",
        ) as pool:
            while queue or running:
                while queue and len(running) < plan.concurrency and not halted and not self.stop_requested.is_set():
                    instance_id = queue.popleft()
                    running[pool.submit(self._deploy_target, instance_id, only)] = instance_id
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    running.pop(future)
                    if future.result():
                        succeeded += 1
                    else:
                        failed += 1
                        if plan.must_stop(failed, len(queue)):
                            halted = True
        with self.lock:
            for instance_id in queue:  # never started: Skipped
                self._skip_rest(self.deployment.targets[instance_id])
        return succeeded, halted

    # -- one target -----------------------------------------------------------------------------------------------------

    def _deploy_target(self, instance_id: str, only: t.Collection[str] | None = None) -> bool:
        """Run a target's lifecycle events; ``only``: just these (a blue/green green target runs its install events,
        then its traffic events later), and the target ends (status, record, trigger) only once its last event ran."""
        deployment = self.deployment
        target = deployment.targets[instance_id]
        on_premises_instance = self.on_premises_instances.get(instance_id)
        # An on-premises target's host is the one whose agent asks as that instance (found at its first event).
        host = self.fleet.get(instance_id) if self.fleet is not None and on_premises_instance is None else None
        with self.lock:
            first_start = all(event.status == "Pending" for event in target.lifecycle_events)
            if first_start and self.stop_requested.is_set():  # waited for a thread past the stop: never started
                self._skip_rest(target)
                return False
            target.status = "InProgress"
            target.last_updated_at = now()
        if first_start:
            triggers.instance_event(self, target, "InstanceStart")
        failed = False
        for event in target.lifecycle_events:
            if failed or self.stop_requested.is_set():
                failed = True
                with self.lock:
                    skip(event)
                    target.last_updated_at = now()
                continue
            if only is not None and event.name not in only:
                continue
            with self.lock:
                event.status, event.start_time = "InProgress", now()
                target.last_updated_at = event.start_time
            refused = None
            if on_premises_instance is not None and host is None and event.name not in planning.SERVICE_EVENTS:
                host, refused = on_premises.wait_for_agent(self, on_premises_instance)
            if refused is not None:
                result = EventResult(False, refused, event.start_time or now(), now())
            else:
                result = self.event_runner(event.name, host, instance_id)
            with self.lock:
                event.status = "Succeeded" if result.ok else "Failed"
                event.start_time, event.end_time, event.diagnostics = result.started, result.ended, result.diagnostics
                target.last_updated_at = result.ended
            if not result.ok:
                if event.name in planning.STOP_EVENTS and deployment.ignore_application_stop_failures:
                    LOG.info(
                        "deployment %s: %s failed on %s, ignored (ignoreApplicationStopFailures)",
                        deployment.deployment_id,
                        event.name,
                        instance_id,
                    )
                    continue
                failed = True
        if only is not None and not failed and target.lifecycle_events and target.lifecycle_events[-1].name not in only:
            return True  # more events to come
        with self.lock:
            target.status = "Failed" if failed else "Succeeded"
            target.last_updated_at = now()
        triggers.instance_event(self, target, "InstanceFailure" if failed else "InstanceSuccess")
        revision_key = validation.revision_key(deployment.revision) if deployment.revision else None
        self.engine.record(deployment.deployment_group_id, instance_id, revision_key, not failed)
        LOG.info("deployment %s: %s %s", deployment.deployment_id, instance_id, target.status)
        return not failed

    def run_event(self, name: str, host: LabHost | None, instance_id: str) -> EventResult:
        started = now()
        deployment = self.deployment
        faults = self.faults  # a stopped agent, a terminated host
        refused = faults.before_event(self, name, host, instance_id) if faults is not None else None
        if refused is not None:
            return EventResult(False, refused, started, now())
        if name in planning.SERVICE_EVENTS:
            info = deployment.load_balancer_info or {}
            moved = (
                self.traffic.block(info, instance_id)
                if name == "BlockTraffic"
                else self.traffic.allow(info, instance_id)
            )
            return EventResult(moved.ok, None if moved.ok else failure(moved.message), started, now())
        if host is None or self.agent is None:  # a host comes from the fleet, which has an agent
            return EventResult(
                False,
                failure(
                    f"The CodeDeploy agent on {instance_id} cannot be reached: the lab has no host for this instance."
                ),
                started,
                now(),
            )
        revision = deployment.revision or {}
        command = AgentCommand(
            event=name,
            deployment_id=deployment.deployment_id,
            application_name=deployment.application_name,
            deployment_group_name=deployment.deployment_group_name,
            deployment_group_id=deployment.deployment_group_id,
            revision=S3Revision.from_api(revision["s3Location"]) if revision.get("revisionType") == "S3" else None,
            file_exists_behavior=deployment.file_exists_behavior,
            deployment_creator=deployment.creator,
            stop_requested=self.stop_requested,
            hour_limit_seconds=self.clock.minutes(60),
        )
        outcome = self.agent.run_event(host, command)
        diagnostics: dict[str, str] | None = outcome.diagnostics()
        if faults is not None and not outcome.succeeded:
            diagnostics = faults.after_failed_event(self, name, host, instance_id, diagnostics)
        return EventResult(outcome.succeeded, diagnostics, outcome.started_at, outcome.ended_at)

    # -- helpers --------------------------------------------------------------------------------------------------------

    def _skip_rest(self, target: DeploymentTarget) -> None:
        for event in target.lifecycle_events:
            skip(event)
        target.status, target.last_updated_at = "Skipped", now()

    def group(self) -> DeploymentGroup | None:
        for application in self.backend.applications.values():
            for group in application.deployment_groups.values():
                if group.group_id == self.deployment.deployment_group_id:
                    return group
        return None

    def group_instances(self, group: DeploymentGroup) -> list[str]:
        """Instances of the group: EC2 tag filters (any), the tag set (all groups) and InService ASG instances."""
        settings = group.settings
        tag_filters = settings.get("ec2TagFilters") or []
        tag_set = (settings.get("ec2TagSet") or {}).get("ec2TagSetList") or []
        found: set[str] = set()
        if tag_filters or tag_set:
            ec2 = ec2_backends[self.backend.account_id][self.backend.region]
            for instance in ec2.all_instances():
                if instance.state not in ("pending", "running", "stopped", "stopping"):
                    continue  # CodeDeploy tries stopped instances too (they fail); terminated ones are gone
                tags = {tag["key"]: tag["value"] for tag in instance.get_tags()}
                if (tag_filters and planning.matches_any(tag_filters, tags)) or (
                    tag_set and planning.matches_tag_set(tag_set, tags)
                ):
                    found.add(instance.id)
        auto_scaling = autoscaling_backends[self.backend.account_id][self.backend.region]
        for name in group.auto_scaling_group_names:
            asg = auto_scaling.autoscaling_groups.get(name)
            if asg is not None:
                found.update(state.instance.id for state in asg.instance_states if state.lifecycle_state == "InService")
        return sorted(found)

    def _split_outdated(self, instance_ids: t.Sequence[str]) -> tuple[list[str], list[str]]:
        """(to deploy, already on this revision) under updateOutdatedInstancesOnly; else everything is deployed."""
        deployment = self.deployment
        if not deployment.update_outdated_instances_only or not deployment.revision:
            return list(instance_ids), []
        wanted = validation.revision_key(deployment.revision)
        up_to_date = [
            i
            for i in instance_ids
            if (r := self.engine.record_of(deployment.deployment_group_id, i))
            and r.succeeded
            and r.revision_key == wanted
        ]
        return [i for i in instance_ids if i not in up_to_date], up_to_date

    def finish_stopped(self) -> None:
        self.finish("Stopped", self.stop_cause.code, self.stop_cause.message)

    def finish(self, status: str, code: str | None = None, message: str | None = None) -> None:
        deployment = self.deployment
        with self.lock:
            deployment.status = status
            deployment.complete_time = now()
            if code is not None:
                deployment.error_information = {"code": code, "message": message or ""}
            self.backend.deployment_finished(deployment)
            # Under the same lock, so no client sees the deployment ended without its rollbackInfo.
            rollback_run = rollback.start_if_configured(self)
        LOG.info("deployment %s: %s%s", deployment.deployment_id, status, f" ({code})" if code else "")
        triggers.deployment_event(self, FINAL_EVENTS.get(status, "DeploymentFailure"))
        if rollback_run is not None:
            triggers.deployment_event(self, "DeploymentRollback")
        if self.on_finished is not None:
            self.on_finished(deployment)

    def submit(self, deployment: Deployment, instance_ids: t.Sequence[str] | None) -> DeploymentRun:
        return self.engine.submit(self.backend, deployment, instance_ids=instance_ids)
