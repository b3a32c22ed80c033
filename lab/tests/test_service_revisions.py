"""Application revisions: register (no S3 read), get, batch-get, list with sort and filters."""

from __future__ import annotations

import time

import pytest


def s3_revision(bucket: str, key: str, bundle: str = "zip", **extra: str) -> dict:
    return {"revisionType": "S3", "s3Location": {"bucket": bucket, "key": key, "bundleType": bundle, **extra}}


@pytest.fixture
def app(boto3_client, unique_name):
    name = unique_name("rev-app")
    boto3_client("codedeploy").create_application(applicationName=name)
    return name


def test_register_does_not_read_s3(boto3_client, lab, app):
    client = boto3_client("codedeploy")
    before = lab.calls().get("s3", {})
    revision = s3_revision("no-such-bucket", "bundle.zip", eTag="abc")
    client.register_application_revision(applicationName=app, revision=revision, description="first")
    result = client.get_application_revision(applicationName=app, revision=revision)
    assert result["applicationName"] == app
    assert result["revision"] == revision
    assert result["revisionInfo"]["description"] == "first"
    assert result["revisionInfo"]["deploymentGroups"] == []
    assert "firstUsedTime" not in result["revisionInfo"]
    assert lab.calls().get("s3", {}) == before  # the bucket does not exist and nobody looked


def test_get_without_etag_finds_the_latest_registration(boto3_client, app):
    client = boto3_client("codedeploy")
    client.register_application_revision(applicationName=app, revision=s3_revision("bkt", "a.zip", eTag="e1"))
    time.sleep(0.01)
    client.register_application_revision(applicationName=app, revision=s3_revision("bkt", "a.zip", eTag="e2"))
    found = client.get_application_revision(applicationName=app, revision=s3_revision("bkt", "a.zip"))
    assert found["revision"] == s3_revision("bkt", "a.zip", eTag="e2")
    exact = client.get_application_revision(applicationName=app, revision=s3_revision("bkt", "a.zip", eTag="e1"))
    assert exact["revision"] == s3_revision("bkt", "a.zip", eTag="e1")


def test_reregister_keeps_register_time_and_updates_description(boto3_client, app):
    client = boto3_client("codedeploy")
    revision = s3_revision("bucket-a", "app/v1.zip")
    client.register_application_revision(applicationName=app, revision=revision, description="one")
    first = client.get_application_revision(applicationName=app, revision=revision)["revisionInfo"]
    client.register_application_revision(applicationName=app, revision=revision, description="two")
    second = client.get_application_revision(applicationName=app, revision=revision)["revisionInfo"]
    assert second["registerTime"] == first["registerTime"] and second["description"] == "two"
    assert client.list_application_revisions(applicationName=app)["revisions"] == [revision]


def test_github_revision(boto3_client, app):
    client = boto3_client("codedeploy")
    revision = {"revisionType": "GitHub", "gitHubLocation": {"repository": "acme/site", "commitId": "abc123"}}
    client.register_application_revision(applicationName=app, revision=revision)
    assert client.get_application_revision(applicationName=app, revision=revision)["revision"] == revision


@pytest.mark.parametrize(
    ("revision", "code", "message"),
    [
        (
            {"revisionType": "S3", "s3Location": {"key": "k", "bundleType": "zip"}},
            "InvalidRevisionException",
            "revision.s3Location.bucket is required",
        ),
        (
            {"revisionType": "S3", "s3Location": {"bucket": "b", "key": "k"}},
            "InvalidRevisionException",
            "revision.s3Location.bundleType is required",
        ),
        (
            {"revisionType": "S3", "s3Location": {"bucket": "b", "key": "k", "bundleType": "YAML"}},
            "InvalidRevisionException",
            "revision.s3Location.bundleType 'YAML' is invalid; valid values are: tar, tgz, zip",
        ),
        (
            {"revisionType": "String", "string": {"content": "x"}},
            "InvalidRevisionException",
            "is not supported for the Server compute platform",
        ),
        ({"revisionType": "FTP"}, "InvalidRevisionException", "revision.revisionType 'FTP' is invalid"),
        (
            {"revisionType": "GitHub", "gitHubLocation": {"repository": "no-slash", "commitId": "a"}},
            "InvalidRevisionException",
            "revision.gitHubLocation.repository 'no-slash' is invalid",
        ),
    ],
)
def test_register_validation(boto3_client, app, aws_error, revision, code, message):
    with aws_error(code, message):
        boto3_client("codedeploy").register_application_revision(applicationName=app, revision=revision)


def test_register_errors(boto3_client, app, aws_error):
    client = boto3_client("codedeploy")
    with aws_error("DescriptionTooLongException", "257 characters (the maximum is 256)"):
        client.register_application_revision(applicationName=app, revision=s3_revision("b", "k"), description="d" * 257)
    with aws_error("ApplicationDoesNotExistException", "No application found for name: ghost"):
        client.register_application_revision(applicationName="ghost", revision=s3_revision("b", "k"))
    with aws_error("RevisionDoesNotExistException", "No application revision found for application"):
        client.get_application_revision(applicationName=app, revision=s3_revision("b", "never.zip"))


def test_batch_get_revisions(boto3_client, app, aws_error):
    client = boto3_client("codedeploy")
    known = s3_revision("bucket-b", "a.zip")
    client.register_application_revision(applicationName=app, revision=known, description="a")
    result = client.batch_get_application_revisions(
        applicationName=app, revisions=[known, s3_revision("bucket-b", "missing.zip")]
    )
    assert [r["revisionLocation"] for r in result["revisions"]] == [known]
    assert result["revisions"][0]["genericRevisionInfo"]["description"] == "a"
    assert "s3://bucket-b/missing.zip" in result["errorMessage"]
    with aws_error("BatchLimitExceededException", "26 revisions were given; the maximum is 25"):
        client.batch_get_application_revisions(
            applicationName=app, revisions=[s3_revision("b", f"{i}.zip") for i in range(26)]
        )


def test_list_revisions_filters_and_sorting(boto3_client, app, aws_error):
    client = boto3_client("codedeploy")
    order = [
        s3_revision("bucket-c", "releases/v1.zip"),
        s3_revision("bucket-c", "releases/v2.zip"),
        s3_revision("bucket-c", "other/v3.zip"),
        s3_revision("bucket-d", "releases/v4.zip"),
    ]
    for revision in order:
        client.register_application_revision(applicationName=app, revision=revision)
        time.sleep(0.01)  # distinct registerTime values
    listed = client.list_application_revisions(applicationName=app, sortBy="registerTime", sortOrder="descending")[
        "revisions"
    ]
    assert listed == list(reversed(order))
    filtered = client.list_application_revisions(applicationName=app, s3Bucket="bucket-c", s3KeyPrefix="releases/")[
        "revisions"
    ]
    assert filtered == order[:2]
    assert client.list_application_revisions(applicationName=app, deployed="include")["revisions"] == []
    assert len(client.list_application_revisions(applicationName=app, deployed="exclude")["revisions"]) == 4

    with aws_error("InvalidSortByException", "sortBy 'size' is invalid"):
        client.list_application_revisions(applicationName=app, sortBy="size")
    with aws_error("InvalidSortOrderException", "sortOrder 'up' is invalid"):
        client.list_application_revisions(applicationName=app, sortOrder="up")
    with aws_error("InvalidDeployedStateFilterException", "deployed 'maybe' is invalid"):
        client.list_application_revisions(applicationName=app, deployed="maybe")
    with aws_error("BucketNameFilterRequiredException", "needs a bucket name filter"):
        client.list_application_revisions(applicationName=app, s3KeyPrefix="releases/")
    with aws_error("InvalidBucketNameFilterException", "'Bad_Bucket' is not a valid S3 bucket name"):
        client.list_application_revisions(applicationName=app, s3Bucket="Bad_Bucket")


def test_list_revisions_paginates(boto3_client, app):
    client = boto3_client("codedeploy")
    for i in range(101):
        client.register_application_revision(applicationName=app, revision=s3_revision("bucket-e", f"{i}.zip"))
    pages = list(client.get_paginator("list_application_revisions").paginate(applicationName=app))
    assert [len(p["revisions"]) for p in pages] == [100, 1]
