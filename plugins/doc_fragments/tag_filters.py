# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The suboptions of a CodeDeploy tag filter, paired with tag_filters_spec() (TAG_FILTER_OPTIONS) in
    # module_utils/_codedeploy/transformations.py. A module documents the option itself (description, type: list,
    # elements: dict); a variable here adds the suboptions under the option names that module uses. ansible-test
    # reads each variable as one string, so the suboptions are written out in each (a unit test keeps both equal to
    # the spec).

    # rollout.codedeploy.tag_filters: the option tag_filters.
    DOCUMENTATION = r"""
options:
  tag_filters:
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
"""

    # rollout.codedeploy.tag_filters.deployment_group: the EC2 and the on-premises tag filters of a deployment group.
    DEPLOYMENT_GROUP = r"""
options:
  ec2_tag_filters:
    suboptions: &tag_filter
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
  on_premises_instance_tag_filters:
    suboptions: *tag_filter
"""
