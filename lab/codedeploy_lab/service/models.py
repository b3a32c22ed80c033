"""The CodeDeploy control plane: one backend per account and region, all of them under one lock.

Shapes follow botocore's model (``api_model.py``); behaviour follows docs/codedeploy-behavior.md (from
docs/codedeploy-behavior.md#conventions-and-quotas on; the lab's own choices:
docs/codedeploy-behavior.md#where-the-lab-decides). Every public backend method is one API operation: it takes
unpacked parameters (``responses.py`` does the unpacking), validates them as AWS does, changes state under the
service lock and returns the response body as a dict. The operations live with their resource, one module each;
``CodeDeployBackend`` composes them:

| module | operations |
|---|---|
| ``applications.py`` | applications, GitHub connections |
| ``deployment_configs.py`` | deployment configurations (``builtin_configs.py``: the predefined ones) |
| ``deployment_groups.py`` | deployment groups (``group_settings.py``: their fields; ``hooks.py``: lifecycle hooks) |
| ``revisions.py`` | application revisions |
| ``deployments.py`` | deployments; ``deployment_targets.py``: their instances |
| ``on_premises.py`` | on-premises instances |
| ``tags.py`` | tags by ARN |

``state.py`` holds what they share (the stored ``records``, ARNs, lookups); ``validation.py`` the field rules.
New deployments leave the control plane in ``CodeDeployService.hand_off``, where ``lab.engine`` takes over.
"""

from __future__ import annotations

import threading
import typing as t

from ..lab import Lab
from ..rooms import EngineRoom
from .applications import Applications
from .deployment_configs import DeploymentConfigs
from .deployment_groups import DeploymentGroups
from .deployment_targets import DeploymentTargets
from .deployments import Deployments
from .on_premises import OnPremisesInstances
from .paging import PAGE_SIZE
from .records import Application
from .records import Deployment
from .records import DeploymentConfig
from .records import DeploymentGroup
from .records import DeploymentTarget
from .records import LifecycleEvent
from .records import OnPremisesInstance
from .records import RevisionRecord
from .records import new_deployment_id
from .records import now
from .revisions import Revisions
from .tags import Tags
from .validation import MAX_BATCH_TARGETS

# Other rooms import the records from here (deployments/, tests).
__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "MAX_BATCH_TARGETS",
    "PAGE_SIZE",
    "Application",
    "CodeDeployBackend",
    "CodeDeployService",
    "Deployment",
    "DeploymentConfig",
    "DeploymentGroup",
    "DeploymentTarget",
    "LifecycleEvent",
    "OnPremisesInstance",
    "RevisionRecord",
    "new_deployment_id",
    "now",
]

DEFAULT_ACCOUNT_ID = "123456789012"


class CodeDeployBackend(
    Applications,
    DeploymentConfigs,
    DeploymentGroups,
    Revisions,
    Deployments,
    DeploymentTargets,
    OnPremisesInstances,
    Tags,
):
    """CodeDeploy state and operations of one account and region."""


class CodeDeployService:
    """All CodeDeploy backends of one lab, one lock for all of them, and the hand-off to the engine."""

    def __init__(self, lab: Lab | None = None) -> None:
        self.lab = lab
        self.lock = threading.RLock()
        self._backends: dict[tuple[str, str], CodeDeployBackend] = {}

    @property
    def engine(self) -> EngineRoom | None:
        return self.lab.engine if self.lab is not None else None

    def backend(self, account_id: str, region: str) -> CodeDeployBackend:
        with self.lock:
            key = (account_id, region)
            if key not in self._backends:
                self._backends[key] = CodeDeployBackend(self, account_id, region)
            return self._backends[key]

    def backends(self) -> list[CodeDeployBackend]:
        with self.lock:
            return list(self._backends.values())

    def reset(self) -> None:
        with self.lock:
            self._backends.clear()

    def hand_off(self, backend: t.Any, deployment: Deployment) -> None:
        """The one place where a new deployment leaves the control plane: ``lab.engine.submit`` runs it.

        Called with ``self.lock`` held, right after the deployment is stored in status ``Created``. The engine must
        not block here (start a thread or queue the work). Without an engine nothing happens and the deployment
        stays ``Created``, which is what moto does too.
        """
        engine = self.engine
        if engine is not None:
            engine.submit(backend, deployment)
