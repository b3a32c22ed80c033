"""EC2: every instance moto launches (RunInstances, Auto Scaling), stops, starts, reboots or terminates is told to the
listener a room registered (``HOOKS.instances``: the fleet makes each instance a lab host).

The listener hears after moto has done its own work, so a moto error leaves the fleet untouched.
"""

from __future__ import annotations

import typing as t

from moto.ec2.models import EC2Backend

from .hooks import HOOKS
from .patching import replace


def install() -> None:
    original_run = EC2Backend.run_instances
    original_terminate = EC2Backend.terminate_instances
    original_stop = EC2Backend.stop_instances
    original_start = EC2Backend.start_instances
    original_reboot = EC2Backend.reboot_instances

    def run_instances(self: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:
        reservation = original_run(self, *args, **kwargs)
        listener = HOOKS.instances
        if listener is not None:
            for instance in reservation.instances:
                listener.launched(instance)
        return reservation

    def reporting(original: t.Callable[..., t.Any], event: str) -> t.Callable[..., t.Any]:
        """original (terminate, stop or start), then listener.<event>(instance_id) for each instance it changed."""

        def patched(self: t.Any, instance_ids: list[str]) -> t.Any:
            result = original(self, instance_ids)
            listener = HOOKS.instances
            if listener is not None:
                for instance, _ in result:
                    getattr(listener, event)(instance.id)
            return result

        return patched

    def reboot_instances(self: t.Any, instance_ids: list[str]) -> t.Any:
        result = original_reboot(self, instance_ids)
        listener = HOOKS.instances
        if listener is not None:
            for instance in result:
                listener.stopped(instance.id)
                listener.started(instance.id)
        return result

    replace(EC2Backend, "run_instances", run_instances)
    replace(EC2Backend, "terminate_instances", reporting(original_terminate, "terminated"))
    replace(EC2Backend, "stop_instances", reporting(original_stop, "stopped"))
    replace(EC2Backend, "start_instances", reporting(original_start, "started"))
    replace(EC2Backend, "reboot_instances", reboot_instances)
