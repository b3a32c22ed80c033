"""Classic Load Balancing: moto's gaps, and instance health from the lab's load balancers.

1. ``DescribeLoadBalancerAttributes`` on a missing load balancer raises AttributeError (HTTP 500) in moto; AWS answers
   ``LoadBalancerNotFound``, and ``elb_classic_lb`` calls it before creating the load balancer.
2. A new load balancer has no ``HealthCheck`` in moto until one is configured; AWS always reports a default
   (``TCP:<first listener's instance port>``, interval 30, timeout 5, unhealthy 2, healthy 10), and ``elb_classic_lb``
   reads ``HealthCheck`` unconditionally.
3. DescribeInstanceHealth tells what the lab's health checks see (``HOOKS.target_health``): moto reports every
   registered, running instance ``InService``; the lab's load balancers really probe them, so a client (or CodeDeploy's
   AllowTraffic) asking ELB sees what the proxy acts on: ``OutOfService`` while registration is in progress or checks
   fail.
4. DeregisterInstancesFromLoadBalancer also takes out an instance that an Auto Scaling group registered (moto keeps
   those in a separate list and leaves them registered; AWS deregisters them).
"""

from __future__ import annotations

import typing as t

from moto.core.responses import ActionResult
from moto.elb.models import ELBBackend
from moto.elb.models import FakeHealthCheck
from moto.elb.responses import ELBResponse

from ..rooms import DRAINING
from ..rooms import HEALTHY
from ..rooms import INITIAL
from .hooks import HOOKS
from .patching import replace

# Numbers, as the lab's health checks read them (moto keeps what a request said, strings).
DEFAULT_HEALTH_CHECK: dict[str, t.Any] = {
    "interval": 30,
    "timeout": 5,
    "unhealthy_threshold": 2,
    "healthy_threshold": 10,
}


def install() -> None:
    original_attributes = ELBResponse.describe_load_balancer_attributes
    original_create = ELBBackend.create_load_balancer
    original_instance_health = ELBBackend.describe_instance_health
    original_deregister = ELBBackend.deregister_instances

    def describe_load_balancer_attributes(self: ELBResponse) -> t.Any:
        # describe_load_balancers raises LoadBalancerNotFoundError for an unknown name, as AWS does.
        self.elb_backend.describe_load_balancers([self._get_param("LoadBalancerName")])
        return original_attributes(self)

    def create_load_balancer(self: ELBBackend, *args: t.Any, **kwargs: t.Any) -> t.Any:
        load_balancer = original_create(self, *args, **kwargs)
        if load_balancer.health_check is None and load_balancer.listeners:
            port = load_balancer.listeners[0].instance_port
            load_balancer.health_check = FakeHealthCheck(
                timeout=DEFAULT_HEALTH_CHECK["timeout"],
                healthy_threshold=DEFAULT_HEALTH_CHECK["healthy_threshold"],
                unhealthy_threshold=DEFAULT_HEALTH_CHECK["unhealthy_threshold"],
                interval=DEFAULT_HEALTH_CHECK["interval"],
                target=f"TCP:{port}",
            )
        return load_balancer

    def describe_instance_health(self: t.Any, lb_name: str, instances: list[dict[str, str]]) -> list[dict[str, t.Any]]:
        states = original_instance_health(self, lb_name, instances)
        source = HOOKS.target_health
        pool = source.classic_pool(self.account_id, self.region_name, lb_name) if source is not None else None
        if pool is None:
            return states
        for entry in states:
            known = pool.state_of(entry["InstanceId"])
            if entry["State"] == "Unknown":
                if known and known[0] == DRAINING:
                    entry.update(ReasonCode="ELB", Description="Instance deregistration currently in progress.")
                continue
            if known is None or known[0] == INITIAL:
                entry.update(
                    State="OutOfService", ReasonCode="ELB", Description="Instance registration is still in progress."
                )
            elif known[0] == HEALTHY:
                entry.update(State="InService", ReasonCode="N/A", Description="N/A")
            else:
                entry.update(
                    State="OutOfService",
                    ReasonCode="Instance",
                    Description="Instance has failed at least the UnhealthyThreshold number of health "
                    "checks consecutively.",
                )
        return states

    def describe_instance_health_response(self: t.Any) -> t.Any:
        lb_name = self._get_param("LoadBalancerName")
        instances = self.elb_backend.describe_instance_health(lb_name, self._get_param("Instances", []))
        return ActionResult(
            {
                "InstanceStates": [
                    {
                        "InstanceId": entry["InstanceId"],
                        "State": entry["State"],
                        "ReasonCode": entry.get("ReasonCode", "N/A"),
                        "Description": entry.get("Description", "N/A"),
                    }
                    for entry in instances
                ]
            }
        )

    def deregister_instances(
        self: t.Any, load_balancer_name: str, instance_ids: t.Iterable[str], from_autoscaling: bool = False
    ) -> t.Any:
        instance_ids = list(instance_ids)
        load_balancer = original_deregister(self, load_balancer_name, instance_ids, from_autoscaling)
        if not from_autoscaling:
            load_balancer = original_deregister(self, load_balancer_name, instance_ids, True)
        return load_balancer

    replace(ELBResponse, "describe_load_balancer_attributes", describe_load_balancer_attributes)
    replace(ELBBackend, "create_load_balancer", create_load_balancer)
    replace(ELBBackend, "describe_instance_health", describe_instance_health)
    replace(ELBBackend, "deregister_instances", deregister_instances)
    replace(ELBResponse, "describe_instance_health", describe_instance_health_response)
