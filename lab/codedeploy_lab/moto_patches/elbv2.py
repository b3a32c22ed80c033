"""Elastic Load Balancing v2: DescribeTargetHealth tells what the lab's health checks see (``HOOKS.target_health``).

moto reports every registered, running target ``healthy``; the lab's load balancers really probe them, so a client
(or CodeDeploy's AllowTraffic) sees ``initial`` while registration is in progress, ``unhealthy`` while checks fail,
``draining`` while a deregistered target drains.
"""

from __future__ import annotations

import typing as t

from moto.elbv2.models import FakeTargetGroup

from ..rooms import DRAINING
from ..rooms import HEALTHY
from ..rooms import INITIAL
from .hooks import HOOKS
from .patching import replace


def install() -> None:
    original_health_for = FakeTargetGroup.health_for

    def health_for(self: t.Any, target: dict[str, t.Any], ec2_backend: t.Any) -> t.Any:
        status = original_health_for(self, target, ec2_backend)
        source = HOOKS.target_health
        pool = source.target_group_pool(self.arn) if source is not None else None
        known = pool.state_of(target["Id"]) if pool is not None else None
        if pool is None:
            return status
        if target["Id"] not in self.targets:
            if known and known[0] == DRAINING:
                status.status, status.reason = "draining", "Target.DeregistrationInProgress"
                status.description = "Target deregistration is in progress"
            return status
        if known is None or known[0] == INITIAL:
            status.status, status.reason = "initial", "Elb.RegistrationInProgress"
            status.description = "Target registration is in progress"
        elif known[0] == HEALTHY:
            status.status, status.reason, status.description = "healthy", None, None
        else:
            status.status = "unhealthy"
            status.reason = (
                "Target.ResponseCodeMismatch"
                if "codes" in known[1]
                else "Target.Timeout"
                if "timed out" in known[1]
                else "Target.FailedHealthChecks"
            )
            status.description = known[1]
        return status

    replace(FakeTargetGroup, "health_for", health_for)
