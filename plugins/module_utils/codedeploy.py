# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The AWS face of rollout.codedeploy: everything a module needs to read and change CodeDeploy resources.

The code lives in the private _codedeploy package; bundles and AppSpec files, which need no AWS, have their own face,
module_utils/bundles.py. Besides what every module shares (errors, clients, names, option specs), each resource has a
section of its own:

- read_<resource> and read_<resources>: the composed readers, which return resources as modules return them:
  snake_case, timestamps as ISO text, tags as a dict, {} (or no item) for what does not exist;
- ensure_<resource>(module, client, current): the whole task of the module that manages the resource (plan, check
  mode, apply, tags, diff), which returns the module's result (_codedeploy/resource_tasks.py);
- codedeploy_deployment's task: run_deployment_task, with its hand-off and failure.

tests/unit/test_architecture.py keeps the face at about 25 names.
"""

from __future__ import annotations

import typing as t

from ._codedeploy import applications as _applications
from ._codedeploy import common as _common
from ._codedeploy import deployment_configs as _deployment_configs
from ._codedeploy import deployment_groups as _deployment_groups
from ._codedeploy import deployment_runs as _deployment_runs
from ._codedeploy import deployments as _deployments
from ._codedeploy import following as _following
from ._codedeploy import on_premises as _on_premises
from ._codedeploy import resource_tasks as _resource_tasks
from ._codedeploy import revisions as _revisions
from ._codedeploy import transformations as _transformations

if t.TYPE_CHECKING:
    import datetime

    from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

    from ._codedeploy.tagging import ArnBuilder

# What every module shares: the error, clients, the name rule, and the option specs shared by several modules (each
# paired with a doc fragment).
AnsibleCodeDeployError = _common.AnsibleCodeDeployError
aws_client = _common.client
validate_name = _applications.validate_name
revision_argument_spec = _revisions.revision_argument_spec
tag_filters_spec = _transformations.tag_filters_spec
ec2_deployment_options_spec = _deployment_groups.ec2_deployment_options_spec

# Applications: codedeploy_application and its _info.
read_application = _applications.read_application
ensure_application = _resource_tasks.ensure_application


def read_applications(client: RetryingBotoClientWrapper, arns: ArnBuilder, name: str | None) -> list[dict[str, t.Any]]:
    """The application named (every application when name is None), sorted by name, each with the names of its
    deployment groups."""
    applications = []
    for application_name in sorted([name] if name else _applications.list_applications(client)):
        application = read_application(client, arns, application_name)
        if application:
            application["deployment_groups"] = sorted(_applications.list_deployment_groups(client, application_name))
            applications.append(application)
    return applications


# Deployment configs: codedeploy_deployment_config and its _info.
read_deployment_config = _deployment_configs.read_deployment_config
ensure_deployment_config = _resource_tasks.ensure_deployment_config


def read_deployment_configs(
    client: RetryingBotoClientWrapper, name: str | None, include_builtin: bool
) -> list[dict[str, t.Any]]:
    """The config named (every config when name is None, the built-in ones only when include_builtin), sorted by name."""
    names = [name] if name else _deployment_configs.list_deployment_configs(client)
    if not (name or include_builtin):
        names = [config for config in names if not _deployment_configs.is_builtin(config)]
    configs = [read_deployment_config(client, config) for config in sorted(names)]
    return [config for config in configs if config]


# Deployment groups: codedeploy_deployment_group and its _info.
read_deployment_group = _deployment_groups.read_deployment_group
ensure_deployment_group = _resource_tasks.ensure_deployment_group


def read_deployment_groups(
    client: RetryingBotoClientWrapper, arns: ArnBuilder, application: str, name: str | None
) -> list[dict[str, t.Any]]:
    """The group named (every group of the application when name is None), sorted by name."""
    if name:
        infos = [_deployment_groups.get_deployment_group(client, application, name)]
    else:
        names = _applications.list_deployment_groups(client, application)
        infos = _deployment_groups.batch_get_deployment_groups(client, application, names)
    groups = [_deployment_groups.group_to_ansible(client, arns, info) for info in infos if info]
    return sorted(groups, key=lambda group: group["deployment_group_name"])


# On-premises instances: codedeploy_on_premises_instance and its _info.
read_on_premises_instance = _on_premises.read_instance
ensure_on_premises_instance = _resource_tasks.ensure_on_premises_instance


def read_on_premises_instances(
    client: RetryingBotoClientWrapper,
    name: str | None,
    registration_status: str | None,
    tag_filters: list[dict[str, t.Any]] | None,
) -> list[dict[str, t.Any]]:
    """The instance named (every instance when name is None) that the filters select, sorted by name."""
    if name and not (registration_status or tag_filters):
        found = _on_premises.get_instance(client, name)
        instances = [found] if found else []
    else:
        # The filters are CodeDeploy's to apply: list the names they select, then describe those.
        names = _on_premises.list_instance_names(client, registration_status, tag_filters)
        if name:
            names = [listed for listed in names if listed == name]
        instances = _on_premises.batch_get_instances(client, sorted(set(names)))
    results = [_on_premises.instance_to_ansible(instance) for instance in instances]
    return sorted(results, key=lambda instance: instance["instance_name"])


# Revisions: codedeploy_revision (which checks and pins the revision its options name before it reads it) and its _info.
revision_to_register = _resource_tasks.revision_to_register
ensure_revision = _resource_tasks.ensure_revision


def read_revisions(client: RetryingBotoClientWrapper, application: str, **filters: t.Any) -> list[dict[str, t.Any]]:
    """The revisions ListApplicationRevisions finds with filters, in its order, each with its revision_info."""
    locations = _revisions.list_application_revisions(client, application, **filters)
    details = _revisions.batch_get_application_revisions(client, application, locations)

    def identity(location: dict[str, t.Any]) -> str:
        return repr(_revisions.revision_to_boto(_revisions.revision_from_boto(location)))

    # Keep the list call's order (its sort options) whatever order the batch call answers in.
    order = {identity(location): index for index, location in enumerate(locations)}
    details.sort(key=lambda item: order.get(identity(item["revisionLocation"]), len(order)))
    return [
        {
            "revision": _revisions.revision_from_boto(item["revisionLocation"]),
            "revision_info": _revisions.revision_info_from_boto(item.get("genericRevisionInfo") or {}),
        }
        for item in details
    ]


# Deployments: codedeploy_deployment's task (gather, plan, act, follow), and codedeploy_deployment_info's reader.
DeploymentHandoff = _deployment_runs.Handoff
DeploymentTaskFailed = _deployment_runs.DeploymentTaskFailed
run_deployment_task = _deployment_runs.run


def read_deployments(
    client: RetryingBotoClientWrapper,
    deployment_id: str | None,
    application: str | None,
    group: str | None,
    statuses: list[str] | None,
    created_after: datetime.datetime | None,
    created_before: datetime.datetime | None,
    include_targets: bool,
) -> list[dict[str, t.Any]]:
    """The deployment deployment_id, or those of the group (every group of application when group is None) that the
    filters select, newest first; with every target and its lifecycle events when include_targets."""
    if deployment_id:
        deployment = _deployments.get_deployment(client, deployment_id)
        deployments = [deployment] if deployment else []
    else:
        application = t.cast(str, application)  # the module requires deployment_id or application_name
        groups = [group] if group else _applications.list_deployment_groups(client, application)
        ids: list[str] = []
        for group_name in groups:
            ids.extend(
                _deployments.list_deployment_ids(
                    client, application, group_name, statuses, created_after, created_before
                )
            )
        deployments = _deployments.get_deployments(client, ids) if ids else []
    if not include_targets:
        return [_following.deployment_to_ansible(deployment) for deployment in deployments]
    return [_with_targets(client, deployment) for deployment in deployments]


def _with_targets(client: RetryingBotoClientWrapper, deployment: dict[str, t.Any]) -> dict[str, t.Any]:
    # A deployment that has not started has no targets to list (DeploymentNotStartedException).
    started = deployment.get("status") not in ("Created", "Queued")
    targets = _deployments.get_all_targets(client, deployment["deploymentId"]) if started else []
    return _following.deployment_to_ansible(deployment, targets)
