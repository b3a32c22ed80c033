"""moto's ELB and ELBv2 made to agree with the lab's load balancers.

* DescribeInstanceHealth and DescribeTargetHealth tell what the lab's health checks see. moto reports every registered, running instance ``InService``/``healthy``; the lab's load balancers really probe
them, so a client (or CodeDeploy's AllowTraffic) asking ELB sees the same thing the proxy acts on: ``OutOfService``
while registration is in progress or checks fail, ``draining`` while a target group target drains.
* DeregisterInstancesFromLoadBalancer also takes out an instance that an Auto Scaling group registered (moto keeps
  those in a separate list and leaves them registered; AWS deregisters them).
"""

from __future__ import annotations

import typing as t

from .pool import DRAINING, HEALTHY, INITIAL

if t.TYPE_CHECKING:
    from .manager import LoadBalancers

_active: list[LoadBalancers] = []  # the lab's manager (one lab per process); empty = moto's own answers
_installed = False


def report_from(manager: LoadBalancers | None) -> None:
    """Answer health questions from ``manager`` (None: moto's own answers again)."""
    _active[:] = [manager] if manager is not None else []
    _install()


def _install() -> None:
    global _installed
    if _installed:
        return
    from moto.core.responses import ActionResult
    from moto.elb.models import ELBBackend
    from moto.elb.responses import ELBResponse
    from moto.elbv2.models import FakeTargetGroup

    original_instance_health = ELBBackend.describe_instance_health
    original_deregister = ELBBackend.deregister_instances
    original_health_for = FakeTargetGroup.health_for

    def describe_instance_health(self: t.Any, lb_name: str, instances: list[dict[str, str]]) -> list[dict[str, t.Any]]:
        states = original_instance_health(self, lb_name, instances)
        pool = _active[0].classic_pool(self.account_id, self.region_name, lb_name) if _active else None
        if pool is None:
            return states
        for entry in states:
            known = pool.state_of(entry["InstanceId"])
            if entry["State"] == "Unknown":
                if known and known[0] == DRAINING:
                    entry.update(ReasonCode="ELB", Description="Instance deregistration currently in progress.")
                continue
            if known is None or known[0] == INITIAL:
                entry.update(State="OutOfService", ReasonCode="ELB",
                             Description="Instance registration is still in progress.")
            elif known[0] == HEALTHY:
                entry.update(State="InService", ReasonCode="N/A", Description="N/A")
            else:
                entry.update(State="OutOfService", ReasonCode="Instance",
                             Description="Instance has failed at least the UnhealthyThreshold number of health "
                                         "checks consecutively.")
        return states

    def describe_instance_health_response(self: t.Any) -> t.Any:
        lb_name = self._get_param("LoadBalancerName")
        instances = self.elb_backend.describe_instance_health(lb_name, self._get_param("Instances", []))
        return ActionResult({"InstanceStates": [
            {"InstanceId": entry["InstanceId"], "State": entry["State"],
             "ReasonCode": entry.get("ReasonCode", "N/A"), "Description": entry.get("Description", "N/A")}
            for entry in instances]})

    def health_for(self: t.Any, target: dict[str, t.Any], ec2_backend: t.Any) -> t.Any:
        status = original_health_for(self, target, ec2_backend)
        pool = _active[0].target_group_pool(self.arn) if _active else None
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
            status.reason = ("Target.ResponseCodeMismatch" if "codes" in known[1] else
                             "Target.Timeout" if "timed out" in known[1] else "Target.FailedHealthChecks")
            status.description = known[1]
        return status

    def deregister_instances(self: t.Any, load_balancer_name: str, instance_ids: t.Iterable[str],
                             from_autoscaling: bool = False) -> t.Any:
        instance_ids = list(instance_ids)
        load_balancer = original_deregister(self, load_balancer_name, instance_ids, from_autoscaling)
        if not from_autoscaling:
            load_balancer = original_deregister(self, load_balancer_name, instance_ids, True)
        return load_balancer

    ELBBackend.describe_instance_health = describe_instance_health
    ELBBackend.deregister_instances = deregister_instances
    ELBResponse.describe_instance_health = describe_instance_health_response
    FakeTargetGroup.health_for = health_for
    _installed = True
