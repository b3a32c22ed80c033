"""The deployment engine: in-place and blue/green deployments run for real on lab hosts, behind the lab's load balancers.

``attach(lab)`` sets ``lab.engine``; the CodeDeploy service then hands every new deployment to
``lab.engine.submit(backend, deployment)`` (see ``service/models.py``), and Auto Scaling launches of a deployment
group's Auto Scaling groups get the group's last successful revision before they take traffic.

Inside the package the engine imports its helpers and the helpers import ``run.py``, the interface they see of a
running deployment, never the engine (see ``run.py``).
"""

from __future__ import annotations

from ..lab import Lab
from . import autoscaling
from .engine import Engine
from .planning import Plan
from .planning import plan
from .run import DeploymentRun

__all__ = ["DeploymentRun", "Engine", "Plan", "attach", "plan"]


def attach(lab: Lab) -> Engine:
    """Wire the engine into ``lab`` with the rooms attached before it: the fleet, load balancers and faults; Auto
    Scaling launches find their deployment groups in ``lab.codedeploy``."""
    engine = Engine(lab.clock, fleet=lab.fleet, load_balancers=lab.load_balancers, faults=lab.faults)
    lab.engine = engine
    autoscaling.attach(engine, lab.codedeploy)
    lab.on_reset(engine.reset)
    lab.on_shutdown(lambda: autoscaling.attach(None))
    return engine
