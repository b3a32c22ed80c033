"""moto's ELB and ELBv2 answer health questions from the lab's load balancers: ``report_from(manager)``.

The patches are ``codedeploy_lab.moto_patches.elb`` and ``.elbv2``; this is the load balancers' side of them.
"""

from __future__ import annotations

from .. import moto_patches
from .manager import LoadBalancers


def report_from(manager: LoadBalancers | None) -> None:
    """Answer DescribeInstanceHealth / DescribeTargetHealth from ``manager`` (None: moto's own answers again)."""
    moto_patches.report_target_health_from(manager)
