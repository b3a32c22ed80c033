"""Deployment group triggers: deployment and instance events published to SNS topics (codedeploy-semantics.md).

The engine calls ``deployment_event(run, event_type)`` and ``instance_event(run, target, event_type)`` when a
deployment or one of its instances changes state; event types are the API's TriggerEventType values
(DeploymentStart, DeploymentSuccess, DeploymentFailure, DeploymentStop, DeploymentRollback, DeploymentReady,
InstanceStart, InstanceSuccess, InstanceFailure, InstanceReady).
"""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    from ..service.models import DeploymentTarget
    from .engine import DeploymentRun


class Triggers:
    def __init__(self, lab: t.Any) -> None:
        self.lab = lab

    def deployment_event(self, run: DeploymentRun, event_type: str) -> None:
        pass

    def instance_event(self, run: DeploymentRun, target: DeploymentTarget, event_type: str) -> None:
        pass
