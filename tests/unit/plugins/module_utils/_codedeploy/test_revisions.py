# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.common import AnsibleCodeDeployError
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.revisions import REVISION_ARG_SPEC
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.revisions import describe_revision
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.revisions import pin_s3_location
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.revisions import pin_s3_revision
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.revisions import revision_argument_spec
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.revisions import revision_from_boto
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.revisions import revision_from_params
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.revisions import revision_problems
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.revisions import revision_to_boto
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.revisions import same_revision
from botocore.exceptions import ClientError

S3_BOTO = {
    "revisionType": "S3",
    "s3Location": {"bucket": "b", "key": "k.zip", "bundleType": "zip", "eTag": "abc", "version": "v1"},
}
S3_ANSIBLE = {
    "revision_type": "S3",
    "s3_location": {"bucket": "b", "key": "k.zip", "bundle_type": "zip", "e_tag": "abc", "version": "v1"},
}
GITHUB_BOTO = {"revisionType": "GitHub", "gitHubLocation": {"repository": "acct/repo", "commitId": "4d1f"}}
GITHUB_ANSIBLE = {"revision_type": "GitHub", "git_hub_location": {"repository": "acct/repo", "commit_id": "4d1f"}}


@pytest.mark.parametrize("boto, ansible", [(S3_BOTO, S3_ANSIBLE), (GITHUB_BOTO, GITHUB_ANSIBLE)])
def test_shapes_round_trip(boto, ansible):
    assert revision_from_boto(boto) == ansible
    assert revision_to_boto(ansible) == boto


def test_module_options_with_unset_fields_and_quoted_etag():
    options = {
        "revision_type": None,
        "s3_location": {"bucket": "b", "key": "k.zip", "bundle_type": "zip", "e_tag": '"abc"', "version": None},
    }
    assert revision_to_boto(options) == {
        "revisionType": "S3",
        "s3Location": {"bucket": "b", "key": "k.zip", "bundleType": "zip", "eTag": "abc"},
    }


def test_github_alias_and_type_inferred():
    assert revision_to_boto({"github_location": {"repository": "acct/repo", "commit_id": "4d1f"}}) == GITHUB_BOTO


@pytest.mark.parametrize(
    "revision, problem",
    [
        (
            {"revisionType": "S3", "s3Location": {"bucket": "b", "key": "k"}},
            "revision.s3_location.bundle_type is required",
        ),
        ({"revisionType": "GitHub", "gitHubLocation": {"repository": "repo", "commitId": "1"}}, "account/repository"),
        ({"revisionType": "String"}, "use S3 or GitHub"),
        (
            {"revisionType": "S3", "s3Location": {"bucket": "b", "key": "k", "bundleType": "JSON"}},
            "revision.s3_location.bundle_type 'JSON' cannot",
        ),
        ({"revisionType": None}, "revision has neither s3_location nor git_hub_location"),
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


class HeadObject:
    """An S3 client whose one object answers HeadObject with head (None: there is no object)."""

    def __init__(self, head: dict | None) -> None:
        self.head = head
        self.asked: list[dict] = []

    def head_object(self, **params):
        self.asked.append(params)
        if self.head is None:
            raise ClientError({"Error": {"Code": "404", "Message": "Not Found"}}, "HeadObject")
        return self.head


def test_pin_s3_revision_keeps_what_is_given_and_fills_in_the_rest():
    s3 = HeadObject({"ETag": '"new"', "VersionId": "v9"})
    revision = {
        "revisionType": "S3",
        "s3Location": {"bucket": "b", "key": "k.zip", "bundleType": "zip", "eTag": "given"},
    }
    assert pin_s3_revision(s3, revision, "123456789012") == {
        "revisionType": "S3",
        "s3Location": {"bucket": "b", "key": "k.zip", "bundleType": "zip", "eTag": "given", "version": "v9"},
    }
    assert s3.asked == [{"Bucket": "b", "Key": "k.zip", "ExpectedBucketOwner": "123456789012"}]


def test_pin_s3_revision_of_a_missing_object_is_none():
    revision = {
        "revisionType": "S3",
        "s3Location": {"bucket": "b", "key": "k.zip", "bundleType": "zip", "version": "v1"},
    }
    s3 = HeadObject(None)
    assert pin_s3_revision(s3, revision, None) is None
    assert s3.asked == [{"Bucket": "b", "Key": "k.zip", "VersionId": "v1"}]


def test_camel_case_keys_and_keys_beside_the_location_are_read():
    revision = {
        "revisionType": "S3",
        "s3Location": {"bucket": "b", "key": "k.zip", "bundleType": "zip", "eTag": '"abc"'},
        "description": "x",
    }
    assert revision_to_boto(revision) == {
        "revisionType": "S3",
        "s3Location": {"bucket": "b", "key": "k.zip", "bundleType": "zip", "eTag": "abc"},
    }


# --- codedeploy_deployment's options: the revision option or the flat s3_*/github_* options -----------------

ROLE_OUTPUT = {
    "revision_type": "S3",
    "s3_location": {"bucket": "bundles", "key": "app.zip", "bundle_type": "zip", "e_tag": "abc", "version": None},
}


def test_role_output_becomes_a_revision_location():
    assert revision_from_params({"revision": ROLE_OUTPUT}) == {
        "revisionType": "S3",
        "s3Location": {"bucket": "bundles", "key": "app.zip", "bundleType": "zip", "eTag": "abc"},
    }


def test_github_role_output():
    revision = {"git_hub_location": {"repository": "acme/web", "commit_id": "0123abc"}}
    assert revision_from_params({"revision": revision}) == {
        "revisionType": "GitHub",
        "gitHubLocation": {"repository": "acme/web", "commitId": "0123abc"},
    }


def test_flat_s3_options():
    params = {"s3_bucket": "b", "s3_key": "k.tgz", "s3_bundle_type": "tgz", "s3_version": "v1", "s3_etag": None}
    assert revision_from_params(params)["s3Location"] == {
        "bucket": "b",
        "key": "k.tgz",
        "bundleType": "tgz",
        "version": "v1",
    }


def test_no_revision_given():
    assert revision_from_params({"revision": None, "s3_bucket": None, "github_repository": None}) is None


@pytest.mark.parametrize(
    "params, message",
    [
        ({"s3_bucket": "b", "s3_key": "k"}, "s3_bundle_type is required for an S3 revision"),
        (
            {"revision": {"s3_location": {"bucket": "b", "key": "k", "bundle_type": "JSON"}}},
            "revision.s3_location.bundle_type 'JSON' cannot",
        ),
        (
            {"github_repository": "no-slash", "github_commit_id": "abc"},
            "github_repository must be written account/repository",
        ),
        ({"revision": {"description": "only"}}, "revision has neither s3_location nor git_hub_location"),
    ],
)
def test_bad_revision_names_the_option(params, message):
    with pytest.raises(AnsibleCodeDeployError) as error:
        revision_from_params(params)
    assert message in error.value.message


def test_argument_spec_copies():
    optional = revision_argument_spec(required=False)
    assert optional["revision"]["required"] is False and REVISION_ARG_SPEC["revision"]["required"] is True
    assert optional["revision"]["options"] == REVISION_ARG_SPEC["revision"]["options"]


@pytest.mark.parametrize(
    "wanted, deployed, same",
    [
        ({"eTag": "abc"}, {"eTag": '"abc"'}, True),  # quotes do not matter
        ({"eTag": "abc"}, {"eTag": "def"}, False),
        ({}, {"eTag": "def", "version": "v9"}, True),  # not pinned: the location names it
        ({"version": "v1"}, {"version": "v2"}, False),
        ({"key": "other.zip"}, {}, False),
    ],
)
def test_same_revision(wanted, deployed, same):
    base = {"bucket": "b", "key": "app.zip", "bundleType": "zip"}
    assert (
        same_revision(
            {"revisionType": "S3", "s3Location": {**base, **wanted}},
            {"revisionType": "S3", "s3Location": {**base, **deployed}},
        )
        is same
    )


def test_s3_and_github_never_match():
    assert not same_revision(
        {"revisionType": "S3", "s3Location": {"bucket": "b", "key": "k", "bundleType": "zip"}},
        {"revisionType": "GitHub", "gitHubLocation": {"repository": "a/b", "commitId": "c"}},
    )


def test_describe_revision():
    s3 = {"revisionType": "S3", "s3Location": {"bucket": "b", "key": "k.zip", "bundleType": "zip", "eTag": '"e1"'}}
    assert describe_revision(s3) == "s3://b/k.zip (zip, etag e1)"
    assert (
        describe_revision({"revisionType": "GitHub", "gitHubLocation": {"repository": "a/b", "commitId": "c0ffee"}})
        == "github:a/b@c0ffee"
    )
