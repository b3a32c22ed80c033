#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: codedeploy_deployment_config
version_added: 0.1.0
short_description: Manage AWS CodeDeploy deployment configurations
description:
  - Create and delete CodeDeploy deployment configurations, the rules that say how many instances
    a deployment updates at a time (EC2/on-premises) or how traffic shifts (Lambda, ECS).
  - CodeDeploy has no call that updates a deployment configuration. When the existing configuration
    differs from the task, the module fails and says so, unless O(replace=true), which deletes the
    configuration and creates it again under the same name (with a new ID).
  - A configuration that a deployment group uses is never deleted; the module fails and names the groups.
  - The built-in C(CodeDeployDefault.*) configurations are read-only. Naming one with O(state=present)
    and no definition (or the same definition) returns it unchanged.
author:
  - rollout.codedeploy developers (@rollout)
options:
  name:
    description:
      - The name of the deployment configuration.
      - 1 to 100 characters from letters, digits and C(+=,.@_-); names starting with C(CodeDeployDefault.)
        are reserved for the built-in configurations.
    type: str
    required: true
    aliases: ['deployment_config_name']
  state:
    description:
      - V(present) creates the configuration (or, with O(replace=true), replaces a different one).
      - V(absent) deletes it, unless a deployment group uses it.
    type: str
    choices: ['present', 'absent']
    default: present
  compute_platform:
    description:
      - The compute platform of the configuration. A new configuration uses V(Server) when omitted.
    type: str
    choices: ['Server', 'Lambda', 'ECS']
  minimum_healthy_hosts:
    description:
      - How many instances must stay healthy during an EC2/on-premises deployment.
      - Required to create a V(Server) configuration.
    type: dict
    suboptions:
      type:
        description:
          - V(HOST_COUNT) counts instances, V(FLEET_PERCENT) is a percentage of the fleet (rounded up).
        type: str
        choices: ['HOST_COUNT', 'FLEET_PERCENT']
        required: true
      value:
        description:
          - The number of instances, or the percentage (0 to 99).
        type: int
        required: true
  zonal_config:
    description:
      - Deploy to one Availability Zone at a time (EC2/on-premises only).
    type: dict
    suboptions:
      first_zone_monitor_duration_in_seconds:
        description:
          - Seconds to wait after the first Availability Zone before the next one.
          - Defaults to O(zonal_config.monitor_duration_in_seconds).
        type: int
      monitor_duration_in_seconds:
        description:
          - Seconds to wait after each Availability Zone before the next one.
        type: int
      minimum_healthy_hosts_per_zone:
        description:
          - How many instances per Availability Zone must stay healthy.
        type: dict
        suboptions:
          type:
            description:
              - V(HOST_COUNT) or V(FLEET_PERCENT).
            type: str
            choices: ['HOST_COUNT', 'FLEET_PERCENT']
            required: true
          value:
            description:
              - The number of instances, or the percentage.
            type: int
            required: true
  traffic_routing_config:
    description:
      - How traffic shifts to the new version (Lambda and ECS only).
    type: dict
    suboptions:
      type:
        description:
          - The kind of traffic shift.
        type: str
        choices: ['TimeBasedCanary', 'TimeBasedLinear', 'AllAtOnce']
        required: true
      time_based_canary:
        description:
          - The canary step, for O(traffic_routing_config.type=TimeBasedCanary).
        type: dict
        suboptions:
          canary_percentage:
            description: Percentage of traffic shifted first.
            type: int
          canary_interval:
            description: Minutes between the first and the second shift.
            type: int
      time_based_linear:
        description:
          - The linear steps, for O(traffic_routing_config.type=TimeBasedLinear).
        type: dict
        suboptions:
          linear_percentage:
            description: Percentage of traffic shifted at each step.
            type: int
          linear_interval:
            description: Minutes between steps.
            type: int
  replace:
    description:
      - When the existing configuration differs from the task, delete it and create it again.
      - When V(false), a different existing configuration fails the task and nothing changes.
    type: bool
    default: false
notes:
  - >-
    IAM actions, always: C(codedeploy:GetDeploymentConfig).
  - >-
    IAM actions, O(state=present): C(codedeploy:CreateDeploymentConfig) for a new configuration; with O(replace=true),
    for one whose definition differs, C(codedeploy:DeleteDeploymentConfig) and C(codedeploy:CreateDeploymentConfig),
    after the check that no deployment group uses it (C(codedeploy:ListApplications),
    C(codedeploy:ListDeploymentGroups), C(codedeploy:BatchGetDeploymentGroups)).
  - >-
    IAM actions, O(state=absent): C(codedeploy:DeleteDeploymentConfig) for a configuration that exists, after the
    check that no deployment group uses it (C(codedeploy:ListApplications), C(codedeploy:ListDeploymentGroups),
    C(codedeploy:BatchGetDeploymentGroups)).
seealso:
  - module: rollout.codedeploy.codedeploy_deployment_config_info
    description: Describe deployment configurations.
  - module: rollout.codedeploy.codedeploy_deployment_group
    description: A group names its default configuration.
  - module: rollout.codedeploy.codedeploy_deployment
    description: A deployment may name another configuration.
  - name: Working with deployment configurations in CodeDeploy
    link: https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html
    description: The AWS CodeDeploy User Guide, with the predefined configurations.
extends_documentation_fragment:
  - rollout.codedeploy.iam_permissions
  - rollout.codedeploy.resource_module
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Keep at least two instances healthy
  rollout.codedeploy.codedeploy_deployment_config:
    name: TwoHealthy
    minimum_healthy_hosts:
      type: HOST_COUNT
      value: 2

- name: Three quarters of the fleet healthy, one Availability Zone at a time
  rollout.codedeploy.codedeploy_deployment_config:
    name: ThreeQuartersZonal
    minimum_healthy_hosts:
      type: FLEET_PERCENT
      value: 75
    zonal_config:
      monitor_duration_in_seconds: 300
      first_zone_monitor_duration_in_seconds: 600
      minimum_healthy_hosts_per_zone:
        type: HOST_COUNT
        value: 1

- name: Change the definition (CodeDeploy cannot update it, so it is deleted and created again)
  rollout.codedeploy.codedeploy_deployment_config:
    name: TwoHealthy
    minimum_healthy_hosts:
      type: HOST_COUNT
      value: 3
    replace: true

- name: A canary configuration for Lambda
  rollout.codedeploy.codedeploy_deployment_config:
    name: LambdaCanary25Percent10Minutes
    compute_platform: Lambda
    traffic_routing_config:
      type: TimeBasedCanary
      time_based_canary:
        canary_percentage: 25
        canary_interval: 10

- name: Delete a configuration no deployment group uses
  rollout.codedeploy.codedeploy_deployment_config:
    name: TwoHealthy
    state: absent
"""

RETURN = r"""
deployment_config:
  description: The deployment configuration as CodeDeploy describes it. Empty after deletion.
  returned: always
  type: dict
  contains:
    deployment_config_id:
      description: The ID of the configuration; a replaced configuration gets a new one.
      returned: when the configuration exists
      type: str
      sample: "4f1c2b9e-3a1d-4a8e-9b1c-2d3e4f5a6b7c"
    deployment_config_name:
      description: The name of the configuration.
      returned: when the configuration exists
      type: str
      sample: "TwoHealthy"
    compute_platform:
      description: V(Server), V(Lambda) or V(ECS).
      returned: when the configuration exists
      type: str
      sample: "Server"
    create_time:
      description: When the configuration was created.
      returned: when the configuration exists
      type: str
    minimum_healthy_hosts:
      description: The minimum healthy instances, C(type) and C(value).
      returned: when set
      type: dict
      sample: {"type": "HOST_COUNT", "value": 2}
    zonal_config:
      description: The zonal configuration.
      returned: when set
      type: dict
    traffic_routing_config:
      description: The traffic routing configuration.
      returned: when set
      type: dict
"""

from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import aws_client
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import ensure_deployment_config
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import read_deployment_config
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import validate_name
from ansible_collections.rollout.codedeploy.plugins.module_utils.modules import AnsibleCodeDeployModule


def do(module: AnsibleCodeDeployModule) -> None:
    name = module.params["name"]
    validate_name("name", name)
    client = aws_client(module, "codedeploy")
    current = read_deployment_config(client, name)
    module.exit_json(**ensure_deployment_config(module, client, current))


def main() -> None:
    healthy_hosts = dict(
        type=dict(type="str", required=True, choices=["HOST_COUNT", "FLEET_PERCENT"]),
        value=dict(type="int", required=True),
    )
    argument_spec = dict(
        name=dict(type="str", required=True, aliases=["deployment_config_name"]),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        compute_platform=dict(type="str", choices=["Server", "Lambda", "ECS"]),
        minimum_healthy_hosts=dict(type="dict", options=healthy_hosts),
        zonal_config=dict(
            type="dict",
            options=dict(
                first_zone_monitor_duration_in_seconds=dict(type="int"),
                monitor_duration_in_seconds=dict(type="int"),
                minimum_healthy_hosts_per_zone=dict(type="dict", options=healthy_hosts),
            ),
        ),
        traffic_routing_config=dict(
            type="dict",
            options=dict(
                type=dict(type="str", required=True, choices=["TimeBasedCanary", "TimeBasedLinear", "AllAtOnce"]),
                time_based_canary=dict(
                    type="dict", options=dict(canary_percentage=dict(type="int"), canary_interval=dict(type="int"))
                ),
                time_based_linear=dict(
                    type="dict", options=dict(linear_percentage=dict(type="int"), linear_interval=dict(type="int"))
                ),
            ),
        ),
        replace=dict(type="bool", default=False),
    )
    AnsibleCodeDeployModule(argument_spec=argument_spec, supports_check_mode=True).run(do)


if __name__ == "__main__":
    main()
