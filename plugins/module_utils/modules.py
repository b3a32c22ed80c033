# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The module class every rollout.codedeploy module that calls AWS is built on."""

from __future__ import annotations

import functools
import typing as t

from ansible_collections.amazon.aws.plugins.module_utils.common import set_collection_info
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.common import with_permissions_pointer
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.tagging import ArnBuilder
from ansible_collections.rollout.codedeploy.plugins.module_utils.version import COLLECTION_NAME
from ansible_collections.rollout.codedeploy.plugins.module_utils.version import COLLECTION_VERSION


class AnsibleCodeDeployModule(AnsibleAWSModule):
    """AnsibleAWSModule that names rollout.codedeploy in the botocore user agent.

    AWS support and CloudTrail see which tool made a call; amazon.aws builds the agent string
    from the collection info set here.
    """

    def __init__(self, **kwargs: t.Any) -> None:
        set_collection_info(collection_name=COLLECTION_NAME, collection_version=COLLECTION_VERSION)
        super().__init__(**kwargs)

    def _should_inject_warnings(self) -> bool:
        # amazon.aws copies warn()'s messages into the result as `warnings=` on ansible-core 2.19 and newer, which
        # those cores deprecate ("Passing `warnings` to `exit_json` ..."); warn() hands them to the core already,
        # which reports them itself.
        return False

    def fail_json(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        # Every failure passes here, fail_json_aws's included: a call AWS refused also says where this module's
        # IAM actions are listed.
        super().fail_json(*args, **with_permissions_pointer(kwargs, self._name))

    @functools.cached_property
    def arns(self) -> ArnBuilder:
        """The ARNs of this account and region's CodeDeploy resources (STS is asked for the account once, when an
        ARN is first needed)."""
        return ArnBuilder(self)

    def run(self, do: t.Callable[[AnsibleCodeDeployModule], None]) -> None:
        """do(self), failing the task with the message of an AWS error it raises."""
        try:
            do(self)
        except AnsibleAWSError as e:
            self.fail_json_aws_error(e)
