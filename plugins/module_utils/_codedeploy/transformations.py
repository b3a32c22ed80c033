# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This package is private to rollout.codedeploy: import from module_utils/codedeploy.py instead.

"""Boto3 shapes of applications, deployment configs and deployment groups to Ansible results, and tag filters both ways."""

from __future__ import annotations

import typing as t
from copy import deepcopy

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.botocore import normalize_boto3_result


def to_ansible_resource(resource: dict[str, t.Any] | None, tags: dict[str, str] | None = None) -> dict[str, t.Any]:
    """The resource in snake_case as the API describes it, timestamps as ISO text, tags as a dict.

    tags is kept out of the snake_case conversion: tag keys are the user's, not ours to rename.
    """
    if not resource:
        return {}
    result = camel_dict_to_snake_dict(normalize_boto3_result(resource))
    if tags is not None:
        result["tags"] = dict(tags)
    return result


# The suboptions of a tag filter, paired with the rollout.codedeploy.tag_filters doc fragment.
TAG_FILTER_OPTIONS: dict[str, t.Any] = dict(
    key=dict(type="str", no_log=False),
    value=dict(type="str"),
    type=dict(type="str", choices=["KEY_ONLY", "VALUE_ONLY", "KEY_AND_VALUE"]),
)


def tag_filters_spec() -> dict[str, t.Any]:
    """The argument spec of an option that takes a list of tag filters ({key, value, type})."""
    return dict(type="list", elements="dict", options=deepcopy(TAG_FILTER_OPTIONS))


def tag_filters_to_boto3(filters: list[dict[str, t.Any]] | None) -> list[dict[str, str]]:
    """Ansible tag filters ({key, value, type}) to the API's {Key, Value, Type}.

    When type is omitted it follows from what is given: key and value -> KEY_AND_VALUE,
    key only -> KEY_ONLY, value only -> VALUE_ONLY, so a re-run compares equal to what AWS returns.
    """
    converted = []
    for item in filters or []:
        key, value, filter_type = item.get("key"), item.get("value"), item.get("type")
        if not filter_type:
            if key and value:
                filter_type = "KEY_AND_VALUE"
            elif key:
                filter_type = "KEY_ONLY"
            else:
                filter_type = "VALUE_ONLY"
        boto3_filter = {"Type": filter_type}
        if key:
            boto3_filter["Key"] = key
        if value:
            boto3_filter["Value"] = value
        converted.append(boto3_filter)
    return converted


def normalize_boto3_tag_filters(filters: list[dict[str, t.Any]] | None) -> list[dict[str, str]]:
    """API tag filters with empty members dropped, so '' and absent compare equal."""
    return [{name: value for name, value in item.items() if value not in (None, "")} for item in filters or []]
