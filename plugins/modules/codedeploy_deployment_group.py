#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: codedeploy_deployment_group
version_added: 0.1.0
short_description: Manage AWS CodeDeploy deployment groups
description:
  - Create, update, tag and delete CodeDeploy deployment groups for EC2/on-premises (and the fields
    CodeDeploy offers for ECS).
  - The options are the members of the API's C(CreateDeploymentGroup) in snake_case, and the result
    has the same shape, so a returned O(name) group can be written back as a task.
  - An option the task leaves unset is left as it is; an option the task sets replaces the current
    value (inside a dictionary option, only the suboptions the task sets); an explicitly empty value
    (V([]) for lists, V({}) for dictionaries) removes it, which sends CodeDeploy the empty or disabled value.
  - Lists whose order does not matter (Auto Scaling groups, tag filters, alarms, triggers and their
    events, rollback events) compare as sets.
  - No call is made when nothing differs. This matters on AWS, where every C(UpdateDeploymentGroup)
    sends a test message to each trigger's SNS topic.
  - Bad input (invalid names, an unknown deployment configuration, a missing service role, tag filters
    together with a tag set, a blue/green group without a load balancer, ...) fails with a message
    that names the option, before anything is changed.
author:
  - rollout.codedeploy developers (@rollout)
options:
  application_name:
    description:
      - The name of the application the group belongs to. The application must exist.
      - The alias O(app_name) is deprecated and will be removed in 2.0.0; use O(application_name) or O(application).
    type: str
    required: true
    aliases: ['application', 'app_name']
  name:
    description:
      - The name of the deployment group, unique within the application.
      - 1 to 100 characters from letters, digits and C(+=,.@_-).
    type: str
    required: true
    aliases: ['deployment_group_name']
  state:
    description:
      - V(present) creates or updates the group; V(absent) deletes it (its deployment history goes with it,
        instances are not touched).
    type: str
    choices: ['present', 'absent']
    default: present
  service_role_arn:
    description:
      - The ARN of the IAM role CodeDeploy acts as (for example with the C(AWSCodeDeployRole) managed policy).
      - Required to create a group.
    type: str
  role_propagation_timeout:
    description:
      - Seconds to keep retrying while CodeDeploy rejects O(service_role_arn) with C(InvalidRoleException),
        as AWS does for a while after the role is created. V(0) does not retry.
    type: int
    default: 120
  deployment_config_name:
    description:
      - The deployment configuration, built-in (C(CodeDeployDefault.OneAtATime), C(CodeDeployDefault.HalfAtATime),
        C(CodeDeployDefault.AllAtOnce)) or custom. CodeDeploy uses C(CodeDeployDefault.OneAtATime) when none is set.
      - In check mode an unknown configuration gives a warning (an earlier task may create it); otherwise it fails.
    type: str
  deployment_style:
    description:
      - In-place or blue/green, with or without routing traffic through a load balancer.
      - CodeDeploy assumes V(IN_PLACE) and V(WITHOUT_TRAFFIC_CONTROL).
    type: dict
    suboptions:
      deployment_type:
        description: V(IN_PLACE) updates the instances in place; V(BLUE_GREEN) replaces them.
        type: str
        choices: ['IN_PLACE', 'BLUE_GREEN']
      deployment_option:
        description:
          - V(WITH_TRAFFIC_CONTROL) takes instances out of the load balancer while they are updated (in place)
            or reroutes traffic to the replacements (blue/green, where it is required).
        type: str
        choices: ['WITH_TRAFFIC_CONTROL', 'WITHOUT_TRAFFIC_CONTROL']
  auto_scaling_groups:
    description:
      - Names of the Auto Scaling groups whose instances the group deploys to. V([]) removes them all
        (and CodeDeploy's lifecycle hooks from them).
      - After a blue/green deployment with C(COPY_AUTO_SCALING_GROUP), CodeDeploy replaces the group's Auto Scaling
        group by its copy C(CodeDeploy_<name>_<deployment id>); see O(accept_copied_auto_scaling_groups).
    type: list
    elements: str
  accept_copied_auto_scaling_groups:
    description:
      - When V(true), an Auto Scaling group named C(CodeDeploy_<name>_d-XXXXXXXXX) (the copy a blue/green deployment
        made) that the group has stands in for a group listed in O(auto_scaling_groups) that the group no longer has,
        so re-running the task neither undoes CodeDeploy's swap nor reports a change. Each copy stands in for one
        listed name, in the order listed.
      - When V(false), the groups are set exactly as listed.
    type: bool
    default: true
  ec2_tag_filters:
    description:
      - EC2 instances with any of these tags belong to the group. Cannot be used with O(ec2_tag_set);
        set V([]) to remove.
    type: list
    elements: dict
  ec2_tag_set:
    description:
      - Up to three tag groups; an EC2 instance belongs to the group when it matches at least one filter of every
        tag group. Cannot be used with O(ec2_tag_filters). V({}) removes it.
    type: dict
    suboptions:
      ec2_tag_set_list:
        description:
          - The tag groups, each a list of tag filters with C(key), C(value) and C(type) as in O(ec2_tag_filters).
        type: list
        elements: list
  on_premises_instance_tag_filters:
    description:
      - On-premises instances with any of these tags belong to the group. Cannot be used with O(on_premises_tag_set).
    type: list
    elements: dict
  on_premises_tag_set:
    description:
      - Up to three tag groups of on-premises instance tag filters, as O(ec2_tag_set). V({}) removes it.
    type: dict
    suboptions:
      on_premises_tag_set_list:
        description: The tag groups, each a list of tag filters with C(key), C(value) and C(type).
        type: list
        elements: list
  load_balancer_info:
    description:
      - The load balancers the group routes through. Required for blue/green and for O(deployment_style.deployment_option=WITH_TRAFFIC_CONTROL).
      - V({}) removes them.
    type: dict
    suboptions:
      elb_info_list:
        description: Classic Load Balancers.
        type: list
        elements: dict
        suboptions:
          name:
            description: The name of the Classic Load Balancer.
            type: str
            required: true
      target_group_info_list:
        description: Target groups of Application or Network Load Balancers.
        type: list
        elements: dict
        suboptions:
          name:
            description: The name of the target group.
            type: str
            required: true
      target_group_pair_info_list:
        description: The target group pair of an ECS blue/green deployment (at most one).
        type: list
        elements: dict
        suboptions:
          target_groups:
            description: The two target groups.
            type: list
            elements: dict
            suboptions:
              name:
                description: The name of the target group.
                type: str
                required: true
          prod_traffic_route:
            description: The production listener.
            type: dict
            suboptions:
              listener_arns:
                description: The ARN of the listener.
                type: list
                elements: str
          test_traffic_route:
            description: The optional test listener.
            type: dict
            suboptions:
              listener_arns:
                description: The ARN of the listener.
                type: list
                elements: str
  blue_green_deployment_configuration:
    description:
      - How a blue/green deployment provisions the replacement (green) fleet, reroutes traffic and ends the
        original (blue) fleet. Suboptions left unset keep their current value. V({}) removes it.
    type: dict
    suboptions:
      deployment_ready_option:
        description: When to reroute traffic to the replacement instances.
        type: dict
        suboptions:
          action_on_timeout:
            description:
              - V(CONTINUE_DEPLOYMENT) reroutes as soon as the replacements are ready.
              - V(STOP_DEPLOYMENT) waits for C(ContinueDeployment) and stops the deployment after
                O(blue_green_deployment_configuration.deployment_ready_option.wait_time_in_minutes).
            type: str
            choices: ['CONTINUE_DEPLOYMENT', 'STOP_DEPLOYMENT']
          wait_time_in_minutes:
            description: Minutes to wait for a manual reroute (only with V(STOP_DEPLOYMENT)).
            type: int
      green_fleet_provisioning_option:
        description: Where the replacement instances come from.
        type: dict
        suboptions:
          action:
            description:
              - V(COPY_AUTO_SCALING_GROUP) copies the group's one Auto Scaling group.
              - V(DISCOVER_EXISTING) uses instances named when the deployment is created.
            type: str
            choices: ['DISCOVER_EXISTING', 'COPY_AUTO_SCALING_GROUP']
      terminate_blue_instances_on_deployment_success:
        description: What happens to the original instances after a successful deployment.
        type: dict
        suboptions:
          action:
            description: V(TERMINATE) them after the wait, or V(KEEP_ALIVE) (deregistered, left running).
            type: str
            choices: ['TERMINATE', 'KEEP_ALIVE']
          termination_wait_time_in_minutes:
            description: Minutes to wait before terminating (0 to 2880); CodeDeploy uses 0 when it is not given.
            type: int
  auto_rollback_configuration:
    description:
      - Roll back automatically when a deployment fails or is stopped. V({}) disables it.
      - O(auto_rollback) is the name M(rollout.codedeploy.codedeploy_deployment) uses for its override.
    type: dict
    aliases: ['auto_rollback']
    suboptions:
      enabled:
        description:
          - Whether automatic rollback is on. When omitted, the current setting is kept; a group without
            rollback events turns it on when O(auto_rollback_configuration.events) lists some.
        type: bool
      events:
        description: The events that roll back.
        type: list
        elements: str
        choices: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM', 'DEPLOYMENT_STOP_ON_REQUEST']
  alarm_configuration:
    description:
      - CloudWatch alarms that stop a deployment. V({}) removes them.
    type: dict
    suboptions:
      enabled:
        description:
          - Whether the alarms are watched. When omitted, the current setting is kept; a group without alarms
            turns it on when O(alarm_configuration.alarms) lists some.
        type: bool
      ignore_poll_alarm_failure:
        description: Continue the deployment when the alarm state cannot be read.
        type: bool
      alarms:
        description: The alarms (at most 10).
        type: list
        elements: dict
        suboptions:
          name:
            description: The name of the CloudWatch alarm.
            type: str
            required: true
  trigger_configurations:
    description:
      - SNS notifications of deployment and instance events (at most 10). V([]) removes them.
    type: list
    elements: dict
    suboptions:
      trigger_name:
        description: The name of the trigger.
        type: str
        required: true
      trigger_target_arn:
        description: The ARN of the SNS topic.
        type: str
        required: true
      trigger_events:
        description: The events that notify.
        type: list
        elements: str
        choices: ['DeploymentStart', 'DeploymentSuccess', 'DeploymentFailure', 'DeploymentStop', 'DeploymentRollback',
                  'DeploymentReady', 'InstanceStart', 'InstanceSuccess', 'InstanceFailure', 'InstanceReady']
  outdated_instances_strategy:
    description:
      - What happens to instances that Auto Scaling launches while a deployment runs; V(UPDATE) (CodeDeploy's
        default) deploys the new revision to them afterwards, V(IGNORE) leaves them on the older one.
    type: str
    choices: ['UPDATE', 'IGNORE']
  termination_hook_enabled:
    description:
      - Whether CodeDeploy installs a termination hook in the Auto Scaling groups, so that scale-in waits
        for the C(ApplicationStop) style lifecycle events.
    type: bool
  ec2_deployment_options:
    description:
      - Auto Scaling processes to suspend during a deployment. V({}) removes them.
    type: dict
  ecs_services:
    description:
      - The ECS services of an ECS group. V([]) removes them.
    type: list
    elements: dict
    suboptions:
      service_name:
        description: The name of the service.
        type: str
        required: true
      cluster_name:
        description: The name of its cluster.
        type: str
        required: true
notes:
  - CodeDeploy tags deployment groups by ARN and returns no ARN, so the module asks STS for the account.
  - In check mode, a missing application or deployment configuration gives a warning instead of failing,
    because an earlier task that check mode did not run may create it.
  - >-
    IAM actions, always: C(codedeploy:GetDeploymentGroup); C(codedeploy:ListTagsForResource) on a group that exists
    (its ARN is built from the account that C(sts:GetCallerIdentity) returns, a call AWS answers whatever the policies
    say).
  - >-
    IAM actions, O(state=present): for a new group C(codedeploy:GetApplication) (the application must exist) and
    C(codedeploy:CreateDeploymentGroup), its O(tags) included; for an existing group whose options differ
    C(codedeploy:UpdateDeploymentGroup); C(codedeploy:TagResource) and C(codedeploy:UntagResource) when O(tags) change
    those of an existing group; C(codedeploy:GetDeploymentConfig) when O(deployment_config_name) is not the group's
    configuration yet (V(CodeDeployDefault.OneAtATime) for a new group).
  - >-
    IAM actions, O(service_role_arn): C(iam:PassRole) on the role, passed to C(codedeploy.amazonaws.com) (the
    condition key iam:PassedToService), when the group is created or its role changes.
  - >-
    IAM actions, O(state=absent): C(codedeploy:DeleteDeploymentGroup) for a group that exists.
attributes:
  idempotent:
    details:
      - With O(accept_copied_auto_scaling_groups=true), a copy made by a blue/green deployment stands in for the
        named Auto Scaling group, so the task stays idempotent after such deployments.
seealso:
  - module: rollout.codedeploy.codedeploy_deployment_group_info
    description: Describe deployment groups.
  - module: rollout.codedeploy.codedeploy_application
    description: The application a group belongs to.
  - module: rollout.codedeploy.codedeploy_deployment_config
    description: Custom deployment configurations a group can use.
  - module: rollout.codedeploy.codedeploy_deployment
    description: Deploy a revision to a group.
  - module: amazon.aws.autoscaling_group
    description: The Auto Scaling groups a deployment group deploys to.
  - module: amazon.aws.elb_application_lb
    description: Load balancers and target groups a group routes traffic through.
  - module: amazon.aws.iam_role
    description: The service role CodeDeploy assumes.
  - name: Working with deployment groups in CodeDeploy
    link: https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-groups.html
    description: The AWS CodeDeploy User Guide.
extends_documentation_fragment:
  - rollout.codedeploy.iam_permissions
  - rollout.codedeploy.resource_module
  - rollout.codedeploy.tag_filters.deployment_group
  - rollout.codedeploy.ec2_deployment_options
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
# The three deployment groups of the CodeDeploy console tutorial, for application DemoApp,
# Auto Scaling group demo-asg behind the Classic Load Balancer demo-clb.
- name: demo-group, in place, an Auto Scaling group behind a Classic Load Balancer
  rollout.codedeploy.codedeploy_deployment_group:
    application_name: DemoApp
    name: demo-group
    service_role_arn: arn:aws:iam::123456789012:role/CodeDeployServiceRole
    deployment_config_name: CodeDeployDefault.OneAtATime
    deployment_style:
      deployment_type: IN_PLACE
      deployment_option: WITH_TRAFFIC_CONTROL
    auto_scaling_groups:
      - demo-asg
    load_balancer_info:
      elb_info_list:
        - name: demo-clb

- name: demo-blue-green, copy the Auto Scaling group, reroute at once, terminate the originals after 0 minutes
  rollout.codedeploy.codedeploy_deployment_group:
    application_name: DemoApp
    name: demo-blue-green
    service_role_arn: arn:aws:iam::123456789012:role/CodeDeployServiceRole
    deployment_style:
      deployment_type: BLUE_GREEN
      deployment_option: WITH_TRAFFIC_CONTROL
    auto_scaling_groups:
      - demo-asg
    load_balancer_info:
      elb_info_list:
        - name: demo-clb
    blue_green_deployment_configuration:
      green_fleet_provisioning_option:
        action: COPY_AUTO_SCALING_GROUP
      deployment_ready_option:
        action_on_timeout: CONTINUE_DEPLOYMENT
      terminate_blue_instances_on_deployment_success:
        action: TERMINATE
        termination_wait_time_in_minutes: 0

- name: quick-fix, in place, same load balancer
  rollout.codedeploy.codedeploy_deployment_group:
    application_name: DemoApp
    name: quick-fix
    service_role_arn: arn:aws:iam::123456789012:role/CodeDeployServiceRole
    deployment_config_name: CodeDeployDefault.AllAtOnce
    deployment_style:
      deployment_type: IN_PLACE
      deployment_option: WITH_TRAFFIC_CONTROL
    auto_scaling_groups:
      - demo-asg
    load_balancer_info:
      elb_info_list:
        - name: demo-clb

- name: Roll back on failure and on alarm, notify an SNS topic, keep everything else as it is
  rollout.codedeploy.codedeploy_deployment_group:
    application_name: DemoApp
    name: demo-group
    auto_rollback_configuration:
      events: [DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM]
    alarm_configuration:
      alarms:
        - name: demo-5xx
    trigger_configurations:
      - trigger_name: deployments
        trigger_target_arn: arn:aws:sns:us-east-1:123456789012:deployments
        trigger_events: [DeploymentFailure, DeploymentSuccess]
    tags:
      team: web

- name: Select instances by tags (every tag group must match) instead of tag filters
  rollout.codedeploy.codedeploy_deployment_group:
    application_name: DemoApp
    name: demo-tagged
    service_role_arn: arn:aws:iam::123456789012:role/CodeDeployServiceRole
    ec2_tag_filters: []
    ec2_tag_set:
      ec2_tag_set_list:
        - - key: app
            value: demo
        - - key: env
            value: prod
          - key: env
            value: staging

- name: Remove the alarms and the triggers, disable automatic rollback
  rollout.codedeploy.codedeploy_deployment_group:
    application_name: DemoApp
    name: demo-group
    alarm_configuration: {}
    trigger_configurations: []
    auto_rollback_configuration: {}

- name: Delete the tutorial groups
  rollout.codedeploy.codedeploy_deployment_group:
    application_name: DemoApp
    name: "{{ item }}"
    state: absent
  loop: [demo-group, demo-blue-green, quick-fix]
"""

RETURN = r"""
deployment_group:
  description:
    - The deployment group as C(GetDeploymentGroup) describes it, in snake_case, with its tags. Empty after deletion.
    - In check mode, the predicted group.
  returned: always
  type: dict
  contains:
    application_name:
      description: The application.
      returned: when the group exists
      type: str
      sample: "DemoApp"
    deployment_group_id:
      description: The ID of the group.
      returned: when the group exists (not in check mode before creation)
      type: str
      sample: "3c1e0a1b-2d3e-4f5a-8b7c-9d0e1f2a3b4c"
    deployment_group_name:
      description: The name of the group.
      returned: when the group exists
      type: str
      sample: "demo-group"
    service_role_arn:
      description: The service role.
      returned: when the group exists
      type: str
    deployment_config_name:
      description: The deployment configuration.
      returned: when the group exists
      type: str
      sample: "CodeDeployDefault.OneAtATime"
    deployment_style:
      description: C(deployment_type) and C(deployment_option).
      returned: when the group exists
      type: dict
      sample: {"deployment_type": "IN_PLACE", "deployment_option": "WITH_TRAFFIC_CONTROL"}
    auto_scaling_groups:
      description: The Auto Scaling groups, each with C(name) and the C(hook) CodeDeploy installed in it.
      returned: when the group exists
      type: list
      elements: dict
      sample: [{"name": "demo-asg", "hook": "CodeDeploy-managed-automatic-launch-deployment-hook-demo-group-1a2b"}]
    ec2_tag_filters:
      description: The EC2 tag filters (C(key), C(value), C(type)).
      returned: when the group exists
      type: list
      elements: dict
    ec2_tag_set:
      description: The EC2 tag set, C(ec2_tag_set_list).
      returned: when set
      type: dict
    on_premises_instance_tag_filters:
      description: The on-premises tag filters.
      returned: when the group exists
      type: list
      elements: dict
    on_premises_tag_set:
      description: The on-premises tag set, C(on_premises_tag_set_list).
      returned: when set
      type: dict
    load_balancer_info:
      description: The load balancers.
      returned: when set
      type: dict
    blue_green_deployment_configuration:
      description: The blue/green configuration.
      returned: when set
      type: dict
    auto_rollback_configuration:
      description: C(enabled) and C(events).
      returned: when the group exists
      type: dict
    alarm_configuration:
      description: C(enabled), C(ignore_poll_alarm_failure) and C(alarms).
      returned: when set
      type: dict
    trigger_configurations:
      description: The SNS triggers.
      returned: when the group exists
      type: list
      elements: dict
    outdated_instances_strategy:
      description: V(UPDATE) or V(IGNORE).
      returned: when the group exists
      type: str
    termination_hook_enabled:
      description: Whether the termination hook is installed.
      returned: when the group exists
      type: bool
    compute_platform:
      description: The compute platform of the application.
      returned: when the group exists (not in check mode before creation)
      type: str
      sample: "Server"
    target_revision:
      description: The revision of the last deployment.
      returned: after a deployment
      type: dict
    last_attempted_deployment:
      description: C(deployment_id), C(status), C(create_time) and C(end_time) of the last deployment.
      returned: after a deployment
      type: dict
    last_successful_deployment:
      description: The same for the last successful deployment.
      returned: after a successful deployment
      type: dict
    tags:
      description: The tags of the group.
      returned: when the group exists
      type: dict
      sample: {"team": "web"}
"""

from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import aws_client
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import ec2_deployment_options_spec
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import ensure_deployment_group
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import read_deployment_group
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import tag_filters_spec
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import validate_name
from ansible_collections.rollout.codedeploy.plugins.module_utils.modules import AnsibleCodeDeployModule


def do(module: AnsibleCodeDeployModule) -> None:
    params = module.params
    for option in ("application_name", "name", "deployment_config_name"):
        validate_name(option, params[option])
    client = aws_client(module, "codedeploy")
    current = read_deployment_group(client, module.arns, params["application_name"], params["name"])
    module.exit_json(**ensure_deployment_group(module, client, current))


def main() -> None:
    named = dict(name=dict(type="str", required=True))
    listeners = dict(listener_arns=dict(type="list", elements="str"))
    trigger_events = [
        "DeploymentStart", "DeploymentSuccess", "DeploymentFailure", "DeploymentStop", "DeploymentRollback",
        "DeploymentReady", "InstanceStart", "InstanceSuccess", "InstanceFailure", "InstanceReady",
    ]  # fmt: skip
    argument_spec = dict(
        application_name=dict(
            type="str",
            required=True,
            aliases=["application", "app_name"],
            deprecated_aliases=[dict(name="app_name", version="2.0.0", collection_name="rollout.codedeploy")],
        ),
        name=dict(type="str", required=True, aliases=["deployment_group_name"]),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        service_role_arn=dict(type="str"),
        role_propagation_timeout=dict(type="int", default=120),
        deployment_config_name=dict(type="str"),
        deployment_style=dict(
            type="dict",
            options=dict(
                deployment_type=dict(type="str", choices=["IN_PLACE", "BLUE_GREEN"]),
                deployment_option=dict(type="str", choices=["WITH_TRAFFIC_CONTROL", "WITHOUT_TRAFFIC_CONTROL"]),
            ),
        ),
        auto_scaling_groups=dict(type="list", elements="str"),
        accept_copied_auto_scaling_groups=dict(type="bool", default=True),
        ec2_tag_filters=tag_filters_spec(),
        ec2_tag_set=dict(type="dict", options=dict(ec2_tag_set_list=dict(type="list", elements="list"))),
        on_premises_instance_tag_filters=tag_filters_spec(),
        on_premises_tag_set=dict(
            type="dict", options=dict(on_premises_tag_set_list=dict(type="list", elements="list"))
        ),
        load_balancer_info=dict(
            type="dict",
            options=dict(
                elb_info_list=dict(type="list", elements="dict", options=named),
                target_group_info_list=dict(type="list", elements="dict", options=named),
                target_group_pair_info_list=dict(
                    type="list",
                    elements="dict",
                    options=dict(
                        target_groups=dict(type="list", elements="dict", options=named),
                        prod_traffic_route=dict(type="dict", options=listeners),
                        test_traffic_route=dict(type="dict", options=listeners),
                    ),
                ),
            ),
        ),
        blue_green_deployment_configuration=dict(
            type="dict",
            options=dict(
                deployment_ready_option=dict(
                    type="dict",
                    options=dict(
                        action_on_timeout=dict(type="str", choices=["CONTINUE_DEPLOYMENT", "STOP_DEPLOYMENT"]),
                        wait_time_in_minutes=dict(type="int"),
                    ),
                ),
                green_fleet_provisioning_option=dict(
                    type="dict",
                    options=dict(action=dict(type="str", choices=["DISCOVER_EXISTING", "COPY_AUTO_SCALING_GROUP"])),
                ),
                terminate_blue_instances_on_deployment_success=dict(
                    type="dict",
                    options=dict(
                        action=dict(type="str", choices=["TERMINATE", "KEEP_ALIVE"]),
                        termination_wait_time_in_minutes=dict(type="int"),
                    ),
                ),
            ),
        ),
        auto_rollback_configuration=dict(
            type="dict",
            aliases=["auto_rollback"],
            options=dict(
                enabled=dict(type="bool"),
                events=dict(
                    type="list",
                    elements="str",
                    choices=["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST"],
                ),
            ),
        ),
        alarm_configuration=dict(
            type="dict",
            options=dict(
                enabled=dict(type="bool"),
                ignore_poll_alarm_failure=dict(type="bool"),
                alarms=dict(type="list", elements="dict", options=named),
            ),
        ),
        trigger_configurations=dict(
            type="list",
            elements="dict",
            options=dict(
                trigger_name=dict(type="str", required=True),
                trigger_target_arn=dict(type="str", required=True),
                trigger_events=dict(type="list", elements="str", choices=trigger_events),
            ),
        ),
        outdated_instances_strategy=dict(type="str", choices=["UPDATE", "IGNORE"]),
        termination_hook_enabled=dict(type="bool"),
        ec2_deployment_options=ec2_deployment_options_spec(),
        ecs_services=dict(
            type="list",
            elements="dict",
            options=dict(service_name=dict(type="str", required=True), cluster_name=dict(type="str", required=True)),
        ),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    AnsibleCodeDeployModule(argument_spec=argument_spec, supports_check_mode=True).run(do)


if __name__ == "__main__":
    main()
