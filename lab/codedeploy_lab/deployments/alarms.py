"""CloudWatch alarms of a deployment group, polled while a deployment runs.

``AlarmWatch(run)`` is started when a run starts and stopped when it ends; an alarm in ALARM asks the run to stop
with ``StopCause(code="ALARM_ACTIVE", rollback_event="DEPLOYMENT_STOP_ON_ALARM")``, as CodeDeploy does
(docs/codedeploy-behavior.md#rollbacks-redeploys-and-alarms).

Lab choices (the documentation is silent):
* The alarms are read from moto's CloudWatch backend in this process (same account and region), once at start and
  then every ``POLL_INTERVAL`` wall-clock seconds, until the deployment ends or has been asked to stop.
* The deployment's ``overrideAlarmConfiguration``, when given, replaces the group's ``alarmConfiguration`` entirely
  (so ``enabled: false`` there turns polling off for a fix-forward); the group's is read at each poll, so an
  UpdateDeploymentGroup during the deployment takes effect.
* An alarm that cannot be read (deleted after it was configured) stops the deployment like an alarm in ALARM (code
  ``ALARM_ACTIVE``, same rollback event) unless ``ignorePollAlarmFailure`` is true.
* A rollback deployment (creator ``codeDeployRollback``) is not watched: the alarm that stopped its triggering
  deployment is usually still in ALARM, and stopping the rollback would leave the fleet half rolled back.
"""

from __future__ import annotations

import logging
import threading
import typing as t

from moto.cloudwatch.models import cloudwatch_backends

from .run import DeploymentRun
from .run import StopCause

LOG = logging.getLogger("codedeploy_lab.deployments")

POLL_INTERVAL = 1.0  # wall-clock seconds between two reads of the alarms
UNWATCHED_CREATORS = frozenset({"codeDeployRollback"})


class AlarmWatch:
    def __init__(self, run: DeploymentRun) -> None:
        self.run = run
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.run.deployment.creator in UNWATCHED_CREATORS:
            return
        self._thread = threading.Thread(
            target=self._watch, daemon=True, name=f"alarms-{self.run.deployment.deployment_id}"
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    # -- the thread -------------------------------------------------------------------------------------------------

    def _watch(self) -> None:
        while not self._stopped.is_set() and not self.run.stop_requested.is_set():
            try:
                cause = self.poll()
            except Exception:  # the watch must never take the deployment down with it
                LOG.exception("deployment %s: polling its alarms failed", self.run.deployment.deployment_id)
                cause = None
            if cause is not None:
                LOG.info("deployment %s: %s", self.run.deployment.deployment_id, cause.message)
                self.run.request_stop(cause)
                return
            self._stopped.wait(POLL_INTERVAL)

    def configuration(self) -> dict[str, t.Any] | None:
        """The alarm configuration in force: the deployment's override, else its group's (read under the lock)."""
        run = self.run
        with run.lock:
            override = run.deployment.override_alarm_configuration
            if override is not None:
                return override
            group = run.group()
            return group.settings.get("alarmConfiguration") if group is not None else None

    def poll(self) -> StopCause | None:
        """One read of the alarms: the StopCause to stop with, or None to go on."""
        config = self.configuration()
        if not config or not config.get("enabled"):
            return None
        names = [alarm["name"] for alarm in config.get("alarms") or []]
        states = self._alarm_states(names)
        firing = [name for name in names if states.get(name) == "ALARM"]
        if firing:
            return StopCause(
                code="ALARM_ACTIVE",
                rollback_event="DEPLOYMENT_STOP_ON_ALARM",
                message=f"The deployment was stopped because the CloudWatch alarm "
                f"{', '.join(firing)} is in the ALARM state.",
            )
        unreadable = [name for name in names if name not in states]
        if unreadable and not config.get("ignorePollAlarmFailure"):
            return StopCause(
                code="ALARM_ACTIVE",
                rollback_event="DEPLOYMENT_STOP_ON_ALARM",
                message=f"The deployment was stopped because the state of the CloudWatch alarm "
                f"{', '.join(unreadable)} could not be read (it does not exist). Set "
                f"ignorePollAlarmFailure to true to go on when alarms cannot be read.",
            )
        return None

    def _alarm_states(self, names: list[str]) -> dict[str, str]:
        """``{name: state}`` of the listed alarms that exist in the lab's CloudWatch."""
        backend = cloudwatch_backends[self.run.backend.account_id][self.run.backend.region]
        alarms = backend.alarms
        return {name: alarms[name].state_value for name in names if name in alarms}
