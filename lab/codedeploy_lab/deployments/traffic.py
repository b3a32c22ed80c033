"""BlockTraffic and AllowTraffic: the two lifecycle events the service performs itself.

BlockTraffic deregisters the instance from the deployment group's Classic Load Balancers and target groups, through
moto (so DescribeInstanceHealth/DescribeTargetHealth agree), and waits until the lab's load balancers have drained
it. AllowTraffic registers it again and waits until it passes their health checks; CodeDeploy waits up to an hour
(scaled by the lab clock) before it fails the instance.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from moto.autoscaling.models import autoscaling_backends
from moto.elb.models import elb_backends
from moto.elbv2.models import elbv2_backends

from ..clock import LabClock
from ..rooms import LoadBalancerRoom

ALLOW_TRAFFIC_TIMEOUT = 3600.0  # AWS seconds AllowTraffic waits for a healthy instance
DRAIN_MARGIN = 30.0  # AWS seconds granted beyond the draining timeout itself


@dataclass(frozen=True)
class TrafficOutcome:
    ok: bool
    message: str = ""


class Traffic:
    def __init__(self, load_balancers: LoadBalancerRoom | None, clock: LabClock, account_id: str, region: str) -> None:
        self._load_balancers = load_balancers  # None when the lab runs without its load balancers
        self._clock = clock
        self._account_id = account_id
        self._region = region

    # -- moto ------------------------------------------------------------------------------------------------------

    def _elb(self) -> t.Any:
        return elb_backends[self._account_id][self._region]

    def _elbv2(self) -> t.Any:
        return elbv2_backends[self._account_id][self._region]

    def _auto_scaling_names(self, instance_id: str) -> set[str]:
        """Classic Load Balancers the instance's Auto Scaling group is attached to (it registered the instance)."""
        backend = autoscaling_backends[self._account_id][self._region]
        for group in list(backend.autoscaling_groups.values()):
            if any(state.instance.id == instance_id for state in group.instance_states):
                return set(group.load_balancer_names)
        return set()

    def _target_group(self, name: str) -> t.Any:
        return next((group for group in list(self._elbv2().target_groups.values()) if group.name == name), None)

    def _pools(self, info: t.Mapping[str, t.Any]) -> tuple[list[t.Any], list[str]]:
        """The lab load balancer pools of a loadBalancerInfo, and the names it lists that are gone."""
        pools: list[t.Any] = []
        missing: list[str] = []
        load_balancers = self._load_balancers
        if load_balancers is None:
            return [], []
        load_balancers.sync()
        for entry in info.get("elbInfoList") or []:
            pool = load_balancers.classic_pool(self._account_id, self._region, entry["name"])
            (pools.append(pool) if pool is not None else missing.append(entry["name"]))
        for entry in info.get("targetGroupInfoList") or []:
            group = self._target_group(entry["name"])
            pool = load_balancers.target_group_pool(group.arn) if group is not None else None
            (pools.append(pool) if pool is not None else missing.append(entry["name"]))
        return pools, missing

    # -- the events ------------------------------------------------------------------------------------------------

    def block(self, info: t.Mapping[str, t.Any], instance_id: str) -> TrafficOutcome:
        elb = self._elb()
        for entry in info.get("elbInfoList") or []:
            load_balancer = elb.get_load_balancer(entry["name"])
            if load_balancer is None:
                return TrafficOutcome(False, f"The Classic Load Balancer {entry['name']} does not exist.")
            if instance_id in load_balancer.instance_ids:
                elb.deregister_instances(entry["name"], [instance_id])
                elb.deregister_instances(entry["name"], [instance_id], from_autoscaling=True)
        elbv2 = self._elbv2()
        for entry in info.get("targetGroupInfoList") or []:
            group = self._target_group(entry["name"])
            if group is None:
                return TrafficOutcome(False, f"The target group {entry['name']} does not exist.")
            if instance_id in group.targets:
                elbv2.deregister_targets(group.arn, [{"Id": instance_id}])
        pools, _ = self._pools(info)
        timeout = max((pool.draining_timeout for pool in pools), default=0.0) + DRAIN_MARGIN
        load_balancers = self._load_balancers  # not None when there are pools
        if (
            pools
            and load_balancers is not None
            and not load_balancers.wait_until_gone(pools, instance_id, self._clock.seconds(timeout))
        ):
            return TrafficOutcome(
                False,
                f"The instance {instance_id} did not finish draining from its load "
                f"balancers within {timeout:g} seconds.",
            )
        return TrafficOutcome(True)

    def allow(self, info: t.Mapping[str, t.Any], instance_id: str) -> TrafficOutcome:
        elb = self._elb()
        from_auto_scaling = self._auto_scaling_names(instance_id)
        for entry in info.get("elbInfoList") or []:
            load_balancer = elb.get_load_balancer(entry["name"])
            if load_balancer is None:
                return TrafficOutcome(False, f"The Classic Load Balancer {entry['name']} does not exist.")
            if instance_id not in load_balancer.instance_ids:
                # An instance its Auto Scaling group registered goes back on the group's list, so the group can
                # still take it out when it terminates the instance.
                elb.register_instances(
                    entry["name"], [instance_id], from_autoscaling=entry["name"] in from_auto_scaling
                )
        elbv2 = self._elbv2()
        for entry in info.get("targetGroupInfoList") or []:
            group = self._target_group(entry["name"])
            if group is None:
                return TrafficOutcome(False, f"The target group {entry['name']} does not exist.")
            if instance_id not in group.targets:
                elbv2.register_targets(group.arn, [{"Id": instance_id, "Port": group.port}])
        pools, missing = self._pools(info)
        if missing:
            return TrafficOutcome(False, f"No lab load balancer serves {', '.join(missing)}.")
        load_balancers = self._load_balancers  # not None when there are pools
        if (
            pools
            and load_balancers is not None
            and not load_balancers.wait_until_healthy(pools, instance_id, self._clock.seconds(ALLOW_TRAFFIC_TIMEOUT))
        ):
            names = ", ".join(pool.name for pool in pools)
            return TrafficOutcome(
                False,
                f"The instance {instance_id} did not pass the health checks of {names} "
                f"within {ALLOW_TRAFFIC_TIMEOUT / 60:g} minutes.",
            )
        return TrafficOutcome(True)
