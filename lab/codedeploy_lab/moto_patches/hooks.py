"""What the patches tell the rooms, and what they ask them: the hooks a room registers (through the package's
``listen_to_*``/``report_*`` functions). A patch reads the hook each time it runs, so a room can come and go."""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from ..rooms import LoadBalancerRoom


class InstanceListener(t.Protocol):
    """Hears of moto's EC2 instances after moto changed them (the fleet: ``fleet.moto_hooks``)."""

    def launched(self, instance: t.Any) -> None:
        """``instance``: moto's ``ec2.models.Instance``, just launched (RunInstances, Auto Scaling)."""
        ...

    def terminated(self, instance_id: str) -> None: ...

    def stopped(self, instance_id: str) -> None: ...

    def started(self, instance_id: str) -> None: ...


LaunchListener = t.Callable[[t.Any, list[t.Any]], None]
"""``(auto_scaling_group, launched_instance_states)`` after an Auto Scaling group launched instances (moto's
``FakeAutoScalingGroup`` and its new ``InstanceState`` objects); the deployment engine holds and deploys to them."""


@dataclass
class Hooks:
    instances: InstanceListener | None = None
    target_health: LoadBalancerRoom | None = None  # None: moto's own health answers
    auto_scaling_launches: LaunchListener | None = None


HOOKS = Hooks()  # one lab per process
