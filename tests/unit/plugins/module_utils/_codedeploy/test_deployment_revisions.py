# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.common import AnsibleCodeDeployError
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_revisions import describe_revision
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_revisions import revision_from_params
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_revisions import same_revision

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
    assert revision_from_params(params)["s3Location"] == {"bucket": "b", "key": "k.tgz", "bundleType": "tgz", "version": "v1"}


def test_no_revision_given():
    assert revision_from_params({"revision": None, "s3_bucket": None, "github_repository": None}) is None


@pytest.mark.parametrize(
    "params, field",
    [
        ({"s3_bucket": "b", "s3_key": "k"}, "bundle_type missing"),
        ({"revision": {"s3_location": {"bucket": "b", "key": "k", "bundle_type": "JSON"}}}, "revision.s3_location.bundle_type"),
        ({"github_repository": "no-slash", "github_commit_id": "abc"}, "github_repository/github_commit_id.repository"),
        ({"revision": {"description": "only"}}, "revision: expected the revision role's output"),
    ],
)
def test_bad_revision_names_the_field(params, field):
    with pytest.raises(AnsibleCodeDeployError) as error:
        revision_from_params(params)
    assert field in error.value.message


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
    assert same_revision({"revisionType": "S3", "s3Location": {**base, **wanted}}, {"revisionType": "S3", "s3Location": {**base, **deployed}}) is same


def test_s3_and_github_never_match():
    assert not same_revision(
        {"revisionType": "S3", "s3Location": {"bucket": "b", "key": "k", "bundleType": "zip"}},
        {"revisionType": "GitHub", "gitHubLocation": {"repository": "a/b", "commitId": "c"}},
    )


def test_describe_revision():
    s3 = {"revisionType": "S3", "s3Location": {"bucket": "b", "key": "k.zip", "bundleType": "zip", "eTag": '"e1"'}}
    assert describe_revision(s3) == "s3://b/k.zip (zip, etag e1)"
    assert describe_revision({"revisionType": "GitHub", "gitHubLocation": {"repository": "a/b", "commitId": "c0ffee"}}) == "github:a/b@c0ffee"
