"""CloudWatch alarms of a deployment group, polled while a deployment runs (codedeploy-semantics.md section 4.4).

``AlarmWatch(run)`` is started when a run starts and stopped when it ends; an alarm in ALARM asks the run to stop
with ``StopCause(code="ALARM_ACTIVE", rollback_event="DEPLOYMENT_STOP_ON_ALARM")``.
"""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    from .engine import DeploymentRun


class AlarmWatch:
    def __init__(self, run: DeploymentRun) -> None:
        self.run = run

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass
