"""The fleet's ear on moto's EC2: every instance moto launches (RunInstances, Auto Scaling) becomes a lab host, and
stopping, starting and terminating it reaches the host (``attach(fleet)``).

The patch itself is ``codedeploy_lab.moto_patches.ec2``; this module is what it calls.
"""

from __future__ import annotations

import typing as t

from .. import moto_patches
from .host import decode_user_data
from .metadata import InstanceIdentity


class InstanceHosts(t.Protocol):
    """A fleet as EC2 drives it (``Fleet``, ``SimulatedFleet``)."""

    def launch(self, identity: InstanceIdentity) -> t.Any: ...

    def terminate(self, instance_id: str) -> None: ...

    def stop(self, instance_id: str) -> None: ...

    def start(self, instance_id: str) -> None: ...


class _FleetInstances:
    """``moto_patches.hooks.InstanceListener`` for one fleet."""

    def __init__(self, fleet: InstanceHosts) -> None:
        self.fleet = fleet

    def launched(self, instance: t.Any) -> None:
        self.fleet.launch(identity_of(instance))

    def terminated(self, instance_id: str) -> None:
        self.fleet.terminate(instance_id)

    def stopped(self, instance_id: str) -> None:
        self.fleet.stop(instance_id)

    def started(self, instance_id: str) -> None:
        self.fleet.start(instance_id)


_attached: _FleetInstances | None = None


def attach(fleet: InstanceHosts) -> None:
    global _attached
    _attached = _FleetInstances(fleet)
    moto_patches.listen_to_instances(_attached)


def detach(fleet: InstanceHosts) -> None:
    global _attached
    if _attached is not None and _attached.fleet is fleet:
        _attached = None
        moto_patches.listen_to_instances(None)


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
