#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: codedeploy_on_premises_instance
version_added: 0.1.0
short_description: Register, tag and deregister AWS CodeDeploy on-premises instances
description:
  - Register a server outside EC2 (in a data centre, another cloud, a developer box) with CodeDeploy by name,
    tag it so that deployment groups select it, and deregister it.
  - The server itself still needs the CodeDeploy agent and its on-premises configuration file; this module does
    only the registration, from wherever the play runs.
  - See U(https://docs.aws.amazon.com/codedeploy/latest/userguide/instances-on-premises.html).
author:
  - rollout.codedeploy developers (@rollout)
options:
  name:
    description:
      - The name of the on-premises instance, unique in the account and region.
      - 1 to 100 characters from letters, digits and C(+=,.@_-).
    type: str
    required: true
    aliases: ['instance_name']
  iam_session_arn:
    description:
      - The ARN of the IAM session the server uses, C(arn:<partition>:sts::<account>:assumed-role/<role>/<session>).
      - The model AWS recommends; each server assumes a role with its own session name.
      - Exactly one of O(iam_session_arn) and O(iam_user_arn) is required with O(state=present).
      - CodeDeploy cannot change the ARN of a registered instance, so a different ARN fails; deregister the
        instance first (O(state=absent)).
      - Any partition and account CodeDeploy accepts is accepted; CodeDeploy checks the format.
    type: str
  iam_user_arn:
    description:
      - The ARN of the IAM user whose access key the server uses, C(arn:<partition>:iam::<account>:user/<name>).
      - Exactly one of O(iam_session_arn) and O(iam_user_arn) is required with O(state=present).
    type: str
  state:
    description:
      - V(present) registers the instance when it is not registered and brings its tags to O(tags).
      - V(absent) removes its tags and deregisters it. CodeDeploy keeps a deregistered instance visible for a
        while, with C(deregister_time); it is no longer deployed to, and counts as absent here.
    type: str
    choices: ['present', 'absent']
    default: present
attributes:
  check_mode:
    description: Can run in check mode and return the predicted registration without changing anything.
    support: full
  diff_mode:
    description: Shows the IAM ARN and the tags before and after.
    support: full
  idempotent:
    description: Running the task again with the same options changes nothing and makes no change call.
    support: full
notes:
  - Registering a name that CodeDeploy still shows as deregistered registers it again, where CodeDeploy allows it.
  - >-
    IAM actions, always: C(codedeploy:GetOnPremisesInstance).
  - >-
    IAM actions, O(state=present): C(codedeploy:RegisterOnPremisesInstance) for an instance that is not registered;
    C(codedeploy:AddTagsToOnPremisesInstances) and C(codedeploy:RemoveTagsFromOnPremisesInstances) when O(tags) change
    (a tag whose value changes is removed and added again).
  - >-
    IAM actions, O(state=absent): for a registered instance C(codedeploy:RemoveTagsFromOnPremisesInstances) (its
    tags), then C(codedeploy:DeregisterOnPremisesInstance).
seealso:
  - module: rollout.codedeploy.codedeploy_on_premises_instance_info
    description: Describe on-premises instances.
  - module: rollout.codedeploy.codedeploy_deployment_group
    description: Select on-premises instances by tag in a group.
  - module: amazon.aws.iam_user
    description: The IAM user an instance registers with.
  - module: amazon.aws.iam_role
    description: The IAM role whose session an instance registers with.
  - name: Working with on-premises instances for CodeDeploy
    link: https://docs.aws.amazon.com/codedeploy/latest/userguide/instances-on-premises.html
    description: The AWS CodeDeploy User Guide.
extends_documentation_fragment:
  - rollout.codedeploy.iam_permissions
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Register a server that assumes the CodeDeployOnPrem role, and tag it for its deployment group
  rollout.codedeploy.codedeploy_on_premises_instance:
    name: web-berlin-01
    iam_session_arn: arn:aws:sts::123456789012:assumed-role/CodeDeployOnPrem/web-berlin-01
    tags:
      site: berlin
      role: web

- name: Register a server with an IAM user (in the China partition)
  rollout.codedeploy.codedeploy_on_premises_instance:
    name: build-box
    iam_user_arn: arn:aws-cn:iam::123456789012:user/CodeDeploy/build-box

- name: Add a tag, keep the others
  rollout.codedeploy.codedeploy_on_premises_instance:
    name: web-berlin-01
    iam_session_arn: arn:aws:sts::123456789012:assumed-role/CodeDeployOnPrem/web-berlin-01
    tags:
      canary: "true"
    purge_tags: false

- name: Deregister it; deployments no longer reach it
  rollout.codedeploy.codedeploy_on_premises_instance:
    name: web-berlin-01
    state: absent
"""

RETURN = r"""
on_premises_instance:
  description: The instance as CodeDeploy describes it, with its tags. Empty after deregistration.
  returned: always
  type: dict
  contains:
    instance_name:
      description: The name of the instance.
      returned: when registered
      type: str
      sample: "web-berlin-01"
    instance_arn:
      description: The ARN of the instance.
      returned: when registered, not in check mode before registration
      type: str
      sample: "arn:aws:codedeploy:eu-central-1:123456789012:instance/web-berlin-01"
    iam_session_arn:
      description: The IAM session ARN it is registered with.
      returned: when registered with a session ARN
      type: str
      sample: "arn:aws:sts::123456789012:assumed-role/CodeDeployOnPrem/web-berlin-01"
    iam_user_arn:
      description: The IAM user ARN it is registered with.
      returned: when registered with a user ARN
      type: str
      sample: "arn:aws:iam::123456789012:user/CodeDeploy/build-box"
    register_time:
      description: When it was registered.
      returned: when registered, not in check mode before registration
      type: str
      sample: "2026-12-06T23:10:00.123000+00:00"
    tags:
      description: The tags of the instance.
      returned: when registered
      type: dict
      sample: {"site": "berlin", "role": "web"}
"""

from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import aws_client
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import ensure_on_premises_instance
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import read_on_premises_instance
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import validate_name
from ansible_collections.rollout.codedeploy.plugins.module_utils.modules import AnsibleCodeDeployModule


def do(module: AnsibleCodeDeployModule) -> None:
    name = module.params["name"]
    validate_name("name", name)
    client = aws_client(module, "codedeploy")
    current = read_on_premises_instance(client, name)
    module.exit_json(**ensure_on_premises_instance(module, client, current))


def main() -> None:
    argument_spec = dict(
        name=dict(type="str", required=True, aliases=["instance_name"]),
        iam_session_arn=dict(type="str"),
        iam_user_arn=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleCodeDeployModule(
        argument_spec=argument_spec,
        mutually_exclusive=[("iam_session_arn", "iam_user_arn")],
        required_if=[("state", "present", ("iam_session_arn", "iam_user_arn"), True)],
        supports_check_mode=True,
    )
    module.run(do)


if __name__ == "__main__":
    main()
