"""The settings of a deployment group: the fields Create/UpdateDeploymentGroup set, each checked, then the rules
between them (docs/codedeploy-behavior.md#applications-configurations-and-groups, #bluegreen-on-ec2).

``merge(params, current, refs)`` is the one entry: a field left out keeps its current value (its default on
create); a field given replaces it whole.
"""

from __future__ import annotations

import copy
import typing as t

from . import api_model
from . import exceptions as exc
from . import validation as v
from .references import References

# The deployment-group fields that UpdateDeploymentGroup may change (API names), with what Get echoes by default.
DEFAULTS: dict[str, t.Any] = {
    "ec2TagFilters": [],
    "onPremisesInstanceTagFilters": [],
    "autoScalingGroups": [],
    "triggerConfigurations": [],
    "alarmConfiguration": None,
    "autoRollbackConfiguration": {"enabled": False},
    "outdatedInstancesStrategy": "UPDATE",
    "deploymentStyle": {"deploymentType": "IN_PLACE", "deploymentOption": "WITHOUT_TRAFFIC_CONTROL"},
    "blueGreenDeploymentConfiguration": None,
    "loadBalancerInfo": None,
    "ec2TagSet": None,
    "onPremisesTagSet": {"onPremisesTagSetList": []},
    "ecsServices": None,
    "ec2DeploymentOptions": None,
    "terminationHookEnabled": False,
}

# Tag filters and a tag set select instances in two ways: a group uses one of them (the error when both are given),
# and setting tags in one empties the other.
TAG_CHOICES = (
    ("ec2TagFilters", "ec2TagSet", exc.InvalidEC2TagCombination),
    ("onPremisesInstanceTagFilters", "onPremisesTagSet", exc.InvalidOnPremisesTagCombination),
)
TAG_SET_LISTS = {"ec2TagSet": "ec2TagSetList", "onPremisesTagSet": "onPremisesTagSetList"}
EMPTIED: dict[str, tuple[str, t.Any]] = {
    "ec2TagFilters": ("ec2TagSet", None),
    "ec2TagSet": ("ec2TagFilters", []),
    "onPremisesInstanceTagFilters": ("onPremisesTagSet", {"onPremisesTagSetList": []}),
    "onPremisesTagSet": ("onPremisesInstanceTagFilters", []),
}

# What the lab fills in for the parts of a blue/green configuration that are left out
# (docs/codedeploy-behavior.md#where-the-lab-decides); their numbers are the API model's defaults (api_model.py).
BLUE_GREEN_DEFAULTS: dict[str, dict[str, t.Any]] = {
    "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT"},
    "greenFleetProvisioningOption": {"action": "DISCOVER_EXISTING"},
    "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE"},
}
# The members of a blue/green configuration, in the order they are checked (their rules: validation.RULES).
BLUE_GREEN_MEMBERS = (
    ("deploymentReadyOption", "actionOnTimeout"),
    ("deploymentReadyOption", "waitTimeInMinutes"),
    ("terminateBlueInstancesOnDeploymentSuccess", "terminationWaitTimeInMinutes"),
    ("greenFleetProvisioningOption", "action"),
    ("terminateBlueInstancesOnDeploymentSuccess", "action"),
)


def merge(params: dict[str, t.Any], current: dict[str, t.Any] | None, refs: References) -> dict[str, t.Any]:
    """Validate the deployment-group fields given in ``params`` and merge them over ``current``."""
    given = {key: params[key] for key in DEFAULTS if params.get(key) is not None}
    _check_tag_choices(given)
    settings = dict(current) if current is not None else copy.deepcopy(DEFAULTS)
    for key, check in FIELD_CHECKS.items():
        if key in given:
            settings[key] = check(given[key], refs)
    for key in given.keys() & EMPTIED.keys():
        other, empty = EMPTIED[key]
        if _has_tags(key, settings[key]):
            settings[other] = copy.deepcopy(empty)
    blue_green = _check_style(settings)
    if "blueGreenDeploymentConfiguration" in given or (
        blue_green and settings["blueGreenDeploymentConfiguration"] is None
    ):
        settings["blueGreenDeploymentConfiguration"] = blue_green_configuration(
            given.get("blueGreenDeploymentConfiguration") or {}
        )
    if blue_green:
        _check_copied_group(settings)
    return settings


def _has_tags(key: str, value: t.Any) -> bool:
    if key in TAG_SET_LISTS:
        return bool((value or {}).get(TAG_SET_LISTS[key]))
    return bool(value)


def _check_tag_choices(given: dict[str, t.Any]) -> None:
    for filters, tag_set, error in TAG_CHOICES:
        if _has_tags(filters, given.get(filters)) and _has_tags(tag_set, given.get(tag_set)):
            raise error(f"{filters} and {tag_set} cannot both be given: use one of them.")


# --- one field at a time ------------------------------------------------------------------------------------------


def _ec2_tag_set(value: t.Any, refs: References) -> dict[str, t.Any] | None:
    tag_set = v.tag_set(value, "ec2TagSet", "ec2TagSetList", exc.InvalidEC2Tag)
    return tag_set if tag_set["ec2TagSetList"] else None


def _auto_scaling_groups(value: t.Any, refs: References) -> list[str]:
    names = v.check("autoScalingGroups", list(dict.fromkeys(value)))
    missing = [name for name in names if refs.auto_scaling_group(name) is None]
    if missing:
        raise exc.InvalidAutoScalingGroup(f"Auto Scaling group(s) not found: {', '.join(missing)}.")
    return t.cast(list[str], names)


def _triggers(triggers: list[dict[str, t.Any]], refs: References) -> list[dict[str, t.Any]]:
    v.check("triggerConfigurations", triggers)
    result, names = [], set()
    for trigger in triggers:
        name, target = trigger.get("triggerName"), trigger.get("triggerTargetArn")
        if not name:
            raise exc.InvalidTriggerConfig("Every trigger needs a triggerName.")
        if name in names:
            raise exc.InvalidTriggerConfig(f"The trigger name {name} is used more than once.")
        names.add(name)
        if not target or refs.sns_topic(target) is None:
            raise exc.InvalidTriggerConfig(
                f"The trigger {name} has an invalid target: SNS topic {target} does not exist."
            )
        events = trigger.get("triggerEvents") or []
        if not events:
            raise exc.InvalidTriggerConfig(f"The trigger {name} needs at least one trigger event.")
        for event in events:
            v.check("triggerEvents", event, label=f"trigger {name} event")
        result.append({"triggerName": name, "triggerTargetArn": target, "triggerEvents": list(dict.fromkeys(events))})
    return result


def _deployment_style(style: dict[str, t.Any], refs: References) -> dict[str, str]:
    return {
        "deploymentType": v.check("deploymentStyle.deploymentType", style.get("deploymentType", "IN_PLACE")),
        "deploymentOption": v.check(
            "deploymentStyle.deploymentOption", style.get("deploymentOption", "WITHOUT_TRAFFIC_CONTROL")
        ),
    }


def _load_balancers(info: dict[str, t.Any], refs: References) -> dict[str, t.Any] | None:
    if info.get("targetGroupPairInfoList"):
        raise exc.InvalidTargetGroupPair(
            "targetGroupPairInfoList applies to ECS deployment groups only; use "
            "elbInfoList or targetGroupInfoList for the Server compute platform."
        )
    result: dict[str, t.Any] = {}
    for key, lookup, kind in (
        ("elbInfoList", refs.classic_load_balancer, "Classic Load Balancer"),
        ("targetGroupInfoList", refs.target_group, "target group"),
    ):
        entries = v.check("loadBalancerInfo.list", info.get(key) or [], label=key)
        names = []
        for entry in entries:
            name = (entry or {}).get("name")
            if not name:
                raise exc.InvalidLoadBalancerInfo(f"Every entry of {key} needs a name.")
            if lookup(name) is None:
                raise exc.InvalidLoadBalancerInfo(f"The {kind} {name} in {key} does not exist.")
            names.append(name)
        if names:
            result[key] = [{"name": name} for name in dict.fromkeys(names)]
    return result or None


def _ecs_services(value: t.Any, refs: References) -> None:
    if value:
        raise exc.InvalidECSService(
            "ecsServices applies to ECS deployment groups only; remove it for the Server compute platform."
        )


FIELD_CHECKS: dict[str, t.Callable[[t.Any, References], t.Any]] = {  # checked in this order: the first error wins
    "ec2TagFilters": lambda value, refs: v.tag_filters(value, "ec2TagFilters", exc.InvalidEC2Tag),
    "ec2TagSet": _ec2_tag_set,
    "onPremisesInstanceTagFilters": lambda value, refs: v.tag_filters(
        value, "onPremisesInstanceTagFilters", exc.InvalidTag
    ),
    "onPremisesTagSet": lambda value, refs: v.tag_set(
        value, "onPremisesTagSet", "onPremisesTagSetList", exc.InvalidTag
    ),
    "autoScalingGroups": _auto_scaling_groups,
    "triggerConfigurations": _triggers,
    "alarmConfiguration": lambda value, refs: v.alarm_configuration(value, refs.alarm_exists),
    "autoRollbackConfiguration": lambda value, refs: v.auto_rollback_configuration(value),
    "outdatedInstancesStrategy": lambda value, refs: v.check("outdatedInstancesStrategy", value),
    "deploymentStyle": _deployment_style,
    "loadBalancerInfo": _load_balancers,
    "ecsServices": _ecs_services,
    "ec2DeploymentOptions": lambda value, refs: v.ec2_deployment_options(value),
    "terminationHookEnabled": lambda value, refs: bool(value),
}  # blueGreenDeploymentConfiguration: after the deployment style, in merge


# --- the rules between fields -------------------------------------------------------------------------------------


def _check_style(settings: dict[str, t.Any]) -> bool:
    """Whether the group is blue/green; a blue/green group and any group WITH_TRAFFIC_CONTROL need a load balancer."""
    style = settings["deploymentStyle"]
    blue_green = style["deploymentType"] == "BLUE_GREEN"
    if blue_green and style["deploymentOption"] == "WITHOUT_TRAFFIC_CONTROL":
        raise exc.InvalidDeploymentStyle(
            "A BLUE_GREEN deployment style needs deploymentOption WITH_TRAFFIC_CONTROL: blue/green "
            "deployments on EC2 route traffic through a load balancer."
        )
    if style["deploymentOption"] == "WITH_TRAFFIC_CONTROL":
        info = settings["loadBalancerInfo"] or {}
        if not info.get("elbInfoList") and not info.get("targetGroupInfoList"):
            raise exc.InvalidLoadBalancerInfo(
                "The specification for load balancing in the deployment group is invalid. The deploymentOption "
                "value is set to WITH_TRAFFIC_CONTROL, but either no load balancer was specified in elbInfoList "
                "or no target group was specified in targetGroupInfoList."
            )
    return blue_green


def blue_green_configuration(given: dict[str, t.Any]) -> dict[str, t.Any]:
    """A whole blue/green configuration from the parts given: the lab's choices for the parts left out, the API
    model's defaults for the members left out (an omitted terminationWaitTimeInMinutes is 0)."""
    parts = {part: {**choices, **(given.get(part) or {})} for part, choices in BLUE_GREEN_DEFAULTS.items()}
    filled = api_model.with_defaults(api_model.shape("BlueGreenDeploymentConfiguration"), parts)
    result: dict[str, dict[str, t.Any]] = {part: {} for part in BLUE_GREEN_DEFAULTS}
    for part, member in BLUE_GREEN_MEMBERS:
        result[part][member] = v.check(f"{part}.{member}", filled[part].get(member))
    return result


def _check_copied_group(settings: dict[str, t.Any]) -> None:
    """COPY_AUTO_SCALING_GROUP copies exactly one Auto Scaling group."""
    provisioning = settings["blueGreenDeploymentConfiguration"]["greenFleetProvisioningOption"]["action"]
    if provisioning == "COPY_AUTO_SCALING_GROUP" and len(settings["autoScalingGroups"]) != 1:
        raise exc.InvalidBlueGreenDeploymentConfiguration(
            "Exactly one AutoScaling group must be specifed when selecting the COPY_AUTO_SCALING_GROUP "
            "green fleet provisioning option."
        )
