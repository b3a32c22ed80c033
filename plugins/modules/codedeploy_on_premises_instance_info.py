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
    suboptions:
      key:
        description: The tag key.
        type: str
      value:
        description: The tag value.
        type: str
      type:
        description:
          - V(KEY_ONLY), V(VALUE_ONLY) or V(KEY_AND_VALUE).
          - When omitted, it follows from what is given (key and value, key only, value only).
        type: str
        choices: ['KEY_ONLY', 'VALUE_ONLY', 'KEY_AND_VALUE']
seealso:
  - module: rollout.codedeploy.codedeploy_on_premises_instance
    description: Register, tag and deregister on-premises instances.
extends_documentation_fragment:
  - rollout.codedeploy.info_module
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

import typing as t

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import batch_get_on_premises_instances
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import codedeploy_client
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import get_on_premises_instance
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import list_on_premises_instance_names
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import on_premises_instance_to_ansible
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import validate_name
from ansible_collections.rollout.codedeploy.plugins.module_utils.modules import AnsibleCodeDeployModule

if t.TYPE_CHECKING:
    from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper


def read_instances(client: RetryingBotoClientWrapper, params: dict[str, t.Any]) -> list[dict[str, t.Any]]:
    name, status, tag_filters = params["name"], params["registration_status"], params["tag_filters"]
    if name and not (status or tag_filters):
        found = get_on_premises_instance(client, name)
        return [found] if found else []
    # The filters are CodeDeploy's to apply: list the names they select, then describe those.
    names = list_on_premises_instance_names(client, status, tag_filters)
    if name:
        names = [listed for listed in names if listed == name]
    return batch_get_on_premises_instances(client, sorted(set(names)))


def do(module: AnsibleCodeDeployModule) -> None:
    validate_name("name", module.params["name"])
    found = read_instances(codedeploy_client(module), module.params)
    instances = [on_premises_instance_to_ansible(instance) for instance in found]
    module.exit_json(changed=False, on_premises_instances=sorted(instances, key=lambda item: item["instance_name"]))


def main() -> None:
    tag_filter = dict(
        key=dict(type="str", no_log=False),
        value=dict(type="str"),
        type=dict(type="str", choices=["KEY_ONLY", "VALUE_ONLY", "KEY_AND_VALUE"]),
    )
    argument_spec = dict(
        name=dict(type="str", aliases=["instance_name"]),
        registration_status=dict(type="str", choices=["Registered", "Deregistered"]),
        tag_filters=dict(type="list", elements="dict", options=tag_filter),
    )
    module = AnsibleCodeDeployModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        do(module)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
