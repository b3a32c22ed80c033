"""Deployment configurations: the predefined ones and custom ones
(docs/codedeploy-behavior.md#applications-configurations-and-groups)."""

from __future__ import annotations

import typing as t
import uuid

from . import exceptions as exc
from . import validation as v
from .builtin_configs import BUILTIN_CONFIGS
from .paging import paginate
from .records import DeploymentConfig
from .state import BackendState

MAX_CUSTOM_CONFIGS = 200


class DeploymentConfigs(BackendState):
    def create_deployment_config(
        self,
        name: t.Any,
        minimum_healthy_hosts: t.Any,
        traffic_routing: t.Any,
        compute_platform: t.Any,
        zonal_config: t.Any,
    ) -> dict[str, t.Any]:
        v.deployment_config_name(name)
        platform = v.compute_platform(compute_platform)
        if self.find_config(name) is not None:
            raise exc.DeploymentConfigAlreadyExists(f"The deployment configuration {name} already exists.")
        if name.startswith(v.BUILTIN_CONFIG_PREFIX):
            raise exc.InvalidDeploymentConfigName(
                f"The deployment configuration name {name} is invalid: names starting with "
                f"{v.BUILTIN_CONFIG_PREFIX} are reserved for the predefined configurations."
            )
        config = DeploymentConfig(name=name, config_id=str(uuid.uuid4()), compute_platform=platform)
        if platform == "Server":
            _server_config(config, minimum_healthy_hosts, traffic_routing, zonal_config)
        else:
            _traffic_shifting_config(config, minimum_healthy_hosts, traffic_routing, zonal_config)
        if len(self.deployment_configs) >= MAX_CUSTOM_CONFIGS:
            raise exc.DeploymentConfigLimitExceeded(
                f"The maximum number of custom deployment configurations ({MAX_CUSTOM_CONFIGS}) was reached."
            )
        self.deployment_configs[name] = config
        return {"deploymentConfigId": config.config_id}

    def get_deployment_config(self, name: t.Any) -> dict[str, t.Any]:
        return {"deploymentConfigInfo": self.get_config(name).to_info()}

    def list_deployment_configs(self, next_token: t.Any) -> dict[str, t.Any]:
        names = sorted([*BUILTIN_CONFIGS, *self.deployment_configs])
        page, token = paginate(names, next_token, "ListDeploymentConfigs")
        return {"deploymentConfigsList": page, **token}

    def delete_deployment_config(self, name: t.Any) -> dict[str, t.Any]:
        v.deployment_config_name(name)
        if name in BUILTIN_CONFIGS:
            raise exc.InvalidOperation(
                f"The deployment configuration {name} is a predefined configuration and cannot be deleted."
            )
        if name not in self.deployment_configs:
            return {}
        users = [
            f"{app.name}/{group.name}"
            for app in self.applications.values()
            for group in app.deployment_groups.values()
            if group.deployment_config_name == name
        ]
        if users:
            raise exc.DeploymentConfigInUse(
                f"The deployment configuration {name} is used by deployment group(s) "
                f"{', '.join(sorted(users))}; change those groups first."
            )
        del self.deployment_configs[name]
        return {}


def _server_config(
    config: DeploymentConfig, minimum_healthy_hosts: t.Any, traffic_routing: t.Any, zonal_config: t.Any
) -> None:
    """EC2/on-premises: minimumHealthyHosts and maybe zonalConfig, no traffic routing."""
    config.minimum_healthy_hosts = v.minimum_healthy_hosts(minimum_healthy_hosts)
    if traffic_routing is not None:
        raise exc.InvalidTrafficRoutingConfiguration(
            "trafficRoutingConfig applies to Lambda and ECS deployment configurations only; "
            "remove it for the Server compute platform."
        )
    config.zonal_config = v.zonal_config(zonal_config)


def _traffic_shifting_config(
    config: DeploymentConfig, minimum_healthy_hosts: t.Any, traffic_routing: t.Any, zonal_config: t.Any
) -> None:
    """Lambda and ECS: traffic routing (all at once unless given), no host counts or zones."""
    if zonal_config is not None:
        raise exc.InvalidZonalDeploymentConfiguration("zonalConfig applies to the Server compute platform only.")
    if minimum_healthy_hosts is not None:
        raise exc.InvalidMinimumHealthyHostValue(
            f"minimumHealthyHosts applies to the Server compute platform only, not {config.compute_platform}."
        )
    config.traffic_routing_config = v.traffic_routing_config(traffic_routing or {"type": "AllAtOnce"})
