"""Deployment groups (docs/codedeploy-behavior.md#applications-configurations-and-groups); their settings are
checked in ``group_settings.py``, their lifecycle hooks kept in ``hooks.py``."""

from __future__ import annotations

import re
import typing as t
import uuid

from . import exceptions as exc
from . import group_settings
from . import validation as v
from .hooks import check_room_for_hooks
from .hooks import remove_hooks
from .hooks import sync_hooks
from .paging import paginate
from .records import DeploymentGroup
from .state import BackendState

MAX_DEPLOYMENT_GROUPS = 1000


class DeploymentGroups(BackendState):
    def create_deployment_group(self, params: dict[str, t.Any]) -> dict[str, t.Any]:
        application = self.get_app(params.get("applicationName"))
        name = v.deployment_group_name(params.get("deploymentGroupName"))
        if name in application.deployment_groups:
            raise exc.DeploymentGroupAlreadyExists(
                f"The deployment group {name} already exists for application {application.name}."
            )
        role = self._check_role(params.get("serviceRoleArn"))
        config = self.config_for(params.get("deploymentConfigName"), application.compute_platform)
        settings = group_settings.merge(params, None, self.refs)
        tag_map = v.tags(params.get("tags"))
        if len(application.deployment_groups) >= MAX_DEPLOYMENT_GROUPS:
            raise exc.DeploymentGroupLimitExceeded(
                f"The application {application.name} already has {MAX_DEPLOYMENT_GROUPS} deployment groups."
            )
        group = DeploymentGroup(
            group_id=str(uuid.uuid4()),
            application=application,
            name=name,
            service_role_arn=role,
            deployment_config_name=config,
            settings=settings,
            tags=tag_map,
        )
        check_room_for_hooks(self.refs, group.auto_scaling_group_names, None)
        sync_hooks(self.refs, group)
        application.deployment_groups[name] = group
        return {"deploymentGroupId": group.group_id}

    def update_deployment_group(self, params: dict[str, t.Any]) -> dict[str, t.Any]:
        application = self.get_app(params.get("applicationName"))
        current_name = v.deployment_group_name(params.get("currentDeploymentGroupName"))
        group = application.deployment_groups.get(current_name)
        if group is None:
            raise exc.DeploymentGroupDoesNotExist(f"No Deployment Group found for name: {current_name}")
        new_name = params.get("newDeploymentGroupName")
        if new_name is not None and new_name != current_name:
            v.deployment_group_name(new_name)
            if new_name in application.deployment_groups:
                raise exc.DeploymentGroupAlreadyExists(
                    f"The deployment group {new_name} already exists for application {application.name}."
                )
        role_arn = params.get("serviceRoleArn")
        role = self._check_role(role_arn) if role_arn else None
        config = params.get("deploymentConfigName")
        if config is not None:
            config = self.config_for(config, application.compute_platform)
        settings = group_settings.merge(params, group.settings, self.refs)
        check_room_for_hooks(self.refs, settings["autoScalingGroups"], group)
        # All checks passed: change the group.
        group.settings = settings
        if role is not None:
            group.service_role_arn = role
        if config is not None:
            group.deployment_config_name = config
        if new_name is not None and new_name != current_name:
            self._rename(group, new_name)
        return {"hooksNotCleanedUp": sync_hooks(self.refs, group)}

    def _check_role(self, arn: t.Any) -> str:
        """A role ARN of this account whose role exists in IAM."""
        match = t.cast(re.Match[str], v.ROLE_ARN.match(v.check("serviceRoleArn", arn)))
        if match.group(1) != self.account_id or self.refs.role(arn) is None:
            raise exc.InvalidRole(f"Cannot assume role provided: {arn} does not exist in IAM.")
        return arn

    def _rename(self, group: DeploymentGroup, new_name: str) -> None:
        application = group.application
        del application.deployment_groups[group.name]
        group.name = new_name
        application.deployment_groups[new_name] = group
        for deployment in self.deployments.values():
            if deployment.deployment_group_id == group.group_id:
                deployment.deployment_group_name = new_name

    def _sync_hooks(self, group: DeploymentGroup) -> list[dict[str, t.Any]]:
        """Install the group's lifecycle hooks on its Auto Scaling groups (a blue/green deployment that copied one
        calls this after it swapped the group's Auto Scaling groups)."""
        return sync_hooks(self.refs, group)

    def get_deployment_group(self, application_name: t.Any, group_name: t.Any) -> dict[str, t.Any]:
        return {"deploymentGroupInfo": self.get_group(application_name, group_name).to_info(self.deployments)}

    def batch_get_deployment_groups(self, application_name: t.Any, names: t.Any) -> dict[str, t.Any]:
        application = self.get_app(application_name)
        v.check("deploymentGroupNames", names)
        found, missing = [], []
        for name in dict.fromkeys(names):
            v.deployment_group_name(name)
            group = application.deployment_groups.get(name)
            if group is None:
                missing.append(name)
            else:
                found.append(group.to_info(self.deployments))
        message = (
            f"Deployment groups not found for application {application.name}: {', '.join(missing)}" if missing else ""
        )
        return {"deploymentGroupsInfo": found, "errorMessage": message}

    def list_deployment_groups(self, application_name: t.Any, next_token: t.Any) -> dict[str, t.Any]:
        application = self.get_app(application_name)
        page, token = paginate(sorted(application.deployment_groups), next_token, "ListDeploymentGroups")
        return {"applicationName": application.name, "deploymentGroups": page, **token}

    def delete_deployment_group(self, application_name: t.Any, group_name: t.Any) -> dict[str, t.Any]:
        v.application_name(application_name)
        v.deployment_group_name(group_name)
        application = self.applications.get(application_name)
        group = application.deployment_groups.get(group_name) if application else None
        if application is None or group is None:
            return {"hooksNotCleanedUp": []}
        del application.deployment_groups[group_name]
        not_cleaned = remove_hooks(self.refs, group, list(group.hooks))
        for deployment_id in [d for d, dep in self.deployments.items() if dep.deployment_group_id == group.group_id]:
            del self.deployments[deployment_id]
        return {"hooksNotCleanedUp": not_cleaned}
