#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: codedeploy_application_info
version_added: 0.1.0
short_description: Describe AWS CodeDeploy applications
description:
  - Describe one CodeDeploy application, or all applications of the account and region, with their tags
    and the names of their deployment groups.
author:
  - rollout.codedeploy developers (@rollout)
options:
  name:
    description:
      - The name of the application to describe.
      - When omitted, every application is described.
      - A name that does not exist gives an empty list, not an error.
    type: str
    aliases: ['application_name']
notes:
  - >-
    IAM actions: C(codedeploy:ListApplications) without O(name); then for each application
    C(codedeploy:GetApplication), C(codedeploy:ListTagsForResource) (its ARN is built from the account that
    C(sts:GetCallerIdentity) returns, a call AWS answers whatever the policies say) and
    C(codedeploy:ListDeploymentGroups).
seealso:
  - module: rollout.codedeploy.codedeploy_application
    description: Create, tag and delete applications.
  - module: rollout.codedeploy.codedeploy_deployment_group_info
    description: Describe an application's deployment groups.
extends_documentation_fragment:
  - rollout.codedeploy.iam_permissions
  - rollout.codedeploy.info_module
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Describe one application
  rollout.codedeploy.codedeploy_application_info:
    name: HelloWorld_App
  register: app_info

- name: Show its deployment groups
  ansible.builtin.debug:
    msg: "{{ app_info.applications[0].deployment_groups }}"

- name: Describe every application
  rollout.codedeploy.codedeploy_application_info:
  register: all_apps
"""

RETURN = r"""
applications:
  description: The applications, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    application_id:
      description: The ID of the application.
      returned: always
      type: str
      sample: "8c1e7c3d-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
    application_name:
      description: The name of the application.
      returned: always
      type: str
      sample: "HelloWorld_App"
    compute_platform:
      description: The compute platform, V(Server), V(Lambda) or V(ECS).
      returned: always
      type: str
      sample: "Server"
    create_time:
      description: When the application was created.
      returned: always
      type: str
    linked_to_git_hub:
      description: Whether the application is linked to a GitHub account.
      returned: always
      type: bool
    git_hub_account_name:
      description: The GitHub account the application is linked to.
      returned: when linked to GitHub
      type: str
    deployment_groups:
      description: The names of the deployment groups of the application, sorted.
      returned: always
      type: list
      elements: str
      sample: ["demo-group", "quick-fix"]
    tags:
      description: The tags of the application.
      returned: always
      type: dict
      sample: {"team": "web"}
"""

from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import aws_client
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import read_applications
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import validate_name
from ansible_collections.rollout.codedeploy.plugins.module_utils.modules import AnsibleCodeDeployModule


def do(module: AnsibleCodeDeployModule) -> None:
    name = module.params["name"]
    validate_name("name", name)
    applications = read_applications(aws_client(module, "codedeploy"), module.arns, name)
    module.exit_json(changed=False, applications=applications)


def main() -> None:
    argument_spec = dict(name=dict(type="str", aliases=["application_name"]))
    AnsibleCodeDeployModule(argument_spec=argument_spec, supports_check_mode=True).run(do)


if __name__ == "__main__":
    main()
