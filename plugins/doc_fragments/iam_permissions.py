# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The note after a module's own list of the IAM actions it calls (its notes that begin "IAM actions"), for every
    # module that calls AWS; tests/unit/test_iam_permissions.py keeps those lists and docs/iam-permissions.md in
    # agreement. A fragment must have options (amazon.aws.boto3 adds its requirements the same way).
    DOCUMENTATION = r"""
options: {}
notes:
  - >-
    Each IAM action listed above is the one the Service Authorization Reference gives for an API call the module
    makes (CodeDeploy has one action per operation; S3 authorizes C(HeadObject) as C(s3:GetObject)). The actions of
    every module and role of this collection are in one table in docs/iam-permissions.md. A call AWS refuses fails
    the task with AWS's message, which names the action and the resource, and says where to find this list.
"""
