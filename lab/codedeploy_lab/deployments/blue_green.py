"""Blue/green deployments on EC2 (codedeploy-semantics.md section 5): provision green, deploy, reroute, retire blue.

``run(deployment_run, group)`` is called by ``DeploymentRun._run`` for a BLUE_GREEN deployment (its status is
``Queued``); it must end the deployment through ``deployment_run._finish``. ``continue_run`` serves
ContinueDeployment and returns False when the run is not waiting for that kind of continuation.
"""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    from ..service.models import DeploymentGroup
    from .engine import DeploymentRun


def run(deployment_run: DeploymentRun, group: DeploymentGroup) -> None:
    deployment_run._finish("Failed", "INTERNAL_ERROR",
                           "The CodeDeploy lab does not run blue/green deployments yet; use an in-place deployment "
                           "group (deploymentStyle.deploymentType IN_PLACE).")


def continue_run(deployment_run: DeploymentRun, wait_type: str) -> bool:
    return False
