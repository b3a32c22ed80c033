"""CodeDeploy's lifecycle hooks on a deployment group's Auto Scaling groups (docs/codedeploy-behavior.md#auto-scaling).

A group installs a launch hook on each of its Auto Scaling groups, and a termination hook too when
``terminationHookEnabled``; it removes them from the Auto Scaling groups it leaves or when it is deleted.
"""

from __future__ import annotations

import typing as t
import uuid

from . import exceptions as exc
from . import validation as v
from .records import DeploymentGroup
from .references import References

LAUNCH_HOOK_PREFIX = "CodeDeploy-managed-automatic-launch-deployment-hook"
TERMINATION_HOOK_PREFIX = "CodeDeploy-managed-termination-hook"


def sync_hooks(refs: References, group: DeploymentGroup) -> list[dict[str, t.Any]]:
    """Install the group's hooks on its Auto Scaling groups; remove them from those it left. The hooks that could
    not be removed (their Auto Scaling group is gone) as ``hooksNotCleanedUp``."""
    wanted = set(group.auto_scaling_group_names)
    not_cleaned = remove_hooks(refs, group, [name for name in group.hooks if name not in wanted])
    termination_hook = group.settings["terminationHookEnabled"]
    for name in group.auto_scaling_group_names:
        hooks = group.hooks.setdefault(name, {"hook": None, "terminationHook": None})
        if hooks["hook"] is None:
            hooks["hook"] = _put(refs, name, f"{LAUNCH_HOOK_PREFIX}-{group.name}", "autoscaling:EC2_INSTANCE_LAUNCHING")
        terminating = hooks["terminationHook"]
        if termination_hook and terminating is None:
            hooks["terminationHook"] = _put(
                refs, name, f"{TERMINATION_HOOK_PREFIX}-{group.name}", "autoscaling:EC2_INSTANCE_TERMINATING"
            )
        elif not termination_hook and terminating is not None:
            refs.delete_lifecycle_hook(name, terminating)
            hooks["terminationHook"] = None
    return not_cleaned


def _put(refs: References, group_name: str, prefix: str, transition: str) -> str:
    hook_name = f"{prefix}-{uuid.uuid4()}"
    refs.put_lifecycle_hook(group_name, hook_name, transition)
    return hook_name


def remove_hooks(refs: References, group: DeploymentGroup, asg_names: list[str]) -> list[dict[str, t.Any]]:
    not_cleaned = []
    for name in asg_names:
        for hook in group.hooks.pop(name, {}).values():
            if hook and not refs.delete_lifecycle_hook(name, hook):
                not_cleaned.append({"name": name, "hook": hook})
    return not_cleaned


def check_room_for_hooks(refs: References, asg_names: list[str], group: DeploymentGroup | None) -> None:
    """Each Auto Scaling group the group does not hook yet has room for one more lifecycle hook."""
    for name in asg_names:
        if group is not None and name in group.hooks:
            continue
        if refs.lifecycle_hook_count(name) >= v.MAX_LIFECYCLE_HOOKS_PER_ASG:
            raise exc.LifecycleHookLimitExceeded(
                f"The Auto Scaling group {name} already has {v.MAX_LIFECYCLE_HOOKS_PER_ASG} lifecycle hooks."
            )
