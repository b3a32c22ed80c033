"""The fleets of a blue/green deployment: provision green, hand over, retire blue.

How CodeDeploy provisions and retires them: docs/codedeploy-behavior.md#bluegreen-on-ec2.

Everything here works on moto's backends in this process, as CodeDeploy works on Auto Scaling and EC2 with its
service role: COPY_AUTO_SCALING_GROUP creates ``CodeDeploy_<deployment group>_<deployment id>`` from the group's one
Auto Scaling group; DISCOVER_EXISTING finds the instances named by the deployment's ``targetInstances``. The lab's
fleet room boots a host for every instance moto launches; ``wait_booted`` waits for their user data.
"""

from __future__ import annotations

import logging
import time
import typing as t
from dataclasses import dataclass
from dataclasses import field

from moto.autoscaling.models import autoscaling_backends
from moto.ec2.models import ec2_backends

from ..rooms import FleetRoom
from ..service.models import CodeDeployBackend
from ..service.records import DeploymentGroup
from . import planning

LOG = logging.getLogger("codedeploy_lab.deployments")

PROVISIONING_TAG = "CodeDeployProvisioningDeploymentId"
BOOT_TIMEOUT = 600.0  # real seconds a green host may take to finish its user data


class ProvisioningError(Exception):
    """The green fleet could not be provisioned; the message says why, for the deployment's errorInformation."""


@dataclass
class Fleets:
    """Who is who in one blue/green deployment."""

    blue: list[str]
    green: list[str] = field(default_factory=list)
    original_groups: list[str] = field(default_factory=list)  # the deployment group's Auto Scaling groups before
    green_group: str | None = None  # the copied group (COPY_AUTO_SCALING_GROUP)


def green_group_name(deployment_group_name: str, deployment_id: str) -> str:
    return f"CodeDeploy_{deployment_group_name}_{deployment_id}"


def _auto_scaling(backend: CodeDeployBackend) -> t.Any:
    return autoscaling_backends[backend.account_id][backend.region]


def _ec2(backend: CodeDeployBackend) -> t.Any:
    return ec2_backends[backend.account_id][backend.region]


def in_service(auto_scaling_group: t.Any) -> list[str]:
    return sorted(
        state.instance.id for state in auto_scaling_group.instance_states if state.lifecycle_state == "InService"
    )


# -- provisioning ------------------------------------------------------------------------------------------------------


def copy_auto_scaling_group(
    backend: CodeDeployBackend, original_name: str, new_name: str, deployment_id: str
) -> list[str]:
    """Create ``new_name`` as a copy of ``original_name`` with as many instances as the original has InService.

    Copied: launch template (or configuration, or mixed instances policy), sizes, AZs, subnets, health check
    settings, cooldown, termination policies and tags, plus ``CodeDeployProvisioningDeploymentId``. Load balancers
    and target groups are attached only when traffic moves (``hand_over``): on AWS the copy's AddToLoadBalancer
    process stays suspended until then.
    """
    auto_scaling = _auto_scaling(backend)
    original = auto_scaling.autoscaling_groups.get(original_name)
    if original is None:
        raise ProvisioningError(
            f"The Auto Scaling group {original_name} of the deployment group no longer exists, "
            "so there is nothing to copy for the replacement fleet."
        )
    if new_name in auto_scaling.autoscaling_groups:
        return in_service(auto_scaling.autoscaling_groups[new_name])
    capacity = len(in_service(original))
    if capacity == 0:
        raise ProvisioningError(planning.NO_INSTANCES_MESSAGE)
    launch_config_name = launch_template = mixed_policy = None
    if original.launch_config is not None and getattr(original, "launch_configuration_name", None):
        launch_config_name = original.launch_configuration_name
    elif original.mixed_instances_policy:
        mixed_policy = original.mixed_instances_policy
    elif original.ec2_launch_template is not None:
        launch_template = {"LaunchTemplateId": original.ec2_launch_template.id}
        if original.provided_launch_template_version:
            launch_template["Version"] = original.provided_launch_template_version
    tags = [
        {
            "ResourceId": new_name,
            "ResourceType": "auto-scaling-group",
            "Key": tag["Key"],
            "Value": tag["Value"],
            "PropagateAtLaunch": tag.get("PropagateAtLaunch", False),
        }
        for tag in original.tags
        if tag["Key"] != PROVISIONING_TAG
    ]
    tags.append(
        {
            "ResourceId": new_name,
            "ResourceType": "auto-scaling-group",
            "Key": PROVISIONING_TAG,
            "Value": deployment_id,
            "PropagateAtLaunch": False,
        }
    )
    try:
        group = auto_scaling.create_auto_scaling_group(
            name=new_name,
            availability_zones=list(original.availability_zones or []),
            desired_capacity=capacity,
            max_size=max(original.max_size, capacity),
            min_size=min(original.min_size, capacity),
            launch_config_name=launch_config_name,
            launch_template=launch_template,
            vpc_zone_identifier=original.vpc_zone_identifier,
            default_cooldown=original.default_cooldown,
            health_check_period=original.health_check_grace_period,
            health_check_type=original.health_check_type,
            load_balancers=[],
            target_group_arns=[],
            placement_group=original.placement_group,
            termination_policies=list(original.termination_policies),
            tags=tags,
            new_instances_protected_from_scale_in=original.new_instances_protected_from_scale_in,
            mixed_instances_policy=mixed_policy,
        )
    except Exception as error:  # moto's validation error, e.g. a launch template deleted meanwhile
        raise ProvisioningError(f"CodeDeploy could not create the Auto Scaling group {new_name}: {error}") from error
    LOG.info("blue/green: %s copied to %s with %d instance(s)", original_name, new_name, capacity)
    return in_service(group)


def discover(backend: CodeDeployBackend, target_instances: t.Mapping[str, t.Any] | None) -> list[str]:
    """DISCOVER_EXISTING: running instances matching ``targetInstances`` (tag filters, tag set, Auto Scaling groups)."""
    target_instances = target_instances or {}
    found: set[str] = set()
    tag_filters = target_instances.get("tagFilters") or []
    tag_set = (target_instances.get("ec2TagSet") or {}).get("ec2TagSetList") or []
    if tag_filters or tag_set:
        for instance in _ec2(backend).all_instances():
            if instance.state not in ("pending", "running"):
                continue
            tags = {tag["key"]: tag["value"] for tag in instance.get_tags()}
            if (tag_filters and planning.matches_any(tag_filters, tags)) or (
                tag_set and planning.matches_tag_set(tag_set, tags)
            ):
                found.add(instance.id)
    auto_scaling = _auto_scaling(backend)
    for name in target_instances.get("autoScalingGroups") or []:
        group = auto_scaling.autoscaling_groups.get(name)
        if group is not None:
            found.update(in_service(group))
    return sorted(found)


def wait_booted(fleet: FleetRoom | None, instance_ids: t.Iterable[str], timeout: float = BOOT_TIMEOUT) -> list[str]:
    """Wait until every host finished booting (user data ran); returns the instances that have no lab host."""
    if fleet is None:
        return []
    deadline = time.monotonic() + timeout
    missing = []
    for instance_id in instance_ids:
        host = fleet.get(instance_id)
        if host is None:
            missing.append(instance_id)
            continue
        host.wait_booted(max(0.0, deadline - time.monotonic()))
    return missing


def instance_exists(backend: CodeDeployBackend, instance_id: str) -> bool:
    try:
        return _ec2(backend).get_instance(instance_id).state in ("pending", "running")
    except Exception:  # InvalidInstanceIdError: gone
        return False


# -- handing over and retiring -----------------------------------------------------------------------------------------


def hand_over(backend: CodeDeployBackend, group: DeploymentGroup, fleets: Fleets) -> None:
    """After the reroute: the deployment group's Auto Scaling list names the green group instead of the original
    (the launch hook moves with it, under a new name), and the original's load balancers go with the list.

    Called with the service lock held.
    """
    if fleets.green_group is None:
        return
    auto_scaling = _auto_scaling(backend)
    replaced = set(fleets.original_groups)
    names = [name for name in group.auto_scaling_group_names if name not in replaced]
    if fleets.green_group not in names:
        names.append(fleets.green_group)
    group.settings = {**group.settings, "autoScalingGroups": names}
    # The backend's own hook bookkeeping: removes the hook from the original, puts a new one on the copy.
    backend._sync_hooks(group)
    if fleets.green_group in auto_scaling.autoscaling_groups:
        for name in fleets.original_groups:
            # Out of the original first, so moto never registers a blue instance again.
            load_balancers, target_groups = _detach(auto_scaling, name)
            _attach(auto_scaling, fleets.green_group, load_balancers, target_groups)
    LOG.info("blue/green: deployment group %s now names %s", group.name, ", ".join(names))


def hand_back(backend: CodeDeployBackend, group: DeploymentGroup, fleets: Fleets) -> None:
    """A blue/green rollback: the original Auto Scaling groups take the green group's place again (if they exist)."""
    if fleets.green_group is None or fleets.green_group not in group.auto_scaling_group_names:
        return
    auto_scaling = _auto_scaling(backend)
    originals = [name for name in fleets.original_groups if name in auto_scaling.autoscaling_groups]
    if not originals:
        return
    names = [name for name in group.auto_scaling_group_names if name != fleets.green_group] + [
        name for name in originals if name not in group.auto_scaling_group_names
    ]
    group.settings = {**group.settings, "autoScalingGroups": names}
    backend._sync_hooks(group)
    load_balancers, target_groups = _detach(auto_scaling, fleets.green_group)
    for name in originals:
        _attach(auto_scaling, name, load_balancers, target_groups)


def _detach(auto_scaling: t.Any, group_name: str) -> tuple[list[str], list[str]]:
    """Take a group's load balancers and target groups off it; its instances are out of them already (BlockTraffic),
    and moto's own detach fails on targets that are not registered."""
    group = auto_scaling.autoscaling_groups.get(group_name)
    if group is None:
        return [], []
    load_balancers, target_groups = list(group.load_balancer_names), list(group.target_group_arns)
    group.load_balancer_names, group.target_group_arns = [], []
    return load_balancers, target_groups


def _attach(auto_scaling: t.Any, group_name: str, load_balancers: list[str], target_groups: list[str]) -> None:
    """Attach them to a group whose instances are registered already (AllowTraffic): later launches join them."""
    if group_name not in auto_scaling.autoscaling_groups:
        return
    if load_balancers:
        auto_scaling.attach_load_balancers(group_name, load_balancers)
    if target_groups:
        auto_scaling.attach_load_balancer_target_groups(group_name, target_groups)


def terminate_blue(backend: CodeDeployBackend, fleets: Fleets) -> None:
    """TERMINATE: delete the original Auto Scaling groups (ForceDelete) and terminate the other blue instances."""
    auto_scaling = _auto_scaling(backend)
    in_groups: set[str] = set()
    for name in fleets.original_groups:
        original = auto_scaling.autoscaling_groups.get(name)
        if original is None:
            continue
        in_groups.update(state.instance.id for state in original.instance_states)
        # ForceDelete: moto terminates the group's instances with it.
        auto_scaling.delete_auto_scaling_group(name)
        LOG.info("blue/green: original Auto Scaling group %s deleted", name)
    loose = [i for i in fleets.blue if i not in in_groups and instance_exists(backend, i)]
    for instance_id in loose:
        # An instance of some other Auto Scaling group leaves it (and is not replaced); a plain one terminates.
        member = next(
            (
                g
                for g in list(auto_scaling.autoscaling_groups.values())
                if any(s.instance.id == instance_id for s in g.instance_states)
            ),
            None,
        )
        if member is not None:
            auto_scaling.terminate_instance(instance_id, should_decrement=True)
        else:
            _ec2(backend).terminate_instances([instance_id])
    if loose:
        LOG.info("blue/green: terminated %s", ", ".join(loose))
