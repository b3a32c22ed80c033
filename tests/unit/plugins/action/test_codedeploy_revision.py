# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""codedeploy_revision's action plugin: what its upload option becomes for amazon.aws.s3_object, and what it refuses."""

from __future__ import annotations

import typing as t

import pytest
from ansible_collections.rollout.codedeploy.plugins.action.codedeploy_revision import upload_arguments

CONNECTION = {"endpoint_url": "http://127.0.0.1:1", "region": "us-east-1", "access_key": "a", "secret_key": "s"}
S3_REVISION = {"revision_type": "S3", "s3_location": {"bucket": "bundles", "key": "app-0123.zip", "bundle_type": "zip"}}


def test_the_upload_takes_the_bucket_key_owner_and_connection_from_the_task_and_the_rest_from_upload():
    args = {
        **CONNECTION,
        "application_name": "app",
        "revision": S3_REVISION,
        "description": "d",
        "pin_s3_object": True,
        "expected_bucket_owner": "111122223333",
        "upload": {"src": "/tmp/app.zip", "overwrite": "never", "encrypt": True, "permission": []},
    }
    assert upload_arguments(args) == {
        **CONNECTION,
        "mode": "put",
        "bucket": "bundles",
        "object": "app-0123.zip",
        "expected_bucket_owner": "111122223333",
        "src": "/tmp/app.zip",
        "overwrite": "never",
        "encrypt": True,
        "permission": [],
    }


def test_no_expected_bucket_owner_is_sent_when_none_is_given():
    put = upload_arguments({"revision": S3_REVISION, "expected_bucket_owner": None, "upload": {"src": "/b.zip"}})
    assert isinstance(put, dict)
    assert "expected_bucket_owner" not in put


@pytest.mark.parametrize(
    ("revision", "upload", "names"),
    [
        (
            {"revision_type": "GitHub", "git_hub_location": {"repository": "o/r", "commit_id": "abc"}},
            {"src": "/b.zip"},
            "only an S3 revision",
        ),
        ({"revision_type": "S3", "s3_location": {"bucket": "bundles"}}, {"src": "/b.zip"}, "s3_location.key"),
        (S3_REVISION, {"overwrite": "never"}, "give at least src"),
    ],
)
def test_an_upload_that_cannot_be_done_is_refused_naming_the_option(
    revision: dict[str, t.Any], upload: t.Any, names: str
):
    problem = upload_arguments({"revision": revision, "upload": upload})
    assert isinstance(problem, str)
    assert problem.startswith("upload: ")
    assert names in problem
