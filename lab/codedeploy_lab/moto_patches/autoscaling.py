"""Auto Scaling: the calls ``autoscaling_group`` makes that moto lacks, and launches held for the deployment engine.

1. ``autoscaling_group`` calls DisableMetricsCollection and Put/DeleteNotificationConfiguration on update; moto has
   none of them (NotImplementedError, HTTP 500).
2. Launches: on AWS a launch lifecycle hook holds a new instance in ``Pending:Wait`` while CodeDeploy deploys to it
   (docs/codedeploy-behavior.md#auto-scaling). moto has no lifecycle-hook states, so the listener a room registered
   (``HOOKS.auto_scaling_launches``: the deployment engine) hears of every instance moto's
   ``replace_autoscaling_group_instances`` launched and may hold it in ``Pending:Wait`` (moto registers only
   ``InService`` instances with Classic Load Balancers); ``update_attached_target_groups`` registers every instance,
   so held ones are taken out of their target groups again.
"""

from __future__ import annotations

import logging
import typing as t

from moto.autoscaling.models import AutoScalingBackend
from moto.autoscaling.models import FakeAutoScalingGroup
from moto.autoscaling.responses import AutoScalingResponse
from moto.core.responses import EmptyResult

from .hooks import HOOKS
from .patching import replace

LOG = logging.getLogger("codedeploy_lab.deployments")

PENDING_WAIT = "Pending:Wait"


def install() -> None:
    _add_update_calls()
    _hold_launches()


def _add_update_calls() -> None:
    def disable_metrics_collection(self: AutoScalingResponse) -> t.Any:
        group = self.autoscaling_backend.describe_auto_scaling_groups([self._get_param("AutoScalingGroupName")])
        disabled = self._get_param("Metrics") or []
        for each in group:
            each.metrics = [m for m in each.metrics if disabled and m not in disabled]
        return EmptyResult()

    def put_notification_configuration(self: AutoScalingResponse) -> t.Any:
        groups = self.autoscaling_backend.describe_auto_scaling_groups([self._get_param("AutoScalingGroupName")])
        for group in groups:  # kept on the group (an attribute moto's class lacks), so a reset forgets them
            configurations = vars(group).setdefault("lab_notification_configurations", {})
            configurations[self._get_param("TopicARN")] = self._get_param("NotificationTypes") or []
        return EmptyResult()

    def delete_notification_configuration(self: AutoScalingResponse) -> t.Any:
        groups = self.autoscaling_backend.describe_auto_scaling_groups([self._get_param("AutoScalingGroupName")])
        for group in groups:
            vars(group).get("lab_notification_configurations", {}).pop(self._get_param("TopicARN"), None)
        return EmptyResult()

    replace(AutoScalingResponse, "disable_metrics_collection", disable_metrics_collection)
    replace(AutoScalingResponse, "put_notification_configuration", put_notification_configuration)
    replace(AutoScalingResponse, "delete_notification_configuration", delete_notification_configuration)


def _hold_launches() -> None:
    original_replace = FakeAutoScalingGroup.replace_autoscaling_group_instances
    original_update_target_groups = AutoScalingBackend.update_attached_target_groups

    def replace_autoscaling_group_instances(self: t.Any, count_needed: int, propagated_tags: dict[str, str]) -> None:
        before = {id(state) for state in self.instance_states}
        original_replace(self, count_needed, propagated_tags)
        listener = HOOKS.auto_scaling_launches
        if listener is not None:
            launched = [state for state in self.instance_states if id(state) not in before]
            try:
                listener(self, launched)
            except Exception:  # a launch must never fail moto's own call
                LOG.exception("Auto Scaling group %s: launch deployments failed", self.name)

    def update_attached_target_groups(self: t.Any, group_name: str) -> None:
        original_update_target_groups(self, group_name)
        group = self.autoscaling_groups.get(group_name)
        if group is None or not group.target_group_arns:
            return
        held = [{"Id": state.instance.id} for state in group.instance_states if state.lifecycle_state == PENDING_WAIT]
        for arn in group.target_group_arns:
            target_group = self.elbv2_backend.target_groups.get(arn)
            registered = [
                target for target in held if target_group is not None and target["Id"] in target_group.targets
            ]
            if registered:
                self.elbv2_backend.deregister_targets(arn, registered)

    replace(FakeAutoScalingGroup, "replace_autoscaling_group_instances", replace_autoscaling_group_instances)
    replace(AutoScalingBackend, "update_attached_target_groups", update_attached_target_groups)
