# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The public face of the CodeDeploy helpers; the code lives in the private _codedeploy package."""

from __future__ import annotations

from ._codedeploy import common as _common
from ._codedeploy import applications as _applications
from ._codedeploy import comparison as _comparison
from ._codedeploy import deployment_configs as _deployment_configs
from ._codedeploy import deployment_groups as _deployment_groups
from ._codedeploy import tagging as _tagging
from ._codedeploy import transformations as _transformations
from ._codedeploy import appspec as _appspec
from ._codedeploy import bundles as _bundles
from ._codedeploy import revisions as _revisions
from ._codedeploy import deployments as _deployments
from ._codedeploy import deployment_runs as _deployment_runs
from ._codedeploy import following as _following
from ._codedeploy import on_premises as _on_premises

AnsibleCodeDeployError = _common.AnsibleCodeDeployError
CodeDeployErrorHandler = _common.CodeDeployErrorHandler
codedeploy_client = _common.codedeploy_client

# Revisions: bundles, appspec checks and registration (issue 6).
BundleError = _bundles.BundleError
BUNDLE_TYPES = _bundles.BUNDLE_TYPES
DEFAULT_IGNORE_FILE = _bundles.DEFAULT_IGNORE_FILE
collect_bundle_entries = _bundles.collect_entries
build_bundle = _bundles.build_bundle
check_bundle_appspec = _appspec.check_bundle_appspec
revision_to_boto = _revisions.revision_to_boto
revision_from_boto = _revisions.revision_from_boto
revision_info_from_boto = _revisions.revision_info_from_boto
revision_problems = _revisions.revision_problems
get_application_revision = _revisions.get_application_revision
register_application_revision = _revisions.register_application_revision
list_application_revisions = _revisions.list_application_revisions
batch_get_application_revisions = _revisions.batch_get_application_revisions
head_s3_object = _revisions.head_s3_object
pin_s3_location = _revisions.pin_s3_location
REVISION_ARG_SPEC = _revisions.REVISION_ARG_SPEC
revision_argument_spec = _revisions.revision_argument_spec
revision_location = _revisions.revision_location
revision_from_params = _revisions.revision_from_params
same_revision = _revisions.same_revision
describe_revision = _revisions.describe_revision

# Applications, deployment configs and deployment groups (issue 3).

DifferenceTracker = _comparison.DifferenceTracker
merge_partial = _comparison.merge_partial
values_equal = _comparison.values_equal

ArnBuilder = _tagging.ArnBuilder
ensure_tags = _tagging.ensure_tags
list_tags = _tagging.list_tags
plan_tags = _tagging.plan_tags

to_ansible_resource = _transformations.to_ansible_resource

validate_name = _applications.validate_name
get_application = _applications.get_application
list_applications = _applications.list_applications
list_deployment_groups = _applications.list_deployment_groups
create_application = _applications.create_application
delete_application = _applications.delete_application

get_deployment_config = _deployment_configs.get_deployment_config
list_deployment_configs = _deployment_configs.list_deployment_configs
create_deployment_config = _deployment_configs.create_deployment_config
delete_deployment_config = _deployment_configs.delete_deployment_config
is_builtin_deployment_config = _deployment_configs.is_builtin
desired_deployment_config = _deployment_configs.desired_definition
current_deployment_config = _deployment_configs.current_definition
compare_deployment_configs = _deployment_configs.compare_definitions
describe_deployment_config_differences = _deployment_configs.describe_differences
find_groups_using_config = _deployment_configs.find_groups_using_config
validate_deployment_config = _deployment_configs.validate_definition

get_deployment_group = _deployment_groups.get_deployment_group
batch_get_deployment_groups = _deployment_groups.batch_get_deployment_groups
create_deployment_group = _deployment_groups.create_deployment_group
update_deployment_group = _deployment_groups.update_deployment_group
delete_deployment_group = _deployment_groups.delete_deployment_group
plan_deployment_group = _deployment_groups.plan_group
deployment_group_create_request = _deployment_groups.create_request
deployment_group_update_request = _deployment_groups.update_request
predict_deployment_group = _deployment_groups.predict
new_deployment_group = _deployment_groups.new_group

# Deployments: plan, follow, explain failures, stop, continue and roll back (issue 7).
DEPLOYMENT_ACTIVE_STATUSES = _deployments.ACTIVE_STATUSES
DEPLOYMENT_TERMINAL_STATUSES = _deployments.TERMINAL_STATUSES
get_deployment = _deployments.get_deployment
get_deployments = _deployments.get_deployments
list_deployment_ids = _deployments.list_deployment_ids
list_deployment_group_names = _deployments.list_deployment_group_names
get_all_deployment_targets = _deployments.get_all_targets
selected_instance_ids = _deployments.selected_instance_ids
DeploymentHandoff = _deployment_runs.Handoff
DeploymentTaskFailed = _deployment_runs.DeploymentTaskFailed
run_deployment_task = _deployment_runs.run
target_instances_to_boto3 = _deployment_runs.target_instances_to_boto3
deployment_to_ansible = _following.deployment_to_ansible

# On-premises instances: register, tag, deregister (issue 14).
get_on_premises_instance = _on_premises.get_instance
list_on_premises_instance_names = _on_premises.list_instance_names
batch_get_on_premises_instances = _on_premises.batch_get_instances
on_premises_instance_to_ansible = _on_premises.instance_to_ansible
on_premises_registration = _on_premises.registration
plan_on_premises_present = _on_premises.plan_present
plan_on_premises_absent = _on_premises.plan_absent
apply_on_premises_plan = _on_premises.apply_plan
