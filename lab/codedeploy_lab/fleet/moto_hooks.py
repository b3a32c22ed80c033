"""Every EC2 instance moto launches (RunInstances, Auto Scaling) becomes a lab host; terminate removes it.

We wrap moto's ``EC2Backend`` methods in-process, once per process. The wrappers call the fleet that is attached
(``attach(fleet)``), after moto has done its own work, so a moto error leaves the fleet untouched.
"""

from __future__ import annotations

import logging
import typing as t

from .host import decode_user_data
from .metadata import InstanceIdentity

if t.TYPE_CHECKING:
    from . import Fleet

LOG = logging.getLogger("codedeploy_lab.fleet")

_fleet: Fleet | None = None
_installed = False


def attach(fleet: Fleet) -> None:
    global _fleet
    _install()
    _fleet = fleet


def detach(fleet: Fleet) -> None:
    global _fleet
    if _fleet is fleet:
        _fleet = None


def identity_of(instance: t.Any) -> InstanceIdentity:
    """What a host needs to know about its moto instance."""
    backend = instance.ec2_backend

    def profile_lookup() -> str | None:
        association = backend.iam_instance_profile_associations.get(instance.id)
        profile = getattr(association, "iam_instance_profile", None)
        return getattr(profile, "arn", None)

    return InstanceIdentity(
        instance_id=instance.id,
        region=backend.region_name,
        availability_zone=instance.availability_zone or f"{backend.region_name}a",
        account_id=instance.owner_id,
        image_id=instance.image_id or "ami-00000000",
        instance_type=instance.instance_type,
        private_ip=instance.private_ip or "10.0.0.10",
        public_ip=instance.public_ip,
        launch_time=_iso(instance.launch_time),
        http_tokens=getattr(instance.metadata_options, "http_tokens", "optional"),
        user_data=decode_user_data(instance.user_data),
        tags={tag["key"]: tag["value"] for tag in backend.describe_tags(filters={"resource-id": [instance.id]})},
        profile_lookup=profile_lookup,
    )


def _iso(value: t.Any) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if hasattr(value, "strftime") else str(value)


def _install() -> None:
    global _installed
    if _installed:
        return
    from moto.ec2.models import EC2Backend

    original_run = EC2Backend.run_instances
    original_terminate = EC2Backend.terminate_instances
    original_stop = EC2Backend.stop_instances
    original_start = EC2Backend.start_instances
    original_reboot = EC2Backend.reboot_instances

    def run_instances(self: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:
        reservation = original_run(self, *args, **kwargs)
        if _fleet is not None:
            for instance in reservation.instances:
                _fleet.launch(identity_of(instance))
        return reservation

    def terminate_instances(self: t.Any, instance_ids: list[str]) -> t.Any:
        result = original_terminate(self, instance_ids)
        if _fleet is not None:
            for instance, _ in result:
                _fleet.terminate(instance.id)
        return result

    def stop_instances(self: t.Any, instance_ids: list[str]) -> t.Any:
        result = original_stop(self, instance_ids)
        if _fleet is not None:
            for instance, _ in result:
                _fleet.stop(instance.id)
        return result

    def start_instances(self: t.Any, instance_ids: list[str]) -> t.Any:
        result = original_start(self, instance_ids)
        if _fleet is not None:
            for instance, _ in result:
                _fleet.start(instance.id)
        return result

    def reboot_instances(self: t.Any, instance_ids: list[str]) -> t.Any:
        result = original_reboot(self, instance_ids)
        if _fleet is not None:
            for instance in result:
                _fleet.stop(instance.id)
                _fleet.start(instance.id)
        return result

    EC2Backend.run_instances = run_instances  # type: ignore[method-assign]
    EC2Backend.terminate_instances = terminate_instances  # type: ignore[method-assign]
    EC2Backend.stop_instances = stop_instances  # type: ignore[method-assign]
    EC2Backend.start_instances = start_instances  # type: ignore[method-assign]
    EC2Backend.reboot_instances = reboot_instances  # type: ignore[method-assign]
    _installed = True
