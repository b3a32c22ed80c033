#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: codedeploy_deployment_group_info
version_added: 0.1.0
short_description: Describe AWS CodeDeploy deployment groups
description:
  - Describe one deployment group of a CodeDeploy application, or all of them, with their tags.
author:
  - rollout.codedeploy developers (@rollout)
options:
  application_name:
    description:
      - The application whose deployment groups are described.
      - An application that does not exist gives an empty list, not an error.
      - The alias O(app_name) is deprecated and will be removed in 2.0.0; use O(application_name) or O(application).
    type: str
    required: true
    aliases: ['application', 'app_name']
  name:
    description:
      - The name of the deployment group to describe.
      - When omitted, every deployment group of the application is described.
      - A name that does not exist gives an empty list, not an error.
    type: str
    aliases: ['deployment_group_name']
notes:
  - >-
    IAM actions: C(codedeploy:GetDeploymentGroup) with O(name); without it C(codedeploy:ListDeploymentGroups) and
    C(codedeploy:BatchGetDeploymentGroups); then C(codedeploy:ListTagsForResource) for each group (its ARN is built
    from the account that C(sts:GetCallerIdentity) returns, a call AWS answers whatever the policies say).
seealso:
  - module: rollout.codedeploy.codedeploy_deployment_group
    description: Create, update and delete deployment groups.
  - module: rollout.codedeploy.codedeploy_deployment_info
    description: Describe a group's deployments.
extends_documentation_fragment:
  - rollout.codedeploy.iam_permissions
  - rollout.codedeploy.info_module
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Describe one deployment group
  rollout.codedeploy.codedeploy_deployment_group_info:
    application_name: DemoApp
    name: demo-blue-green
  register: bg

- name: Show the Auto Scaling group it deploys to now (a copy after a blue/green deployment)
  ansible.builtin.debug:
    msg: "{{ bg.deployment_groups[0].auto_scaling_groups | map(attribute='name') }}"

- name: Describe every deployment group of the application
  rollout.codedeploy.codedeploy_deployment_group_info:
    application_name: DemoApp
"""

RETURN = r"""
deployment_groups:
  description:
    - The deployment groups as C(GetDeploymentGroup) describes them, in snake_case, with their tags, sorted by name.
    - The members are those returned by M(rollout.codedeploy.codedeploy_deployment_group) in RV(ignore:deployment_group).
  returned: always
  type: list
  elements: dict
  sample:
    - application_name: DemoApp
      deployment_group_name: demo-group
      deployment_group_id: 3c1e0a1b-2d3e-4f5a-8b7c-9d0e1f2a3b4c
      deployment_config_name: CodeDeployDefault.OneAtATime
      deployment_style:
        deployment_type: IN_PLACE
        deployment_option: WITH_TRAFFIC_CONTROL
      auto_scaling_groups:
        - name: demo-asg
          hook: CodeDeploy-managed-automatic-launch-deployment-hook-demo-group-1a2b3c4d
      load_balancer_info:
        elb_info_list:
          - name: demo-clb
      service_role_arn: arn:aws:iam::123456789012:role/CodeDeployServiceRole
      compute_platform: Server
      tags: {}
"""

from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import aws_client
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import read_deployment_groups
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import validate_name
from ansible_collections.rollout.codedeploy.plugins.module_utils.modules import AnsibleCodeDeployModule


def do(module: AnsibleCodeDeployModule) -> None:
    application, name = module.params["application_name"], module.params["name"]
    validate_name("application_name", application)
    validate_name("name", name)
    groups = read_deployment_groups(aws_client(module, "codedeploy"), module.arns, application, name)
    module.exit_json(changed=False, deployment_groups=groups)


def main() -> None:
    argument_spec = dict(
        application_name=dict(
            type="str",
            required=True,
            aliases=["application", "app_name"],
            deprecated_aliases=[dict(name="app_name", version="2.0.0", collection_name="rollout.codedeploy")],
        ),
        name=dict(type="str", aliases=["deployment_group_name"]),
    )
    AnsibleCodeDeployModule(argument_spec=argument_spec, supports_check_mode=True).run(do)


if __name__ == "__main__":
    main()
