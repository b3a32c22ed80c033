#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: codedeploy_on_premises_instance_info
version_added: 0.1.0
short_description: Describe AWS CodeDeploy on-premises instances
description:
  - Describe one on-premises instance, or all of them in the account and region, with their tags.
  - The filters are CodeDeploy's own (C(ListOnPremisesInstances)); with O(name) and a filter, the instance is
    listed only when the filter selects it.
author:
  - rollout.codedeploy developers (@rollout)
options:
  name:
    description:
      - The name of the instance to describe.
      - When omitted, every instance the filters select is described.
      - A name CodeDeploy does not know gives an empty list, not an error.
    type: str
    aliases: ['instance_name']
  registration_status:
    description:
      - Only instances that are V(Registered), or only those that are V(Deregistered) (CodeDeploy keeps those
        visible for a while after deregistration).
      - When omitted, both.
    type: str
    choices: ['Registered', 'Deregistered']
  tag_filters:
    description:
      - Only instances with a tag that matches any of these filters.
    type: list
    elements: dict
notes:
  - >-
    IAM actions: C(codedeploy:GetOnPremisesInstance) with O(name) alone; otherwise (no O(name), or
    O(registration_status) or O(tag_filters) given) C(codedeploy:ListOnPremisesInstances) and
    C(codedeploy:BatchGetOnPremisesInstances).
seealso:
  - module: rollout.codedeploy.codedeploy_on_premises_instance
    description: Register, tag and deregister on-premises instances.
extends_documentation_fragment:
  - rollout.codedeploy.iam_permissions
  - rollout.codedeploy.info_module
  - rollout.codedeploy.tag_filters
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Describe one instance
  rollout.codedeploy.codedeploy_on_premises_instance_info:
    name: web-berlin-01
  register: web_01

- name: The registered instances tagged site=berlin
  rollout.codedeploy.codedeploy_on_premises_instance_info:
    registration_status: Registered
    tag_filters:
      - key: site
        value: berlin
  register: berlin

- name: Show their names
  ansible.builtin.debug:
    msg: "{{ berlin.on_premises_instances | map(attribute='instance_name') }}"
"""

RETURN = r"""
on_premises_instances:
  description: The instances, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    instance_name:
      description: The name of the instance.
      returned: always
      type: str
      sample: "web-berlin-01"
    instance_arn:
      description: The ARN of the instance.
      returned: always
      type: str
      sample: "arn:aws:codedeploy:eu-central-1:123456789012:instance/web-berlin-01"
    iam_session_arn:
      description: The IAM session ARN it is registered with.
      returned: when registered with a session ARN
      type: str
    iam_user_arn:
      description: The IAM user ARN it is registered with.
      returned: when registered with a user ARN
      type: str
    register_time:
      description: When it was registered.
      returned: always
      type: str
    deregister_time:
      description: When it was deregistered.
      returned: when deregistered
      type: str
    tags:
      description: The tags of the instance.
      returned: always
      type: dict
      sample: {"site": "berlin"}
"""

from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import aws_client
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import read_on_premises_instances
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import tag_filters_spec
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import validate_name
from ansible_collections.rollout.codedeploy.plugins.module_utils.modules import AnsibleCodeDeployModule


def do(module: AnsibleCodeDeployModule) -> None:
    params = module.params
    validate_name("name", params["name"])
    client = aws_client(module, "codedeploy")
    instances = read_on_premises_instances(client, params["name"], params["registration_status"], params["tag_filters"])
    module.exit_json(changed=False, on_premises_instances=instances)


def main() -> None:
    argument_spec = dict(
        name=dict(type="str", aliases=["instance_name"]),
        registration_status=dict(type="str", choices=["Registered", "Deregistered"]),
        tag_filters=tag_filters_spec(),
    )
    AnsibleCodeDeployModule(argument_spec=argument_spec, supports_check_mode=True).run(do)


if __name__ == "__main__":
    main()
