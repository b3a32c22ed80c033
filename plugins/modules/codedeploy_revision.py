#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: codedeploy_revision
version_added: 0.1.0
short_description: Register an application revision with AWS CodeDeploy
description:
  - Registers an S3 or GitHub revision with a CodeDeploy application (C(RegisterApplicationRevision)), with a
    description.
  - Registering a revision that is already registered is not a change (it is looked up with
    C(GetApplicationRevision) first), unless O(description) differs from the registered one.
  - CodeDeploy has no call to deregister a revision, so there is no O(ignore:state=absent).
author:
  - rollout.codedeploy developers (@rollout)
seealso:
  - module: rollout.codedeploy.codedeploy_bundle
    description: Build the bundle to upload.
  - module: rollout.codedeploy.codedeploy_revision_info
    description: List the revisions registered with an application.
  - module: rollout.codedeploy.codedeploy_deployment
    description: Deploy a registered revision.
options:
  application_name:
    description:
      - The name of the application the revision belongs to. The application must exist.
      - In check mode a missing application gives a warning and the registration is predicted, because an earlier
        task that check mode did not run may create it.
    type: str
    required: true
    aliases: [application]
  description:
    description:
      - A description of the revision, at most 256 characters.
      - When omitted, an already registered revision keeps its description.
    type: str
  pin_s3_object:
    description:
      - For an S3 revision, read the object's ETag and version (C(HeadObject)) and register them when
        O(revision.s3_location.e_tag) or O(revision.s3_location.version) are not given, so that deployments of this
        revision fetch exactly this object.
      - The object must exist.
    type: bool
    default: false
  expected_bucket_owner:
    description:
      - The account ID that must own the bucket when O(pin_s3_object=true) reads the object, and when O(upload)
        writes it.
    type: str
  upload:
    description:
      - Upload a local bundle to O(revision.s3_location) first, in the same task, then register it. The keys are
        options of M(amazon.aws.s3_object) in its C(put) mode, at least C(src) (the bundle file); for example
        C(overwrite), C(encrypt), C(encryption_mode), C(encryption_kms_key_id), C(tags), C(permission). The bucket,
        the key and O(expected_bucket_owner) are taken from this task, and so are the credentials, the region and
        the endpoint.
      - The task's action plugin runs the upload (in the controller's process when the task runs on the controller,
        otherwise as M(amazon.aws.s3_object) on the host) and returns its result as RV(upload). The task is changed
        when the upload or the registration changed something.
      - Only for S3 revisions.
    type: dict
notes:
  - >-
    IAM actions, always: C(codedeploy:GetApplicationRevision); C(codedeploy:RegisterApplicationRevision) when the
    revision is not registered or O(description) differs.
  - >-
    IAM actions, O(pin_s3_object=true): C(s3:GetObject) on the object (C(s3:GetObjectVersion) when
    O(revision.s3_location.version) is given), which C(HeadObject) reads; with C(s3:ListBucket) on the bucket S3
    answers that a missing object is missing (404) instead of refusing (403).
  - >-
    IAM actions, O(upload): those of M(amazon.aws.s3_object)'s C(put) mode, C(s3:ListBucket) (C(HeadBucket)),
    C(s3:GetBucketOwnershipControls) (a refusal is tolerated), C(s3:GetObject) (C(HeadObject)), C(s3:PutObject) and
    C(s3:GetObjectTagging); C(s3:PutObjectTagging) and C(s3:DeleteObjectTagging) when the upload's C(tags) change the
    object's; C(s3:PutObjectAcl) with a C(permission); C(kms:GenerateDataKey) with C(encryption_mode=aws:kms), and
    C(kms:Decrypt) too when a large bundle is uploaded in parts.
attributes:
  check_mode:
    description: Can run in check mode and return the predicted result without changing anything.
    support: full
  diff_mode:
    description: Returns the revision information before and after in diff mode.
    support: full
  idempotent:
    description: Running the task again with the same options changes nothing.
    support: full
extends_documentation_fragment:
  - rollout.codedeploy.iam_permissions
  - rollout.codedeploy.revision
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Register the bundle uploaded to S3, pinned to the object that is there now
  rollout.codedeploy.codedeploy_revision:
    application_name: HelloWorld_App
    revision:
      s3_location:
        bucket: my-bundles
        key: releases/HelloWorld_App-3f9a2c1b.zip
        bundle_type: zip
    pin_s3_object: true
    description: Release 1.4.2

- name: Register a GitHub commit
  rollout.codedeploy.codedeploy_revision:
    application_name: HelloWorld_App
    revision:
      revision_type: GitHub
      git_hub_location:
        repository: example/hello-world
        commit_id: 4d1f5b8e0c2a9f7e6d5c4b3a2918f7e6d5c4b3a2

- name: Register what the revision role built
  rollout.codedeploy.codedeploy_revision:
    application_name: HelloWorld_App
    revision: "{{ revision__output }}"
"""

RETURN = r"""
upload:
  description:
    - What M(amazon.aws.s3_object) returned for the upload O(upload) asked for (its C(changed) is false when the
      object was there already).
  returned: when O(upload) was given
  type: dict
  sample: {"changed": false, "msg": "Local and remote object are identical, ignoring. Use overwrite=always parameter to force."}
application_name:
  description: The application the revision is registered with.
  returned: always
  type: str
  sample: HelloWorld_App
revision:
  description:
    - The revision as registered, in the shape other rollout.codedeploy modules take as their C(revision) option.
  returned: always
  type: dict
  sample: {"revision_type": "S3", "s3_location": {"bucket": "my-bundles", "key": "releases/app.zip",
           "bundle_type": "zip", "e_tag": "3f9a2c1b0e7d6c5b4a3928170f6e5d4c"}}
revision_info:
  description:
    - What CodeDeploy knows about the revision (C(GetApplicationRevision)'s C(revisionInfo)).
    - In check mode, for a revision not yet registered, only RV(revision_info.description).
  returned: always
  type: dict
  contains:
    description:
      description: The description of the revision.
      type: str
    register_time:
      description: When the revision was registered.
      type: str
    first_used_time:
      description: When the revision was first deployed.
      type: str
    last_used_time:
      description: When the revision was last deployed.
      type: str
    deployment_groups:
      description: The deployment groups whose target revision this is.
      type: list
      elements: str
  sample: {"description": "Release 1.4.2", "register_time": "2026-11-27T10:40:00.123000+00:00", "deployment_groups": []}
"""

from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import aws_client
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import ensure_revision
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import revision_argument_spec
from ansible_collections.rollout.codedeploy.plugins.module_utils.codedeploy import revision_to_register
from ansible_collections.rollout.codedeploy.plugins.module_utils.modules import AnsibleCodeDeployModule


def do(module: AnsibleCodeDeployModule) -> None:
    revision = revision_to_register(module)
    client = aws_client(module, "codedeploy")
    module.exit_json(**ensure_revision(module, client, revision))


def main() -> None:
    argument_spec = revision_argument_spec()
    argument_spec.update(
        application_name=dict(type="str", required=True, aliases=["application"]),
        description=dict(type="str"),
        pin_s3_object=dict(type="bool", default=False),
        expected_bucket_owner=dict(type="str"),
        upload=dict(type="dict"),  # done by the action plugin, which does not pass it on
    )
    AnsibleCodeDeployModule(argument_spec=argument_spec, supports_check_mode=True).run(do)


if __name__ == "__main__":
    main()
