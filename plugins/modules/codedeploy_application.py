#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: codedeploy_application
version_added: 0.1.0
short_description: Manage AWS CodeDeploy applications
description:
  - Create, tag and delete AWS CodeDeploy applications.
  - An application is a name under which deployment groups, revisions and deployments live.
author:
  - rollout.codedeploy developers (@rollout)
options:
  name:
    description:
      - The name of the application.
      - 1 to 100 characters from letters, digits and C(+=,.@_-).
    type: str
    required: true
    aliases: ['application_name']
  compute_platform:
    description:
      - The compute platform the application deploys to.
      - Used when the application is created. CodeDeploy cannot change the platform of an existing
        application, so a different value for an existing application fails; delete the application
        and create it again instead.
      - When omitted, a new application uses V(Server) and an existing one is left alone.
    type: str
    choices: ['Server', 'Lambda', 'ECS']
  state:
    description:
      - V(present) creates the application or updates its tags.
      - V(absent) deletes the application, and with it B(all its deployment groups and their deployment
        history). Instances and revisions in S3 are not touched.
    type: str
    choices: ['present', 'absent']
    default: present
notes:
  - >-
    IAM actions, always: C(codedeploy:GetApplication); C(codedeploy:ListTagsForResource) on an application that exists
    (its ARN is built from the account that C(sts:GetCallerIdentity) returns, a call AWS answers whatever the policies
    say).
  - >-
    IAM actions, O(state=present): C(codedeploy:CreateApplication) for a new application, its O(tags) included;
    C(codedeploy:TagResource) and C(codedeploy:UntagResource) when O(tags) change those of an existing one.
  - >-
    IAM actions, O(state=absent): C(codedeploy:DeleteApplication) for an application that exists.
seealso:
  - module: rollout.codedeploy.codedeploy_application_info
    description: Describe applications.
  - module: rollout.codedeploy.codedeploy_deployment_group
    description: Manage the deployment groups of an application.
  - module: rollout.codedeploy.codedeploy_deployment
    description: Deploy a revision of an application.
  - name: Working with applications in CodeDeploy
    link: https://docs.aws.amazon.com/codedeploy/latest/userguide/applications.html
    description: The AWS CodeDeploy User Guide.
extends_documentation_fragment:
  - rollout.codedeploy.iam_permissions
  - rollout.codedeploy.resource_module
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Create the application of the CodeDeploy console tutorial
  rollout.codedeploy.codedeploy_application:
    name: HelloWorld_App
    tags:
      team: web

- name: An application for Lambda functions
  rollout.codedeploy.codedeploy_application:
    name: orders-lambda
    compute_platform: Lambda

- name: Add a tag, keep the others
  rollout.codedeploy.codedeploy_application:
    name: HelloWorld_App
    tags:
      cost-center: "42"
    purge_tags: false

- name: Delete the application with all its deployment groups
  rollout.codedeploy.codedeploy_application:
    name: HelloWorld_App
    state: absent
"""

RETURN = r"""
application:
  description: The application as CodeDeploy describes it, with its tags. Empty after deletion.
  returned: always
  type: dict
  contains:
    application_id:
      description: The ID of the application.
      returned: when the application exists
      type: str
      sample: "8c1e7c3d-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
    application_name:
      description: The name of the application.
      returned: when the application exists
      type: str
      sample: "HelloWorld_App"
    compute_platform:
      description: The compute platform, V(Server), V(Lambda) or V(ECS).
      returned: when the application exists
      type: str
      sample: "Server"
    create_time:
      description: When the application was created.
      returned: when the application exists
      type: str
      sample: "2026-11-27T10:15:00.123000+00:00"
    linked_to_git_hub:
      description: Whether the application is linked to a GitHub account.
      returned: when the application exists
      type: bool
      sample: false
    git_hub_account_name:
      description: The GitHub account the application is linked to.
      returned: when linked to GitHub
      type: str
    tags:
      description: The tags of the application.
      returned: when the application exists
      type: dict
      sample: {"team": "web"}
"""

from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import aws_client
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import ensure_application
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import read_application
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import validate_name
from ansible_collections.rollout.codedeploy.plugins.module_utils.modules import AnsibleCodeDeployModule


def do(module: AnsibleCodeDeployModule) -> None:
    validate_name("name", module.params["name"])
    client = aws_client(module, "codedeploy")
    current = read_application(client, module.arns, module.params["name"])
    module.exit_json(**ensure_application(module, client, current))


def main() -> None:
    argument_spec = dict(
        name=dict(type="str", required=True, aliases=["application_name"]),
        compute_platform=dict(type="str", choices=["Server", "Lambda", "ECS"]),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    AnsibleCodeDeployModule(argument_spec=argument_spec, supports_check_mode=True).run(do)


if __name__ == "__main__":
    main()
