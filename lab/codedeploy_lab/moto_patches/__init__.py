"""Every change the lab makes to moto (5.2.5), in one place: one module per moto service, installed by ``install()``.

The patches replace attributes of moto's classes (``patching.REPLACED`` lists them), so they survive
``/moto-api/reset``, which recreates backend instances, not classes. ``install()`` runs once per process, in the lab
process before the first request reaches moto (``server.build_lab``).

* ``iam``: AWS-managed policies exist;
* ``elb``, ``elbv2``: moto's gaps that ``elb_classic_lb`` trips over; instance and target health as the lab's load
  balancers see it;
* ``ec2``: launched, stopped, started and terminated instances are told to the fleet;
* ``autoscaling``: the update calls ``autoscaling_group`` makes; launches held in ``Pending:Wait`` for the engine;
* ``s3``: large objects stream.

The patches import no room: a room registers what the patches call (``hooks.py``) through the functions below, which
also install the patches, so a room used on its own (a test's fleet or load balancers beside moto in the same process)
gets them too.
"""

from __future__ import annotations

from ..rooms import LoadBalancerRoom
from . import autoscaling
from . import ec2
from . import elb
from . import elbv2
from . import iam
from . import s3
from .hooks import HOOKS
from .hooks import InstanceListener
from .hooks import LaunchListener

__all__ = ["install", "listen_to_auto_scaling_launches", "listen_to_instances", "report_target_health_from"]

_installed = False


def install() -> None:
    """Patch moto, once per process."""
    global _installed
    if _installed:
        return
    iam.install()  # before moto builds its IAM backend: it reads the setting then
    elb.install()
    elbv2.install()
    ec2.install()
    autoscaling.install()
    s3.install()
    _installed = True


def listen_to_instances(listener: InstanceListener | None) -> None:
    """EC2 tells ``listener`` of its instances (None: nobody)."""
    install()
    HOOKS.instances = listener


def report_target_health_from(load_balancers: LoadBalancerRoom | None) -> None:
    """DescribeInstanceHealth and DescribeTargetHealth answer from ``load_balancers`` (None: moto's own answers)."""
    install()
    HOOKS.target_health = load_balancers


def listen_to_auto_scaling_launches(listener: LaunchListener | None) -> None:
    """Auto Scaling tells ``listener`` of every instance a group launches (None: nobody; they go InService)."""
    install()
    HOOKS.auto_scaling_launches = listener
