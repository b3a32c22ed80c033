# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The module class every rollout.codedeploy module is built on."""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.common import set_collection_info
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.rollout.codedeploy.plugins.module_utils.version import COLLECTION_NAME
from ansible_collections.rollout.codedeploy.plugins.module_utils.version import COLLECTION_VERSION


class AnsibleCodeDeployModule(AnsibleAWSModule):
    """AnsibleAWSModule that names rollout.codedeploy in the botocore user agent.

    AWS support and CloudTrail see which tool made a call; amazon.aws builds the agent string
    from the collection info set here.
    """

    def __init__(self, **kwargs) -> None:
        set_collection_info(collection_name=COLLECTION_NAME, collection_version=COLLECTION_VERSION)
        super().__init__(**kwargs)
