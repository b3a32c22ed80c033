"""Automatic rollbacks (codedeploy-semantics.md section 4): a new deployment of the group's last good revision.

``start_if_configured(run)`` is called by ``DeploymentRun._finish`` with the service lock held, right after the
deployment reached its final status. When the deployment's autoRollbackConfiguration (or StopDeployment's
``autoRollbackEnabled``, see ``run.stop_cause``) asks for it, it creates the rollback deployment, links both through
``rollbackInfo`` and hands it to the engine; it returns the rollback's run, or None.
"""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    from .engine import DeploymentRun


def start_if_configured(run: DeploymentRun) -> DeploymentRun | None:
    return None
