#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: codedeploy_deployment_config_info
version_added: 0.1.0
short_description: Describe AWS CodeDeploy deployment configurations
description:
  - Describe one CodeDeploy deployment configuration, or all of them (built-in ones included, as
    ListDeploymentConfigs answers).
author:
  - rollout.codedeploy developers (@rollout)
options:
  name:
    description:
      - The name of the deployment configuration to describe.
      - When omitted, every deployment configuration is described.
      - A name that does not exist gives an empty list, not an error.
    type: str
    aliases: ['deployment_config_name']
  include_builtin:
    description:
      - Whether the built-in C(CodeDeployDefault.*) configurations are listed when O(name) is omitted.
    type: bool
    default: true
notes:
  - >-
    IAM actions: C(codedeploy:ListDeploymentConfigs) without O(name); then C(codedeploy:GetDeploymentConfig) for each
    configuration.
seealso:
  - module: rollout.codedeploy.codedeploy_deployment_config
    description: Create and delete deployment configurations.
extends_documentation_fragment:
  - rollout.codedeploy.iam_permissions
  - rollout.codedeploy.info_module
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Describe one deployment configuration
  rollout.codedeploy.codedeploy_deployment_config_info:
    name: CodeDeployDefault.HalfAtATime
  register: half

- name: Describe the configurations we created ourselves
  rollout.codedeploy.codedeploy_deployment_config_info:
    include_builtin: false
  register: custom_configs
"""

RETURN = r"""
deployment_configs:
  description: The deployment configurations, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    deployment_config_id:
      description: The ID of the configuration.
      returned: always
      type: str
      sample: "00000000-0000-0000-0000-000000000001"
    deployment_config_name:
      description: The name of the configuration.
      returned: always
      type: str
      sample: "CodeDeployDefault.OneAtATime"
    compute_platform:
      description: V(Server), V(Lambda) or V(ECS).
      returned: always
      type: str
      sample: "Server"
    create_time:
      description: When the configuration was created.
      returned: always
      type: str
    minimum_healthy_hosts:
      description: The minimum healthy instances, C(type) and C(value).
      returned: when set
      type: dict
      sample: {"type": "FLEET_PERCENT", "value": 50}
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
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import read_deployment_configs
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import validate_name
from ansible_collections.rollout.codedeploy.plugins.module_utils.modules import AnsibleCodeDeployModule


def do(module: AnsibleCodeDeployModule) -> None:
    name = module.params["name"]
    validate_name("name", name)
    configs = read_deployment_configs(aws_client(module, "codedeploy"), name, module.params["include_builtin"])
    module.exit_json(changed=False, deployment_configs=configs)


def main() -> None:
    argument_spec = dict(
        name=dict(type="str", aliases=["deployment_config_name"]),
        include_builtin=dict(type="bool", default=True),
    )
    AnsibleCodeDeployModule(argument_spec=argument_spec, supports_check_mode=True).run(do)


if __name__ == "__main__":
    main()
