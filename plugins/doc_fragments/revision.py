# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The revision option, paired with REVISION_ARG_SPEC (revision_argument_spec()) in module_utils/_codedeploy/revisions.py.
    # Its shape is the revision role's output (revision__output) and what codedeploy_revision returns.
    # A module may document its own revision.description and revision.required; they replace these
    # (codedeploy_deployment: optional, since the flat s3_* options can name the revision instead).
    DOCUMENTATION = r"""
options:
  revision:
    description:
      - The application revision, in the shape the C(rollout.codedeploy.revision) role returns as C(revision__output)
        (the API's C(RevisionLocation) in snake case).
      - EC2/on-premises deployments take V(S3) and V(GitHub) revisions.
    type: dict
    required: true
    suboptions:
      revision_type:
        description:
          - Where the revision is stored. When omitted it follows from which location is given.
        type: str
        choices: [S3, GitHub]
      s3_location:
        description:
          - The bundle in S3.
        type: dict
        suboptions:
          bucket:
            description: The bucket holding the bundle.
            type: str
            required: true
          key:
            description: The object key of the bundle.
            type: str
            required: true
          bundle_type:
            description: The archive format of the bundle.
            type: str
            choices: [zip, tar, tgz]
            required: true
          e_tag:
            description:
              - The object's ETag (quotes are removed). When set, the agent refuses an object with another ETag.
            type: str
          version:
            description:
              - The object version in a versioned bucket. When omitted, deployments take the latest version.
            type: str
      git_hub_location:
        description:
          - The revision in a GitHub repository.
        type: dict
        aliases: [github_location]
        suboptions:
          repository:
            description: The repository, written C(account/repository).
            type: str
            required: true
          commit_id:
            description: The SHA1 of the commit.
            type: str
            required: true
"""
