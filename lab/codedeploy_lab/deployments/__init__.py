"""The deployment engine: in-place deployments run for real on lab hosts, behind the lab's load balancers.

``attach(lab)`` sets ``lab.engine``; the CodeDeploy service then hands every new deployment to
``lab.engine.submit(backend, deployment)`` (see ``service/models.py``), and Auto Scaling launches of a deployment
group's Auto Scaling groups get the group's last successful revision before they take traffic.
"""

from __future__ import annotations

import typing as t

from .engine import DeploymentRun, Engine
from .planning import Plan, plan

__all__ = ["DeploymentRun", "Engine", "Plan", "attach", "plan"]


def attach(lab: t.Any) -> Engine:
    from . import autoscaling

    engine = Engine(lab)
    lab.engine = engine
    autoscaling.attach(engine)
    lab.on_reset(engine.reset)
    lab.on_shutdown(lambda: autoscaling.attach(None))
    return engine
