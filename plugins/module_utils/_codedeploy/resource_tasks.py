# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This package is private to rollout.codedeploy: import from module_utils/codedeploy.py instead.

"""The task of each module that manages one resource, as one ensure_* call that returns the module's result.

Each brings the resource the module read (as the face's readers return it; {} when there is none) to what the options
ask, state present or absent: it plans, fails or warns on what cannot be done, changes nothing in check mode but
predicts the resource after, applies the plan, and adds the diff when the task runs with --diff. The plans and the API
calls are the resource's own file's; codedeploy_deployment's task is deployment_runs.py.
"""

from __future__ import annotations

import typing as t
from copy import deepcopy

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import is_ansible_aws_error_code

from .applications import create_application
from .applications import delete_application
from .applications import get_application
from .applications import read_application
from .common import AnsibleCodeDeployError
from .common import client as aws_client
from .deployment_configs import ConfigPlan
from .deployment_configs import create_deployment_config
from .deployment_configs import delete_deployment_config
from .deployment_configs import get_deployment_config
from .deployment_configs import groups_using_config
from .deployment_configs import plan_config
from .deployment_configs import read_deployment_config
from .deployment_groups import GroupPlan
from .deployment_groups import api_members
from .deployment_groups import create_deployment_group
from .deployment_groups import delete_deployment_group
from .deployment_groups import plan_group
from .deployment_groups import read_deployment_group
from .deployment_groups import update_deployment_group
from .on_premises import apply_plan as apply_on_premises_plan
from .on_premises import plan as plan_on_premises_instance
from .on_premises import read_instance as read_on_premises_instance
from .on_premises import registration
from .revisions import pin_s3_revision
from .revisions import read_revision
from .revisions import register_application_revision
from .revisions import revision_from_boto
from .revisions import revision_problems
from .revisions import revision_to_boto
from .tagging import ensure_tags
from .tagging import plan_tags

if t.TYPE_CHECKING:
    from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
    from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

    from .tagging import ArnBuilder

    class ResourceModule(AnsibleAWSModule):
        """The module a task is given: modules.py's AnsibleCodeDeployModule, an AnsibleAWSModule that builds the ARNs
        of its account and region (modules.py is a layer above this file, which therefore does not import it)."""

        arns: ArnBuilder


def _result(
    module: ResourceModule, changed: bool, values: dict[str, t.Any], before: t.Any, after: t.Any
) -> dict[str, t.Any]:
    """The module's result: changed and values, with the diff from before to after when the task runs with --diff."""
    result: dict[str, t.Any] = {"changed": changed, **values}
    if module._diff:
        result["diff"] = {"before": before, "after": after}
    return result


# --- codedeploy_application ----------------------------------------------------------------------------------------


def ensure_application(
    module: ResourceModule, client: RetryingBotoClientWrapper, current: dict[str, t.Any]
) -> dict[str, t.Any]:
    """codedeploy_application's result: the application current brought to the options (state, compute_platform,
    tags)."""
    ensure = _application_present if module.params["state"] == "present" else _application_absent
    changed, application = ensure(module, client, current)
    return _result(module, changed, {"application": application}, current, application)


def _application_present(
    module: ResourceModule, client: RetryingBotoClientWrapper, current: dict[str, t.Any]
) -> tuple[bool, dict[str, t.Any]]:
    params = module.params
    name = params["name"]
    platform = params["compute_platform"]
    if not current:
        if module.check_mode:
            _set, _remove, tags = plan_tags({}, params["tags"], True)
            return True, {"application_name": name, "compute_platform": platform or "Server", "tags": tags}
        create_application(client, name, platform or "Server", params["tags"])
        return True, read_application(client, module.arns, name)

    if platform and platform != current["compute_platform"]:
        raise AnsibleCodeDeployError(
            message=(
                f"compute_platform: application '{name}' exists with compute platform {current['compute_platform']}, "
                f"and CodeDeploy cannot change it to {platform}. Delete the application (state: absent) and create it "
                "again, or leave compute_platform unset."
            )
        )
    arn = module.arns.application(name)
    changed, tags = ensure_tags(client, arn, current["tags"], params["tags"], params["purge_tags"], module.check_mode)
    if not changed:
        return False, current
    if module.check_mode:
        predicted = deepcopy(current)
        predicted["tags"] = tags
        return True, predicted
    return True, read_application(client, module.arns, name)


def _application_absent(
    module: ResourceModule, client: RetryingBotoClientWrapper, current: dict[str, t.Any]
) -> tuple[bool, dict[str, t.Any]]:
    if not current:
        return False, {}
    if not module.check_mode:
        delete_application(client, current["application_name"])
    return True, {}


# --- codedeploy_deployment_config ----------------------------------------------------------------------------------


def ensure_deployment_config(
    module: ResourceModule, client: RetryingBotoClientWrapper, current: dict[str, t.Any]
) -> dict[str, t.Any]:
    """codedeploy_deployment_config's result: the config current brought to the options (state, the definition,
    replace); CodeDeploy cannot update a config, so a change deletes it and creates it again."""
    ensure = _deployment_config_present if module.params["state"] == "present" else _deployment_config_absent
    changed, config = ensure(module, client, current)
    return _result(module, changed, {"deployment_config": config}, current, config)


def _deployment_config_present(
    module: ResourceModule, client: RetryingBotoClientWrapper, current: dict[str, t.Any]
) -> tuple[bool, dict[str, t.Any]]:
    name = module.params["name"]
    plan = plan_config(name, current, module.params)
    if plan.create is None:
        return False, current
    if plan.delete:
        _fail_if_in_use(client, name, "replaced")
    if module.check_mode:
        return True, camel_dict_to_snake_dict({"deploymentConfigName": name, **plan.create})
    return True, _apply_config_plan(client, name, plan)


def _deployment_config_absent(
    module: ResourceModule, client: RetryingBotoClientWrapper, current: dict[str, t.Any]
) -> tuple[bool, dict[str, t.Any]]:
    name = module.params["name"]
    plan = plan_config(name, current, module.params)
    if not plan.delete:
        return False, {}
    _fail_if_in_use(client, name, "deleted")
    if not module.check_mode:
        _apply_config_plan(client, name, plan)
    return True, {}


def _fail_if_in_use(client: RetryingBotoClientWrapper, name: str, action: str) -> None:
    users = groups_using_config(client, name)
    if users:
        raise AnsibleCodeDeployError(
            message=(
                f"name: deployment config '{name}' is used by deployment group(s) {', '.join(users)}, so it cannot be "
                f"{action}. Point those groups at another deployment_config_name first."
            )
        )


def _apply_config_plan(client: RetryingBotoClientWrapper, name: str, plan: ConfigPlan) -> dict[str, t.Any]:
    """Delete and/or create the config as planned; the config after ({} when deleted)."""
    if plan.delete:
        delete_deployment_config(client, name)
    if plan.create is None:
        return {}
    create_deployment_config(client, name, plan.create)
    return read_deployment_config(client, name)


# --- codedeploy_deployment_group -----------------------------------------------------------------------------------


def ensure_deployment_group(
    module: ResourceModule, client: RetryingBotoClientWrapper, current: dict[str, t.Any]
) -> dict[str, t.Any]:
    """codedeploy_deployment_group's result: the group current brought to the options (state, its members, tags);
    warns of the Auto Scaling groups whose lifecycle hooks CodeDeploy could not remove."""
    ensure = _deployment_group_present if module.params["state"] == "present" else _deployment_group_absent
    changed, group = ensure(module, client, current)
    return _result(module, changed, {"deployment_group": group}, current, group)


def _deployment_group_present(
    module: ResourceModule, client: RetryingBotoClientWrapper, current: dict[str, t.Any]
) -> tuple[bool, dict[str, t.Any]]:
    params = module.params
    application, name = params["application_name"], params["name"]
    plan = plan_group(api_members(current), params)
    # The application and the deployment config must exist; in check mode an earlier task may create them.
    for problem in _missing_group_references(
        client, application, plan.request.get("deploymentConfigName"), plan.creating
    ):
        if not module.check_mode:
            raise AnsibleCodeDeployError(message=problem)
        module.warn(problem)

    if plan.creating:
        if module.check_mode:
            _set, _remove, tags = plan_tags({}, params["tags"], True)
            return True, dict(plan.predicted(current), tags=tags)
        _apply_group_plan(client, plan, params["tags"], params["role_propagation_timeout"])
        return True, read_deployment_group(client, module.arns, application, name)

    if plan.request and not module.check_mode:
        _warn_hooks_not_cleaned(module, _apply_group_plan(client, plan, None, params["role_propagation_timeout"]))
    arn = module.arns.deployment_group(application, name)
    tags_changed, tags = ensure_tags(
        client, arn, current["tags"], params["tags"], params["purge_tags"], module.check_mode
    )
    if not (plan.request or tags_changed):
        return False, current
    if module.check_mode:
        return True, dict(plan.predicted(current), tags=tags)
    return True, read_deployment_group(client, module.arns, application, name)


def _deployment_group_absent(
    module: ResourceModule, client: RetryingBotoClientWrapper, current: dict[str, t.Any]
) -> tuple[bool, dict[str, t.Any]]:
    if not current:
        return False, {}
    if not module.check_mode:
        not_cleaned = delete_deployment_group(client, module.params["application_name"], module.params["name"])
        _warn_hooks_not_cleaned(module, not_cleaned or [])
    return True, {}


def _missing_group_references(
    client: RetryingBotoClientWrapper, application: str, config: str | None, creating: bool
) -> list[str]:
    """What a group refers to that does not exist: its application (only checked when creating) and its config."""
    problems = []
    if creating and not get_application(client, application):
        problems.append(
            f"application_name: application '{application}' does not exist; create it first with "
            "rollout.codedeploy.codedeploy_application."
        )
    if config and not get_deployment_config(client, config):
        problems.append(
            f"deployment_config_name: there is no deployment config named '{config}'; create it with "
            "rollout.codedeploy.codedeploy_deployment_config or use a CodeDeployDefault.* configuration."
        )
    return problems


def _apply_group_plan(
    client: RetryingBotoClientWrapper, plan: GroupPlan, tags: dict[str, str] | None, role_timeout: float
) -> list[dict[str, t.Any]]:
    """Create the group (with tags) or update it as planned; the Auto Scaling groups whose lifecycle hooks CodeDeploy
    could not remove."""
    if plan.creating:
        create_deployment_group(client, plan, tags, role_timeout)
        return []
    return update_deployment_group(client, plan, role_timeout)


def _warn_hooks_not_cleaned(module: ResourceModule, auto_scaling_groups: list[dict[str, t.Any]]) -> None:
    for group in auto_scaling_groups:
        module.warn(f"CodeDeploy could not remove its lifecycle hook from Auto Scaling group {group.get('name')}.")


# --- codedeploy_on_premises_instance -------------------------------------------------------------------------------


def ensure_on_premises_instance(
    module: ResourceModule, client: RetryingBotoClientWrapper, current: dict[str, t.Any]
) -> dict[str, t.Any]:
    """codedeploy_on_premises_instance's result: the instance current registered with the options' IAM ARN and tags
    (state present) or deregistered (absent); the diff shows the registration only."""
    ensure = _on_premises_present if module.params["state"] == "present" else _on_premises_absent
    changed, instance = ensure(module, client, current)
    return _result(module, changed, {"on_premises_instance": instance}, registration(current), registration(instance))


def _on_premises_present(
    module: ResourceModule, client: RetryingBotoClientWrapper, current: dict[str, t.Any]
) -> tuple[bool, dict[str, t.Any]]:
    name = module.params["name"]
    plan = plan_on_premises_instance(current, module.params)
    if not plan.changed:
        return False, current
    if module.check_mode:
        predicted = dict(current) if not plan.register else {"instance_name": name}
        predicted.update(plan.after)
        return True, predicted
    apply_on_premises_plan(client, name, plan)
    return True, read_on_premises_instance(client, name)


def _on_premises_absent(
    module: ResourceModule, client: RetryingBotoClientWrapper, current: dict[str, t.Any]
) -> tuple[bool, dict[str, t.Any]]:
    plan = plan_on_premises_instance(current, module.params)
    if plan.changed and not module.check_mode:
        apply_on_premises_plan(client, module.params["name"], plan)
    return plan.changed, {}


# --- codedeploy_revision -------------------------------------------------------------------------------------------

DESCRIPTION_MAX = 256


def revision_to_register(module: ResourceModule) -> dict[str, t.Any]:
    """The revision codedeploy_revision registers (a boto RevisionLocation), with the S3 object's ETag and version
    filled in where pin_s3_object asks for them; fails the task on what is wrong with the options."""
    params = module.params
    revision = revision_to_boto(params["revision"])
    problems = revision_problems(revision)
    if params["description"] is not None and len(params["description"]) > DESCRIPTION_MAX:
        problems.append(f"description is {len(params['description'])} characters long; shorten it to {DESCRIPTION_MAX}")
    if problems:
        module.fail_json(msg="; ".join(problems))
    if not (params["pin_s3_object"] and revision["revisionType"] == "S3"):
        return revision
    location = revision["s3Location"]
    if "eTag" in location and "version" in location:
        return revision
    try:
        pinned = pin_s3_revision(aws_client(module, "s3"), revision, params["expected_bucket_owner"])
    except AnsibleAWSError as e:  # HeadObject's error (a refusal is a bare 403) does not name the object
        raise AnsibleCodeDeployError(
            message=f"{e.message} (s3://{location['bucket']}/{location['key']})", exception=e.exception
        ) from e
    if pinned is None:
        if module.check_mode:
            module.warn(
                f"s3://{location['bucket']}/{location['key']} does not exist yet; it must be uploaded before the revision is registered"
            )
            return revision
        module.fail_json(
            msg=f"s3://{location['bucket']}/{location['key']} does not exist; upload the bundle first or set pin_s3_object=false"
        )
    return pinned


def ensure_revision(
    module: ResourceModule, client: RetryingBotoClientWrapper, revision: dict[str, t.Any]
) -> dict[str, t.Any]:
    """codedeploy_revision's result: revision (revision_to_register's) registered with the options' description,
    unless it is registered with that description already (None: any).

    It reads the revision itself: which revision is current depends on the one asked for, which revision_to_register
    checks and pins first.
    """
    current = _read_revision_to_register(module, client, revision)
    changed, after = _register(module, client, current)
    return _result(
        module,
        changed,
        {"application_name": module.params["application_name"], **after},
        {"revision_info": current["revision_info"] or {}},
        {"revision_info": after["revision_info"]},
    )


def _read_revision_to_register(
    module: ResourceModule, client: RetryingBotoClientWrapper, revision: dict[str, t.Any]
) -> dict[str, t.Any]:
    """The revision as CodeDeploy knows it; in check mode, when the application does not exist yet, a revision not
    registered (warned of: an earlier task that check mode did not run may create the application)."""
    application = module.params["application_name"]
    try:
        return read_revision(client, application, revision)
    except is_ansible_aws_error_code("ApplicationDoesNotExistException"):
        if not module.check_mode:
            raise
        module.warn(
            f"application_name: application '{application}' does not exist; create it first with "
            "rollout.codedeploy.codedeploy_application (check mode: an earlier task may create it; a real run fails "
            "here)"
        )
        return {"revision": revision_from_boto(revision), "revision_info": None}


def _register(
    module: ResourceModule, client: RetryingBotoClientWrapper, current: dict[str, t.Any]
) -> tuple[bool, dict[str, t.Any]]:
    """Register the revision unless it is registered with the description asked for (None: any)."""
    application, description = module.params["application_name"], module.params["description"]
    info = current["revision_info"]
    if info is not None and (description is None or info.get("description") == description):
        return False, current
    if module.check_mode:
        predicted = deepcopy(current)
        predicted["revision_info"] = predicted["revision_info"] or {}
        if description is not None:
            predicted["revision_info"]["description"] = description
        return True, predicted
    revision = revision_to_boto(current["revision"])
    register_application_revision(client, application, revision, description)
    return True, read_revision(client, application, revision)
