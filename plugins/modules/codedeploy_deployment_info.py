#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: codedeploy_deployment_info
version_added: 0.1.0
short_description: Describe AWS CodeDeploy deployments, with their targets and lifecycle events
description:
  - Describes one deployment with every target and its lifecycle events (status, duration, diagnostics).
  - Or lists the deployments of a deployment group, or of every group of an application, newest first, filtered by
    status and creation time.
author:
  - rollout.codedeploy developers (@rollout)
seealso:
  - module: rollout.codedeploy.codedeploy_deployment
    description: Create, follow, stop, continue and roll back deployments.
  - module: rollout.codedeploy.codedeploy_deployment_group_info
    description: Describe deployment groups.
options:
  deployment_id:
    description:
      - The deployment to describe. When given, the other filters are not used.
    type: str
  application_name:
    description:
      - The application whose deployments to list. Required unless O(deployment_id) is given.
    type: str
    aliases: ['application']
  deployment_group_name:
    description:
      - Only the deployments of this group. When omitted, the deployments of every group of the application.
    type: str
    aliases: ['group']
  statuses:
    description: Only deployments in these statuses.
    type: list
    elements: str
    choices: [Created, Queued, InProgress, Baking, Ready, Succeeded, Failed, Stopped]
  created_after:
    description: Only deployments created at or after this time (ISO 8601, for example C(2026-11-27T10:00:00Z)).
    type: str
  created_before:
    description: Only deployments created at or before this time (ISO 8601).
    type: str
  include_targets:
    description:
      - Add every target with its lifecycle events to each deployment (one or more calls per deployment).
      - When omitted, targets are included for O(deployment_id) and left out of lists.
    type: bool
notes:
  - >-
    IAM actions: C(codedeploy:GetDeployment) with O(deployment_id); otherwise C(codedeploy:ListDeployments) for the
    group, or for every group of the application after C(codedeploy:ListDeploymentGroups), then
    C(codedeploy:BatchGetDeployments) for the deployments found.
  - >-
    IAM actions, with targets (O(include_targets), which O(deployment_id) implies unless it is V(false)):
    C(codedeploy:ListDeploymentTargets) and C(codedeploy:BatchGetDeploymentTargets) for each deployment that started.
extends_documentation_fragment:
  - rollout.codedeploy.iam_permissions
  - rollout.codedeploy.info_module
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: One deployment with its targets and lifecycle events
  rollout.codedeploy.codedeploy_deployment_info:
    deployment_id: d-A1B2C3D4E
  register: found

- name: Failed deployments of a group since this morning
  rollout.codedeploy.codedeploy_deployment_info:
    application_name: HelloWorld_App
    deployment_group_name: HelloWorld_DepGroup
    statuses: [Failed, Stopped]
    created_after: "2026-11-27T00:00:00Z"

- name: Every deployment of an application in flight
  rollout.codedeploy.codedeploy_deployment_info:
    application_name: HelloWorld_App
    statuses: [Created, Queued, InProgress, Baking, Ready]
"""

RETURN = r"""
deployments:
  description: The deployments (C(DeploymentInfo) in snake case), newest first. Empty when none matches or the deployment does not exist.
  returned: always
  type: list
  elements: dict
  contains:
    deployment_id:
      description: The deployment's id.
      type: str
      sample: d-A1B2C3D4E
    application_name:
      description: The application.
      type: str
    deployment_group_name:
      description: The deployment group.
      type: str
    status:
      description: The deployment's status.
      type: str
      sample: Succeeded
    creator:
      description: Who started it (C(user), C(autoscaling), C(codeDeployRollback)...).
      type: str
    create_time:
      description: When it was created (ISO 8601).
      type: str
    deployment_overview:
      description: How many targets are in each status (keys as the API names them).
      type: dict
      sample: {"Pending": 0, "InProgress": 0, "Succeeded": 3, "Failed": 0, "Skipped": 0, "Ready": 0}
    revision:
      description: The revision (C(RevisionLocation) in snake case).
      type: dict
    revision_description:
      description: The revision in words.
      type: str
      sample: "s3://my-bundles/releases/app.zip (zip, etag 3f9a2c1b)"
    error_information:
      description: Why it failed (C(code), C(message)).
      type: dict
      returned: when it failed or was stopped
    rollback_info:
      description: The rollback it started or the deployment it rolls back.
      type: dict
      returned: when there is a rollback
    targets:
      description:
        - Every target with C(target_id), C(status), C(instance_label) and C(lifecycle_events), each event with
          C(lifecycle_event_name), C(status), C(start_time), C(end_time), C(duration) in seconds and C(diagnostics).
      type: list
      elements: dict
      returned: when targets are included and the deployment has started
"""

import datetime

from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import AnsibleCodeDeployError
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import aws_client
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import read_deployments
from ansible_collections.rollout.codedeploy.plugins.module_utils.modules import AnsibleCodeDeployModule


def parse_time(option: str, value: str | None) -> datetime.datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise AnsibleCodeDeployError(
            message=f"{option}: '{value}' is not an ISO 8601 time; write e.g. 2026-11-27T10:00:00Z"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)


def do(module: AnsibleCodeDeployModule) -> None:
    params = module.params
    client = aws_client(module, "codedeploy")
    # Targets are described for one deployment unless the task says otherwise, and left out of lists.
    include_targets = (
        params["include_targets"] if params["include_targets"] is not None else bool(params["deployment_id"])
    )
    by_id = bool(params["deployment_id"])
    deployments = read_deployments(
        client,
        deployment_id=params["deployment_id"],
        application=params["application_name"],
        group=params["deployment_group_name"],
        statuses=params["statuses"],
        created_after=None if by_id else parse_time("created_after", params["created_after"]),
        created_before=None if by_id else parse_time("created_before", params["created_before"]),
        include_targets=include_targets,
    )
    module.exit_json(changed=False, deployments=deployments)


def main() -> None:
    argument_spec = dict(
        deployment_id=dict(type="str"),
        application_name=dict(type="str", aliases=["application"]),
        deployment_group_name=dict(type="str", aliases=["group"]),
        statuses=dict(
            type="list",
            elements="str",
            choices=["Created", "Queued", "InProgress", "Baking", "Ready", "Succeeded", "Failed", "Stopped"],
        ),
        created_after=dict(type="str"),
        created_before=dict(type="str"),
        include_targets=dict(type="bool"),
    )
    module = AnsibleCodeDeployModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_one_of=[["deployment_id", "application_name"]],
        required_by={"deployment_group_name": ["application_name"]},
    )
    module.run(do)


if __name__ == "__main__":
    main()
