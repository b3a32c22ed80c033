# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import datetime

import pytest
import yaml
from ansible_collections.rollout.codedeploy.plugins.doc_fragments.tag_filters import ModuleDocFragment
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.transformations import (
    normalize_boto3_tag_filters,
)
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.transformations import tag_filters_spec
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.transformations import tag_filters_to_boto3
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.transformations import to_ansible_resource


@pytest.mark.parametrize(
    "given, expected",
    [
        ({"key": "env", "value": "prod", "type": None}, {"Key": "env", "Value": "prod", "Type": "KEY_AND_VALUE"}),
        ({"key": "env", "value": None, "type": None}, {"Key": "env", "Type": "KEY_ONLY"}),
        ({"key": None, "value": "prod", "type": None}, {"Value": "prod", "Type": "VALUE_ONLY"}),
        ({"key": "env", "value": "prod", "type": "KEY_ONLY"}, {"Key": "env", "Value": "prod", "Type": "KEY_ONLY"}),
    ],
)
def test_tag_filter_type_follows_from_what_is_given(given, expected):
    assert tag_filters_to_boto3([given]) == [expected]


def test_empty_tag_filter_members_compare_as_absent():
    assert normalize_boto3_tag_filters([{"Key": "env", "Value": "", "Type": "KEY_ONLY"}]) == [
        {"Key": "env", "Type": "KEY_ONLY"}
    ]


def test_resource_is_snake_case_with_tags_untouched():
    resource = {
        "applicationName": "DemoApp",
        "createTime": datetime.datetime(2026, 11, 27, 10, 0, tzinfo=datetime.UTC),
        "ec2TagFilters": [{"Key": "Name", "Value": "web", "Type": "KEY_AND_VALUE"}],
        "linkedToGitHub": False,
    }
    result = to_ansible_resource(resource, {"CamelCaseKey": "Value"})
    assert result == {
        "application_name": "DemoApp",
        "create_time": "2026-11-27T10:00:00+00:00",
        "ec2_tag_filters": [{"key": "Name", "value": "web", "type": "KEY_AND_VALUE"}],
        "linked_to_git_hub": False,
        "tags": {"CamelCaseKey": "Value"},
    }


def test_missing_resource_is_empty():
    assert to_ansible_resource(None, {}) == {}


@pytest.mark.parametrize(
    "variable, options",
    [("DOCUMENTATION", ["tag_filters"]), ("DEPLOYMENT_GROUP", ["ec2_tag_filters", "on_premises_instance_tag_filters"])],
)
def test_the_tag_filter_fragment_documents_the_spec(variable, options):
    documented = yaml.safe_load(getattr(ModuleDocFragment, variable))["options"]
    spec = tag_filters_spec()["options"]
    assert sorted(documented) == options
    for option in options:
        suboptions = documented[option]["suboptions"]
        assert sorted(suboptions) == sorted(spec)
        for name, documentation in suboptions.items():
            assert documentation["type"] == spec[name]["type"]
            assert documentation.get("choices") == spec[name].get("choices")


def test_each_tag_filter_spec_is_a_copy():
    first = tag_filters_spec()
    first["options"]["type"]["choices"].append("ANYTHING")
    assert "ANYTHING" not in tag_filters_spec()["options"]["type"]["choices"]
