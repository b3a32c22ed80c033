#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: codedeploy_deployment
version_added: 0.1.0
short_description: Make a revision live on an AWS CodeDeploy deployment group, follow it, stop, continue or roll it back
description:
  - Makes sure a deployment group runs a given application revision, creating a deployment only when it does not.
  - Before it creates a deployment it checks that the revision's S3 object exists (and has the ETag given), and that
    the group (and O(target_instances)) selects at least one instance; otherwise the task fails, naming what is
    missing, and creates nothing.
  - Follows the deployment to its end, polling fast at first and then backing off, and reports every target with
    its lifecycle events. While it waits, C(ansible-playbook) prints a progress line with the time elapsed whenever
    something changes, and at least every 30 seconds (the module's action plugin does this).
  - When a deployment fails, the task fails with a short message (the failed instances grouped by lifecycle event,
    error code and script, the first few by name, and the end of the first one's script log) and follows the
    automatic rollback CodeDeploy starts. The result lists every failed instance (RV(failures)).
  - Also stops a deployment in flight, continues a blue/green deployment that waits, and rolls the group back to
    its previous good revision.
  - EC2/on-premises (C(Server)) deployment groups only.
author:
  - rollout.codedeploy developers (@rollout)
seealso:
  - module: rollout.codedeploy.codedeploy_deployment_info
    description: Describe deployments, with their targets and lifecycle events.
  - module: rollout.codedeploy.codedeploy_deployment_group
    description: The deployment group a deployment goes to.
  - module: rollout.codedeploy.codedeploy_revision
    description: Register the revision to deploy.
options:
  application_name:
    description:
      - The CodeDeploy application.
      - Required unless O(deployment_id) is given with O(state=stopped) or O(state=continued).
    type: str
    aliases: ['application']
  deployment_group_name:
    description:
      - The deployment group.
      - Required unless O(deployment_id) is given with O(state=stopped) or O(state=continued).
    type: str
    aliases: ['group']
  state:
    description:
      - V(present) makes sure the group runs the revision. When the group's last successful deployment installed
        this revision, no later attempt failed or was stopped, and nothing is in flight, nothing is done unless
        O(force=true). When a deployment of this revision is already in flight (for example after an interrupted
        playbook), the task attaches to it instead of creating another. When a deployment of another revision is
        in flight, O(when_busy) decides.
      - V(rolled_back) redeploys the group's previous good revision, the revision of the newest successful
        deployment created before the group's last deployment whose revision differs from that deployment's.
        Nothing is done when the group's last deployment is a rollback that succeeded (an automatic rollback, or one
        this module made), so the task can be re-run.
      - V(stopped) stops the deployment in flight (or O(deployment_id)). Nothing is done when none is in flight.
      - V(continued) continues a blue/green deployment that waits, either in C(Ready) for traffic to be rerouted or,
        after rerouting, for the original instances to be terminated. Nothing is done when none waits.
    type: str
    choices: ['present', 'rolled_back', 'stopped', 'continued']
    default: present
  revision:
    description:
      - The revision to deploy, as the C(rollout.codedeploy.revision) role returns it in C(revision__output) and
        M(rollout.codedeploy.codedeploy_revision) returns it in RV(rollout.codedeploy.codedeploy_revision#module:revision).
      - With O(state=present), give this, or the O(s3_bucket) options, or the O(github_repository) options.
      - A revision with an O(revision.s3_location.e_tag) or O(revision.s3_location.version) is compared with what the
        group runs by that content; without them, by bucket, key and bundle type only.
      - EC2/on-premises deployments take V(S3) and V(GitHub) revisions.
    required: false
  s3_bucket:
    description: The bucket of an S3 revision given without O(revision).
    type: str
  s3_key:
    description: The object key of the bundle. Required with O(s3_bucket).
    type: str
  s3_bundle_type:
    description: The archive format of the bundle. Required with O(s3_bucket).
    type: str
    choices: [zip, tar, tgz]
  s3_version:
    description: The object version in a versioned bucket.
    type: str
  s3_etag:
    description: The object's ETag.
    type: str
  github_repository:
    description: The repository (C(account/repository)) of a GitHub revision given without O(revision).
    type: str
  github_commit_id:
    description: The commit of a GitHub revision. Required with O(github_repository).
    type: str
  deployment_config_name:
    description: The deployment configuration of a new deployment. When omitted, the group's.
    type: str
  description:
    description:
      - The description of a new deployment (256 characters at most).
      - With O(state=rolled_back) it is added after the marker this module writes to recognise its own rollbacks.
    type: str
  file_exists_behavior:
    description:
      - What the agent does with a file that exists at a location the revision installs to and that the group's
        previous deployment did not install. An appspec's C(file_exists_behavior) overrides it.
      - When omitted, CodeDeploy uses V(DISALLOW).
    type: str
    choices: [DISALLOW, OVERWRITE, RETAIN]
  ignore_application_stop_failures:
    description:
      - Carry on when the ApplicationStop, BeforeBlockTraffic or AfterBlockTraffic scripts of the previous revision
        fail on an instance. When omitted, CodeDeploy does not.
    type: bool
  update_outdated_instances_only:
    description: Deploy only to the instances that do not run the group's latest revision.
    type: bool
  deployment_mode:
    description:
      - V(STANDARD) deploys the revision given.
      - V(RESTART) runs the group's last successful revision again on its instances (in place), without a new
        revision; give none of O(revision), O(s3_bucket) and O(github_repository). Like O(force=true) it deploys on
        every run, except that a restart already in flight is attached to.
      - When omitted, CodeDeploy uses V(STANDARD).
    type: str
    choices: [STANDARD, RESTART]
  auto_rollback_configuration:
    description:
      - Overrides the group's automatic rollback configuration for a new deployment.
      - The alias O(auto_rollback) is deprecated and will be removed in version 2.0.0.
    type: dict
    aliases: ['auto_rollback']
    suboptions:
      enabled:
        description: Whether CodeDeploy rolls the deployment back automatically.
        type: bool
        required: true
      events:
        description: Which endings start a rollback.
        type: list
        elements: str
        choices: [DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM, DEPLOYMENT_STOP_ON_REQUEST]
  target_instances:
    description:
      - The replacement (green) instances of a blue/green deployment whose group discovers existing instances.
        CodeDeploy rejects them for an in-place deployment.
    type: dict
    suboptions:
      tag_filters:
        description: EC2 tag filters; an instance matching any of them is a replacement instance.
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
              - How the filter matches. When omitted it follows from which of O(target_instances.tag_filters[].key)
                and O(target_instances.tag_filters[].value) are given.
            type: str
            choices: [KEY_ONLY, VALUE_ONLY, KEY_AND_VALUE]
      auto_scaling_groups:
        description: Auto Scaling groups whose instances are the replacement instances.
        type: list
        elements: str
      ec2_tag_set:
        description:
          - Up to three tag groups; an instance is a replacement instance when it matches at least one filter of
            every tag group. The same shape as the O(rollout.codedeploy.codedeploy_deployment_group#module:ec2_tag_set)
            option of M(rollout.codedeploy.codedeploy_deployment_group).
          - A bare list of tag groups (the shape of O(target_instances.ec2_tag_set.ec2_tag_set_list)) is still
            accepted; it is deprecated and will be refused from version 2.0.0.
        type: dict
        suboptions:
          ec2_tag_set_list:
            description:
              - The tag groups, each a list of tag filters with C(key), C(value) and C(type) as in
                O(target_instances.tag_filters).
            type: list
            elements: list
  override_alarm_configuration:
    description:
      - Replaces the group's CloudWatch alarm configuration for a new deployment (CreateDeployment's
        C(overrideAlarmConfiguration)), for example to deploy a fix while an alarm of the failed deployment still
        fires. CodeDeploy then needs C(codedeploy:UpdateDeploymentGroup) permission from the caller.
    type: dict
    suboptions:
      enabled:
        description: Whether the deployment watches the alarms; V(false) turns alarm polling off for it.
        type: bool
        required: true
      ignore_poll_alarm_failure:
        description:
          - Continue the deployment when the alarm state cannot be read from CloudWatch. When omitted, CodeDeploy
            stops the deployment then.
        type: bool
      alarms:
        description: The alarms to watch (at most 10).
        type: list
        elements: dict
        suboptions:
          name:
            description: The name of the CloudWatch alarm.
            type: str
            required: true
  ec2_deployment_options:
    description:
      - How CodeDeploy treats the group's Auto Scaling groups during a new in-place deployment.
    type: dict
  force:
    description: With O(state=present), deploy even when the group already runs the revision.
    type: bool
    default: false
  when_busy:
    description:
      - What to do when a deployment of another revision is in flight on the group (CodeDeploy runs one at a time).
      - V(wait) waits for it to end, then decides again. V(stop) stops it (without rollback), waits until it has
        stopped, then deploys. V(fail) fails the task and changes nothing.
    type: str
    choices: [wait, stop, fail]
    default: wait
  deployment_id:
    description:
      - With O(state=stopped) or O(state=continued), the deployment to act on instead of the group's deployment in
        flight.
    type: str
  rollback_on_stop:
    description:
      - With O(state=stopped), whether CodeDeploy rolls back the instances the stopped deployment already updated.
        When omitted, the group's automatic rollback configuration decides.
    type: bool
  wait:
    description:
      - Follow the deployment until it ends and report its outcome. With V(false) the task returns once the
        deployment is created (or found), and does not fail when it fails later.
      - A deployment of another revision in the way (O(when_busy=wait) or V(stop)) is always waited for, since
        CodeDeploy cannot start ours before it ends.
      - A blue/green deployment that waits in C(Ready) for a person (C(STOP_DEPLOYMENT)) ends the task with
        O(state=present) or O(state=rolled_back); continue it with O(state=continued).
      - While following, a poll that cannot reach the endpoint (connection refused or dropped, connect or read
        timeout) is retried with backoff (2 s, doubling up to 30 s) for up to 5 minutes in all, with a progress line
        saying so. If the endpoint stays away, the task fails with RV(deployment_id); the deployment continues on
        AWS, and running the task again attaches to it.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to follow the deployment (and its automatic rollback) before the task fails. The deployment
        keeps running; running the task again attaches to it. No upper limit.
    type: int
    default: 3600
  follow_rollback:
    description:
      - When the deployment fails or is stopped and CodeDeploy starts an automatic rollback, follow the rollback too
        and report its outcome in the failure message.
    type: bool
    default: true
  return_all_targets:
    description:
      - When the deployment failed or was stopped, whether RV(deployment.targets) lists every target. With V(false)
        it lists the failed targets only and RV(deployment.omitted_targets) counts the others by status, so that
        the output of a large fleet stays short.
      - A deployment that did not fail or stop always lists every target.
    type: bool
    default: false
notes:
  - >-
    IAM actions, O(state=present): C(codedeploy:GetDeploymentGroup); C(codedeploy:ListDeployments) and
    C(codedeploy:BatchGetDeployments) (the deployments in flight); C(codedeploy:GetDeployment) (the group's last
    successful deployment); C(codedeploy:CreateDeployment).
  - >-
    IAM actions, before C(CreateDeployment) (the pre-flight, also in check mode): C(s3:GetObject) on the revision's
    object (C(s3:GetObjectVersion) for a version); for the instances the group selects, C(ec2:DescribeInstances) (EC2
    tags), C(autoscaling:DescribeAutoScalingGroups) (Auto Scaling groups) and C(codedeploy:ListOnPremisesInstances)
    (on-premises tags). When the caller may not make these calls, the task warns and deploys without that check.
  - >-
    IAM actions, O(state=rolled_back): C(codedeploy:GetDeploymentGroup), C(codedeploy:ListDeployments),
    C(codedeploy:BatchGetDeployments) and C(codedeploy:GetDeployment); C(codedeploy:CreateDeployment) after the same
    pre-flight.
  - >-
    IAM actions, O(state=stopped) and O(state=continued): C(codedeploy:GetDeployment) for O(deployment_id), or
    C(codedeploy:GetDeploymentGroup), C(codedeploy:ListDeployments) and C(codedeploy:BatchGetDeployments) for the
    group's deployment in flight; then C(codedeploy:StopDeployment) or C(codedeploy:ContinueDeployment).
  - >-
    IAM actions, O(when_busy=stop): C(codedeploy:StopDeployment) for the deployment in flight.
  - >-
    IAM actions, following the deployment (O(wait=true)) and reporting it: C(codedeploy:GetDeployment),
    C(codedeploy:ListDeploymentTargets) and C(codedeploy:BatchGetDeploymentTargets); C(codedeploy:GetDeploymentGroup)
    after a blue/green deployment.
attributes:
  check_mode:
    description: Can run in check mode and return a prediction of changed without changing anything.
    support: full
    details:
      - Says what would be deployed and to how many instances (counted from the group's tag filters, tag sets,
        Auto Scaling groups and on-premises tags), without creating, stopping or continuing anything.
      - Runs the pre-flight checks, and warns of their problems instead of failing, since an earlier task of the same
        run (which check mode did not run) may upload the bundle or launch the instances.
      - A group (or application) that does not exist yet is a warning too, when an earlier task would create it; the
        task then predicts a deployment of the revision to the new group.
  diff_mode:
    description: Returns what changed (or would change in check mode) in diff mode.
    support: none
  action:
    description: Has an action plugin that runs on the controller.
    support: full
    details:
      - The action plugin prints progress lines while the module follows a deployment.
  idempotent:
    description: Running the task again with the same options changes nothing.
    support: partial
    details:
      - A deployment is an event, not a resource. The module is idempotent only through revision comparison; with
        O(state=present) it compares the wanted revision with the revision of the group's last successful
        deployment, and O(force=true) deploys again regardless.
      - O(state=rolled_back) recognises a rollback that already happened; O(state=stopped) and O(state=continued)
        change nothing when there is nothing to stop or continue.
extends_documentation_fragment:
  - rollout.codedeploy.iam_permissions
  - rollout.codedeploy.revision
  - rollout.codedeploy.ec2_deployment_options
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Make the revision the revision role built live on the group
  rollout.codedeploy.codedeploy_deployment:
    application_name: HelloWorld_App
    deployment_group_name: HelloWorld_DepGroup
    revision: "{{ revision__output }}"

- name: Deploy a bundle in S3, one instance at a time, replacing files that are in the way
  rollout.codedeploy.codedeploy_deployment:
    application_name: HelloWorld_App
    deployment_group_name: HelloWorld_DepGroup
    s3_bucket: my-bundles
    s3_key: releases/app-1.4.2.zip
    s3_bundle_type: zip
    s3_etag: 3f9a2c1b0e7d6c5b4a3928170f6e5d4c
    deployment_config_name: CodeDeployDefault.OneAtATime
    file_exists_behavior: OVERWRITE
    wait_timeout: 7200
  register: deployment

- name: Show where each instance spent its time
  ansible.builtin.debug:
    msg: "{{ item.target_id }}: {{ item.lifecycle_events | map(attribute='duration') | sum }} s"
  loop: "{{ deployment.deployment.targets }}"

- name: Deploy a fix while an alarm of the failed deployment still fires, and list every target if it fails too
  rollout.codedeploy.codedeploy_deployment:
    application_name: HelloWorld_App
    deployment_group_name: HelloWorld_DepGroup
    revision: "{{ revision__output }}"
    override_alarm_configuration:
      enabled: false
    return_all_targets: true

- name: Run the group's last successful revision again (its hooks restart the application)
  rollout.codedeploy.codedeploy_deployment:
    application_name: HelloWorld_App
    deployment_group_name: HelloWorld_DepGroup
    deployment_mode: RESTART

- name: Stop whatever deploys to the group, rolling updated instances back
  rollout.codedeploy.codedeploy_deployment:
    application_name: HelloWorld_App
    deployment_group_name: HelloWorld_DepGroup
    state: stopped
    rollback_on_stop: true

- name: Reroute traffic to the green fleet of a blue/green deployment waiting in Ready
  rollout.codedeploy.codedeploy_deployment:
    application_name: HelloWorld_App
    deployment_group_name: HelloWorld_BlueGreen
    state: continued

- name: Go back to the revision that ran before the last deployment
  rollout.codedeploy.codedeploy_deployment:
    application_name: HelloWorld_App
    deployment_group_name: HelloWorld_DepGroup
    state: rolled_back
"""

RETURN = r"""
plan:
  description: What the task decided and why.
  returned: always
  type: dict
  contains:
    action:
      description:
        - V(none), V(create), V(attach), V(wait_for_other), V(stop_other), V(stop) or V(continue).
      type: str
      sample: create
    reason:
      description: The decision in words.
      type: str
      sample: "deploy s3://my-bundles/releases/app.zip (zip, etag 3f9a2c1b)"
    revision:
      description: The revision a new deployment installs, in words.
      type: str
      returned: when a revision is deployed
    deployment_id:
      description: The deployment acted on, attached to or created.
      type: str
      returned: when there is one
    target_count:
      description:
        - In check mode, how many instances the new deployment would reach (null when unknown, or when the group
          does not exist yet).
      type: int
      returned: in check mode, when a deployment would be created
    problems:
      description:
        - What the pre-flight found wrong before CreateDeployment (a missing S3 object, a group that selects no
          instance). The task fails with them; in check mode it warns.
      type: list
      elements: str
      returned: when the pre-flight found a problem
  sample: {"action": "create", "reason": "deploy s3://my-bundles/app.zip (zip)", "deployment_id": "d-A1B2C3D4E"}
deployment_id:
  description:
    - The deployment the task created, attached to, acted on or waited for.
    - Also returned when the task fails once there is such a deployment (it failed, the wait timed out, the endpoint
      stopped answering, an API call failed), so a later task can attach to it again or look it up.
  returned: when there is one, on success and on failure
  type: str
  sample: d-A1B2C3D4E
deployment:
  description:
    - The deployment (C(DeploymentInfo) in snake case), with every target and its lifecycle events once it ended.
    - With O(state=present) and nothing to do, the group's last successful deployment.
  returned: when there is a deployment
  type: dict
  contains:
    deployment_id:
      description: The deployment's id.
      type: str
      sample: d-A1B2C3D4E
    status:
      description: C(Created), C(Queued), C(InProgress), C(Baking), C(Ready), C(Succeeded), C(Failed) or C(Stopped).
      type: str
      sample: Succeeded
    deployment_overview:
      description: How many targets are in each status (keys as the API names them).
      type: dict
      sample: {"Pending": 0, "InProgress": 0, "Succeeded": 3, "Failed": 0, "Skipped": 0, "Ready": 0}
    revision:
      description: The revision the deployment installs (C(RevisionLocation) in snake case).
      type: dict
    revision_description:
      description: The revision in words.
      type: str
      sample: "s3://my-bundles/releases/app.zip (zip, etag 3f9a2c1b)"
    error_information:
      description: Why the deployment failed (C(code), C(message)).
      type: dict
      returned: when it failed or was stopped
    rollback_info:
      description:
        - The rollback the deployment started or the deployment it rolls back (C(rollback_deployment_id),
          C(rollback_triggering_deployment_id), C(rollback_message)).
      type: dict
      returned: when there is a rollback
    omitted_targets:
      description:
        - How many targets RV(deployment.targets) leaves out, by status (see O(return_all_targets)).
      type: dict
      returned: when the deployment failed or was stopped and some of its targets did not fail
      sample: {"Succeeded": 12, "Skipped": 3}
    targets:
      description:
        - The targets of a deployment that ended, with their lifecycle events.
        - Every target, except for a deployment that failed or was stopped, of which only the failed ones unless
          O(return_all_targets=true).
      type: list
      elements: dict
      returned: when the deployment ended (or with O(state=present) and nothing to do)
      contains:
        target_id:
          description: The instance id.
          type: str
          sample: i-0123456789abcdef0
        status:
          description: The target's status.
          type: str
          sample: Succeeded
        instance_label:
          description: C(Blue) or C(Green) in a blue/green deployment.
          type: str
        lifecycle_events:
          description:
            - The lifecycle events in order, each with C(lifecycle_event_name), C(status), C(start_time), C(end_time),
              C(duration) in seconds and C(diagnostics) (C(error_code), C(script_name), C(message), C(log_tail)).
          type: list
          elements: dict
failures:
  description: For each failed instance, the event that failed, the error code, the script, the message and the log tail.
  returned: when the deployment failed or was stopped
  type: list
  elements: dict
  sample: [{"target_id": "i-0abc", "lifecycle_event": "ValidateService", "error_code": "ScriptFailed",
            "script_name": "scripts/validate.sh", "message": "Script at specified location: scripts/validate.sh failed with exit code 1",
            "log_tail": "[stdout]checking http://localhost/\n[stderr]curl: (7) Failed to connect"}]
rollback_deployment:
  description: The automatic rollback CodeDeploy started after the deployment failed or was stopped (C(DeploymentInfo) in snake case).
  returned: when a rollback started
  type: dict
blue_green:
  description: For a blue/green deployment, where the new fleet lives and what happened to the original instances.
  returned: for blue/green deployments that ended
  type: dict
  contains:
    replacement_auto_scaling_group:
      description: The Auto Scaling group CodeDeploy created for the green fleet (C(CodeDeploy_<group>_<deployment id>)).
      type: str
    green_instance_ids:
      description: The replacement instances.
      type: list
      elements: str
    blue_instance_ids:
      description: The original instances.
      type: list
      elements: str
    blue_instance_action:
      description: C(TERMINATE) or C(KEEP_ALIVE).
      type: str
    blue_instances:
      description: What happened to the original instances, in words.
      type: str
    termination_wait_started:
      description: Whether the wait before the original instances are terminated has begun.
      type: bool
progress:
  description:
    - The progress lines seen while following, oldest first, each ending with the time since following began.
  returned: always
  type: list
  elements: str
  sample: ["d-A1B2C3D4E: InProgress, 0/3 succeeded, i-0abc DownloadBundle (2s)",
           "d-A1B2C3D4E: Succeeded, 3/3 succeeded (1m04s)"]
"""

import functools
import os
import typing as t

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import DeploymentHandoff
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import DeploymentTaskFailed
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import aws_client
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import ec2_deployment_options_spec
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import revision_argument_spec
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import run_deployment_task
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import tag_filters_spec
from ansible_collections.rollout.codedeploy.plugins.module_utils.modules import AnsibleCodeDeployModule


def check_options(params: dict[str, t.Any]) -> None:
    by_id = params["deployment_id"] and params["state"] in ("stopped", "continued")
    if not by_id and not (params["application_name"] and params["deployment_group_name"]):
        raise DeploymentTaskFailed(
            f"application_name and deployment_group_name are required with state={params['state']}"
            + ("" if params["state"] in ("present", "rolled_back") else " unless deployment_id is given"),
            {"changed": False},
        )
    given = [name for name in ("revision", "s3_bucket", "github_repository") if params[name]]
    if params["deployment_mode"] == "RESTART" and given:
        raise DeploymentTaskFailed(
            f"deployment_mode=RESTART runs the group's last successful revision again; remove {', '.join(given)}",
            {"changed": False},
        )


def progress_writer(path: str | None) -> t.Callable[[str], None] | None:
    """Append each progress line to path at once, for the action plugin to print while the module runs."""
    if not path:
        return None

    def write(line: str) -> None:
        with open(path, "a", encoding="utf-8") as progress:
            progress.write(line + "\n")

    return write


def do(module: AnsibleCodeDeployModule) -> None:
    check_options(module.params)
    # The action plugin's hand-off comes in the environment, not in options users would see (deployment_handoff.py).
    result = run_deployment_task(
        aws_client(module, "codedeploy"),
        module.params,
        check_mode=module.check_mode,
        clients=functools.lru_cache(maxsize=None)(lambda service: aws_client(module, service)),
        warn=module.warn,
        handoff=DeploymentHandoff.from_environment(os.environ),
        on_line=progress_writer(os.environ.get(DeploymentHandoff.PROGRESS_FILE_VARIABLE)),
    )
    module.exit_json(msg=result.pop("msg", ""), **result)


def main() -> None:
    argument_spec = revision_argument_spec(required=False)
    argument_spec.update(
        application_name=dict(type="str", aliases=["application"]),
        deployment_group_name=dict(type="str", aliases=["group"]),
        state=dict(type="str", default="present", choices=["present", "rolled_back", "stopped", "continued"]),
        s3_bucket=dict(type="str"),
        s3_key=dict(type="str", no_log=False),
        s3_bundle_type=dict(type="str", choices=["zip", "tar", "tgz"]),
        s3_version=dict(type="str"),
        s3_etag=dict(type="str"),
        github_repository=dict(type="str"),
        github_commit_id=dict(type="str"),
        deployment_config_name=dict(type="str"),
        description=dict(type="str"),
        file_exists_behavior=dict(type="str", choices=["DISALLOW", "OVERWRITE", "RETAIN"]),
        ignore_application_stop_failures=dict(type="bool"),
        update_outdated_instances_only=dict(type="bool"),
        deployment_mode=dict(type="str", choices=["STANDARD", "RESTART"]),
        auto_rollback_configuration=dict(
            type="dict",
            aliases=["auto_rollback"],
            deprecated_aliases=[dict(name="auto_rollback", version="2.0.0", collection_name="rollout.codedeploy")],
            options=dict(
                enabled=dict(type="bool", required=True),
                events=dict(
                    type="list",
                    elements="str",
                    choices=["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST"],
                ),
            ),
        ),
        target_instances=dict(
            type="dict",
            options=dict(
                tag_filters=tag_filters_spec(),
                auto_scaling_groups=dict(type="list", elements="str"),
                # A bare list (the deprecated shape) is wrapped in {ec2_tag_set_list: ...} by the action plugin.
                ec2_tag_set=dict(type="dict", options=dict(ec2_tag_set_list=dict(type="list", elements="list"))),
            ),
        ),
        override_alarm_configuration=dict(
            type="dict",
            options=dict(
                enabled=dict(type="bool", required=True),
                ignore_poll_alarm_failure=dict(type="bool"),
                alarms=dict(type="list", elements="dict", options=dict(name=dict(type="str", required=True))),
            ),
        ),
        ec2_deployment_options=ec2_deployment_options_spec(),
        force=dict(type="bool", default=False),
        when_busy=dict(type="str", default="wait", choices=["wait", "stop", "fail"]),
        deployment_id=dict(type="str"),
        rollback_on_stop=dict(type="bool"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=3600),
        follow_rollback=dict(type="bool", default=True),
        return_all_targets=dict(type="bool", default=False),
    )
    module = AnsibleCodeDeployModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[["revision", "s3_bucket", "github_repository"]],
        required_by={"s3_bucket": ["s3_key", "s3_bundle_type"], "github_repository": ["github_commit_id"]},
    )
    try:
        do(module)
    except DeploymentTaskFailed as e:
        module.fail_json(msg=e.message, **{key: value for key, value in e.result.items() if key != "msg"})
    except AnsibleAWSError as e:
        # e.kwargs carries the deployment_id once a deployment is known; fail_json_aws_error would drop it.
        if e.exception:
            module.fail_json_aws(e.exception, msg=e.message, **e.kwargs)
        module.fail_json(msg=e.message, **e.kwargs)


if __name__ == "__main__":
    main()
