"""Lookups of the resources a deployment group names, in moto's backends of the same account and region.

The lab serves moto's services in this process, so a reference is checked against moto's own state: an IAM role,
Auto Scaling groups (and CodeDeploy's lifecycle hooks on them), load balancers, target groups, alarms, SNS topics.
"""

from __future__ import annotations

import typing as t

from moto.autoscaling.models import autoscaling_backends
from moto.cloudwatch.models import cloudwatch_backends
from moto.elb.models import elb_backends
from moto.elbv2.models import elbv2_backends
from moto.iam.models import iam_backends
from moto.sns.models import sns_backends
from moto.utilities.utils import get_partition

from . import validation as v


class References:
    def __init__(self, account_id: str, region: str) -> None:
        self.account_id = account_id
        self.region = region

    def role(self, arn: str) -> t.Any:
        try:
            return iam_backends[self.account_id][get_partition(self.region)].get_role_by_arn(arn)
        except Exception:
            return None

    def auto_scaling_backend(self) -> t.Any:
        return autoscaling_backends[self.account_id][self.region]

    def auto_scaling_group(self, name: str) -> t.Any:
        return self.auto_scaling_backend().autoscaling_groups.get(name)

    def classic_load_balancer(self, name: str) -> t.Any:
        return elb_backends[self.account_id][self.region].load_balancers.get(name)

    def target_group(self, name: str) -> t.Any:
        groups = elbv2_backends[self.account_id][self.region].target_groups.values()
        return next((group for group in groups if group.name == name), None)

    def alarm_exists(self, name: str) -> bool:
        return name in cloudwatch_backends[self.account_id][self.region].alarms

    def sns_topic(self, arn: str) -> t.Any:
        match = v.SNS_TOPIC_ARN.match(arn or "")
        if not match:
            return None
        region, account = match.group(1), match.group(2)
        try:
            return sns_backends[account][region].topics.get(arn)
        except KeyError:
            return None

    def put_lifecycle_hook(self, group_name: str, hook_name: str, transition: str) -> None:
        self.auto_scaling_backend().create_lifecycle_hook(
            name=hook_name, as_name=group_name, transition=transition, timeout=600, result="ABANDON"
        )

    def delete_lifecycle_hook(self, group_name: str, hook_name: str) -> bool:
        backend = self.auto_scaling_backend()
        if group_name not in backend.autoscaling_groups:
            return False
        backend.delete_lifecycle_hook(group_name, hook_name)
        return True

    def lifecycle_hook_count(self, group_name: str) -> int:
        return len(self.auto_scaling_backend().describe_lifecycle_hooks(group_name))
