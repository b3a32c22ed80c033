"""What every resource of one account and region shares: the stored resources, their ARNs and their lookups.

Each resource module (``applications.py``, ``deployment_groups.py``, ...) adds its operations to this base as a
mixin; ``models.CodeDeployBackend`` composes them.
"""

from __future__ import annotations

import typing as t

from ..rooms import EngineRoom
from . import exceptions as exc
from . import validation as v
from .builtin_configs import BUILTIN_CONFIGS
from .records import Application
from .records import Deployment
from .records import DeploymentConfig
from .records import DeploymentGroup
from .records import OnPremisesInstance
from .references import References

DEFAULT_CONFIG = "CodeDeployDefault.OneAtATime"


class Service(t.Protocol):
    """What a backend asks of the service that holds it (``models.CodeDeployService``)."""

    @property
    def lock(self) -> t.ContextManager[t.Any]: ...

    @property
    def engine(self) -> EngineRoom | None: ...

    def backend(self, account_id: str, region: str) -> BackendState: ...

    def hand_off(self, backend: t.Any, deployment: Deployment) -> None: ...


class BackendState:
    """CodeDeploy state of one account and region."""

    def __init__(self, service: Service, account_id: str, region: str) -> None:
        self.service = service
        self.account_id = account_id
        self.region = region
        self.refs = References(account_id, region)
        self.applications: dict[str, Application] = {}
        self.deployment_configs: dict[str, DeploymentConfig] = {}
        self.deployments: dict[str, Deployment] = {}
        self.on_premises_instances: dict[str, OnPremisesInstance] = {}

    # ARNs --------------------------------------------------------------------------------------------------------

    def _arn(self, resource: str) -> str:
        return f"arn:aws:codedeploy:{self.region}:{self.account_id}:{resource}"

    def application_arn(self, name: str) -> str:
        return self._arn(f"application:{name}")

    def deployment_group_arn(self, application: str, group: str) -> str:
        return self._arn(f"deploymentgroup:{application}/{group}")

    def deployment_config_arn(self, name: str) -> str:
        return self._arn(f"deploymentconfig:{name}")

    # lookups -----------------------------------------------------------------------------------------------------

    def get_app(self, name: t.Any) -> Application:
        v.application_name(name)
        application = self.applications.get(name)
        if application is None:
            raise exc.ApplicationDoesNotExist(f"No application found for name: {name}")
        return application

    def get_group(self, application_name: t.Any, group_name: t.Any) -> DeploymentGroup:
        application = self.get_app(application_name)
        v.deployment_group_name(group_name)
        group = application.deployment_groups.get(group_name)
        if group is None:
            raise exc.DeploymentGroupDoesNotExist(f"No Deployment Group found for name: {group_name}")
        return group

    def find_config(self, name: str) -> DeploymentConfig | None:
        return BUILTIN_CONFIGS.get(name) or self.deployment_configs.get(name)

    def get_config(self, name: t.Any) -> DeploymentConfig:
        v.deployment_config_name(name)
        config = self.find_config(name)
        if config is None:
            raise exc.DeploymentConfigDoesNotExist(f"No deployment configuration found for name: {name}")
        return config

    def config_for(self, name: t.Any, platform: str) -> str:
        """The deployment configuration a group or deployment names (the default one when none is named), which
        must be of the application's compute platform."""
        if name is None:
            return DEFAULT_CONFIG
        config = self.get_config(name)
        if config.compute_platform != platform:
            raise exc.InvalidDeploymentConfigName(
                f"The deployment configuration {name} is for the {config.compute_platform} compute platform, "
                f"not {platform}."
            )
        return t.cast(str, name)

    def get_deployment(self, deployment_id: t.Any) -> Deployment:
        v.check("deploymentId", deployment_id)
        deployment = self.deployments.get(deployment_id)
        if deployment is None:
            raise exc.DeploymentDoesNotExist(f"The deployment {deployment_id} could not be found.")
        return deployment
