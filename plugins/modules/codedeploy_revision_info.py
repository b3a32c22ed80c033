#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: codedeploy_revision_info
version_added: 0.1.0
short_description: List the revisions registered with an AWS CodeDeploy application
description:
  - Lists an application's revisions (C(ListApplicationRevisions)) with, for each, its description, register,
    first-used and last-used times and the deployment groups it is the target revision of
    (C(BatchGetApplicationRevisions)).
  - Takes the list call's sort and filter options.
author:
  - rollout.codedeploy developers (@rollout)
seealso:
  - module: rollout.codedeploy.codedeploy_revision
    description: Register a revision.
  - module: rollout.codedeploy.codedeploy_deployment
    description: Deploy a registered revision.
options:
  application_name:
    description:
      - The name of the application.
    type: str
    required: true
    aliases: [application]
  sort_by:
    description:
      - Sort the revisions by this time. When omitted, CodeDeploy returns them in no particular order.
    type: str
    choices: [registerTime, firstUsedTime, lastUsedTime]
  sort_order:
    description:
      - The order of O(sort_by). CodeDeploy's default is V(ascending).
    type: str
    choices: [ascending, descending]
  s3_bucket:
    description:
      - Only revisions stored in this bucket.
    type: str
  s3_key_prefix:
    description:
      - Only revisions whose key starts with this prefix. Needs O(s3_bucket).
    type: str
  deployed:
    description:
      - V(include) lists only revisions that are the target revision of a deployment group, V(exclude) only those
        that are not, V(ignore) (CodeDeploy's default) lists all.
    type: str
    choices: [include, exclude, ignore]
notes:
  - >-
    IAM actions: C(codedeploy:ListApplicationRevisions), then C(codedeploy:BatchGetApplicationRevisions) for the
    revisions found.
extends_documentation_fragment:
  - rollout.codedeploy.iam_permissions
  - rollout.codedeploy.info_module
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The ten most recently registered revisions of the application
  rollout.codedeploy.codedeploy_revision_info:
    application_name: HelloWorld_App
    sort_by: registerTime
    sort_order: descending
  register: listed

- name: Show them
  ansible.builtin.debug:
    msg: "{{ item.revision.s3_location.key }} registered {{ item.revision_info.register_time }}"
  loop: "{{ listed.revisions[:10] }}"

- name: Revisions under a key prefix that no deployment group targets
  rollout.codedeploy.codedeploy_revision_info:
    application_name: HelloWorld_App
    s3_bucket: my-bundles
    s3_key_prefix: releases/
    deployed: exclude
"""

RETURN = r"""
revisions:
  description:
    - The revisions in the order CodeDeploy lists them, each as C(GetApplicationRevision) describes it.
  returned: always
  type: list
  elements: dict
  contains:
    revision:
      description: The revision, in the shape other rollout.codedeploy modules take as their C(revision) option.
      type: dict
      sample: {"revision_type": "S3", "s3_location": {"bucket": "my-bundles", "key": "releases/app.zip", "bundle_type": "zip"}}
    revision_info:
      description: Description, register, first-used and last-used times, and deployment groups.
      type: dict
      sample: {"description": "Release 1.4.2", "register_time": "2026-11-27T10:40:00.123000+00:00",
               "first_used_time": "2026-11-27T10:41:00+00:00", "last_used_time": "2026-11-27T10:41:00+00:00",
               "deployment_groups": ["web"]}
"""

from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import aws_client
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import read_revisions
from ansible_collections.rollout.codedeploy.plugins.module_utils.modules import AnsibleCodeDeployModule


def do(module: AnsibleCodeDeployModule) -> None:
    params = module.params
    revisions = read_revisions(
        aws_client(module, "codedeploy"),
        params["application_name"],
        sortBy=params["sort_by"],
        sortOrder=params["sort_order"],
        s3Bucket=params["s3_bucket"],
        s3KeyPrefix=params["s3_key_prefix"],
        deployed=params["deployed"],
    )
    module.exit_json(changed=False, revisions=revisions)


def main() -> None:
    argument_spec = dict(
        application_name=dict(type="str", required=True, aliases=["application"]),
        sort_by=dict(type="str", choices=["registerTime", "firstUsedTime", "lastUsedTime"]),
        sort_order=dict(type="str", choices=["ascending", "descending"]),
        s3_bucket=dict(type="str"),
        s3_key_prefix=dict(type="str", no_log=False),
        deployed=dict(type="str", choices=["include", "exclude", "ignore"]),
    )
    module = AnsibleCodeDeployModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_by={"s3_key_prefix": ["s3_bucket"]},
    )
    module.run(do)


if __name__ == "__main__":
    main()
