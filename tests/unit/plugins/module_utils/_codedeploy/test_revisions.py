# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.revisions import pin_s3_location
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.revisions import revision_from_boto
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.revisions import revision_problems
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.revisions import revision_to_boto

S3_BOTO = {"revisionType": "S3", "s3Location": {"bucket": "b", "key": "k.zip", "bundleType": "zip", "eTag": "abc", "version": "v1"}}
S3_ANSIBLE = {"revision_type": "S3", "s3_location": {"bucket": "b", "key": "k.zip", "bundle_type": "zip", "e_tag": "abc", "version": "v1"}}
GITHUB_BOTO = {"revisionType": "GitHub", "gitHubLocation": {"repository": "acct/repo", "commitId": "4d1f"}}
GITHUB_ANSIBLE = {"revision_type": "GitHub", "git_hub_location": {"repository": "acct/repo", "commit_id": "4d1f"}}


@pytest.mark.parametrize("boto, ansible", [(S3_BOTO, S3_ANSIBLE), (GITHUB_BOTO, GITHUB_ANSIBLE)])
def test_shapes_round_trip(boto, ansible):
    assert revision_from_boto(boto) == ansible
    assert revision_to_boto(ansible) == boto


def test_module_options_with_unset_fields_and_quoted_etag():
    options = {"revision_type": None, "s3_location": {"bucket": "b", "key": "k.zip", "bundle_type": "zip", "e_tag": '"abc"', "version": None}}
    assert revision_to_boto(options) == {"revisionType": "S3", "s3Location": {"bucket": "b", "key": "k.zip", "bundleType": "zip", "eTag": "abc"}}


def test_github_alias_and_type_inferred():
    assert revision_to_boto({"github_location": {"repository": "acct/repo", "commit_id": "4d1f"}}) == GITHUB_BOTO


@pytest.mark.parametrize(
    "revision, problem",
    [
        ({"revisionType": "S3", "s3Location": {"bucket": "b", "key": "k"}}, "revision.s3_location.bundle_type is required"),
        ({"revisionType": "GitHub", "gitHubLocation": {"repository": "repo", "commitId": "1"}}, "account/repository"),
        ({"revisionType": "String"}, "use S3 or GitHub"),
    ],
)
def test_revision_problems_name_the_option(revision, problem):
    problems = revision_problems(revision)
    assert len(problems) == 1 and problem in problems[0]


def test_complete_revisions_have_no_problems():
    assert revision_problems(S3_BOTO) == [] and revision_problems(GITHUB_BOTO) == []


@pytest.mark.parametrize(
    "head, expected",
    [
        ({"ETag": '"abc"', "VersionId": "v9"}, {"eTag": "abc", "version": "v9"}),
        ({"ETag": '"abc"', "VersionId": "null"}, {"eTag": "abc"}),  # unversioned bucket
        ({"ETag": '"abc-3"'}, {"eTag": "abc-3"}),  # multipart ETag, kept as S3 reports it
    ],
)
def test_pin_s3_location(head, expected):
    location = {"bucket": "b", "key": "k.zip", "bundleType": "zip"}
    assert pin_s3_location(location, head) == {**location, **expected}
