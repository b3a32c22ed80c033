# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This package is private to rollout.codedeploy: import from module_utils/codedeploy.py instead.

"""Application revisions: API wrappers and the one revision shape every module and role passes around.

The Ansible shape is the boto shape in snake case (camel_dict_to_snake_dict), for example
``{revision_type: S3, s3_location: {bucket, key, bundle_type, e_tag, version}}`` or
``{revision_type: GitHub, git_hub_location: {repository, commit_id}}``.
"""

from __future__ import annotations

import typing as t

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.transformation import boto3_resource_to_ansible_dict

from .common import AnsibleCodeDeployError
from .common import CodeDeployErrorHandler

if t.TYPE_CHECKING:
    from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

BATCH_GET_LIMIT = 25
S3_LOCATION_KEYS = {"bucket": "bucket", "key": "key", "bundle_type": "bundleType", "e_tag": "eTag", "version": "version"}
GITHUB_LOCATION_KEYS = {"repository": "repository", "commit_id": "commitId"}


# --- shape conversions ---------------------------------------------------------------------------------------


def _strip_etag(value: str | None) -> str | None:
    # S3 quotes ETags; CodeDeploy and its agent compare them without quotes.
    return value.strip('"') if isinstance(value, str) else value


def revision_to_boto(revision: dict[str, t.Any]) -> dict[str, t.Any]:
    """The Ansible revision shape (or the module options of that shape) as a boto RevisionLocation."""
    s3_location = revision.get("s3_location")
    github_location = revision.get("git_hub_location") or revision.get("github_location")
    revision_type = revision.get("revision_type") or ("S3" if s3_location else "GitHub")
    boto: dict[str, t.Any] = {"revisionType": revision_type}
    if revision_type == "S3":
        location = {boto_key: (s3_location or {}).get(key) for key, boto_key in S3_LOCATION_KEYS.items()}
        location["eTag"] = _strip_etag(location["eTag"])
        boto["s3Location"] = {key: value for key, value in location.items() if value not in (None, "")}
    elif revision_type == "GitHub":
        location = {boto_key: (github_location or {}).get(key) for key, boto_key in GITHUB_LOCATION_KEYS.items()}
        boto["gitHubLocation"] = {key: value for key, value in location.items() if value not in (None, "")}
    return boto


def revision_from_boto(location: dict[str, t.Any]) -> dict[str, t.Any]:
    revision = boto3_resource_to_ansible_dict(location, transform_tags=False, force_tags=False)
    if "s3_location" in revision and "e_tag" in revision["s3_location"]:
        revision["s3_location"]["e_tag"] = _strip_etag(revision["s3_location"]["e_tag"])
    return revision


def revision_info_from_boto(info: dict[str, t.Any]) -> dict[str, t.Any]:
    """GenericRevisionInfo in snake case, with ISO 8601 times."""
    return boto3_resource_to_ansible_dict(info, transform_tags=False, force_tags=False)


def revision_problems(revision: dict[str, t.Any]) -> list[str]:
    """What a boto RevisionLocation lacks before CodeDeploy would accept it, as messages naming the option."""
    problems = []
    if revision["revisionType"] == "S3":
        location = revision.get("s3Location", {})
        for key, boto_key in (("bucket", "bucket"), ("key", "key"), ("bundle_type", "bundleType")):
            if not location.get(boto_key):
                problems.append(f"revision.s3_location.{key} is required for an S3 revision")
    elif revision["revisionType"] == "GitHub":
        location = revision.get("gitHubLocation", {})
        if "/" not in str(location.get("repository", "")):
            problems.append("revision.git_hub_location.repository must be written account/repository")
        if not location.get("commitId"):
            problems.append("revision.git_hub_location.commit_id is required for a GitHub revision")
    else:
        problems.append(f"revision.revision_type {revision['revisionType']!r} is not supported for EC2 deployments; use S3 or GitHub")
    return problems


# --- API wrappers --------------------------------------------------------------------------------------------


@CodeDeployErrorHandler.common_error_handler("get application revision")
@AWSRetry.jittered_backoff()
def get_application_revision(client: RetryingBotoClientWrapper, application_name: str, revision: dict[str, t.Any]) -> dict[str, t.Any] | None:
    # Only a missing revision means "not registered"; a missing application is an error the user must see.
    try:
        return client.get_application_revision(applicationName=application_name, revision=revision)
    except is_boto3_error_code("RevisionDoesNotExistException"):
        return None
    except is_boto3_error_code("ApplicationDoesNotExistException") as e:  # pylint: disable=duplicate-except
        raise AnsibleCodeDeployError(
            message=f"application {application_name} does not exist; create it first (rollout.codedeploy.codedeploy_application)",
            exception=e,
        ) from e


@CodeDeployErrorHandler.common_error_handler("register application revision")
@AWSRetry.jittered_backoff()
def register_application_revision(
    client: RetryingBotoClientWrapper, application_name: str, revision: dict[str, t.Any], description: str | None
) -> None:
    params: dict[str, t.Any] = {"applicationName": application_name, "revision": revision}
    if description is not None:
        params["description"] = description
    client.register_application_revision(**params)


@CodeDeployErrorHandler.common_error_handler("list application revisions")
@AWSRetry.jittered_backoff()
def list_application_revisions(client: RetryingBotoClientWrapper, application_name: str, **filters: t.Any) -> list[dict[str, t.Any]]:
    params = {key: value for key, value in filters.items() if value is not None}
    paginator = client.get_paginator("list_application_revisions")
    return paginator.paginate(applicationName=application_name, **params).build_full_result().get("revisions", [])


@CodeDeployErrorHandler.common_error_handler("get application revisions")
@AWSRetry.jittered_backoff()
def _batch_get_application_revisions(client: RetryingBotoClientWrapper, application_name: str, revisions: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
    return client.batch_get_application_revisions(applicationName=application_name, revisions=revisions).get("revisions", [])


def batch_get_application_revisions(client: RetryingBotoClientWrapper, application_name: str, revisions: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
    """Details of many revisions, in the order given (the API takes at most 25 at a time)."""
    found: list[dict[str, t.Any]] = []
    for start in range(0, len(revisions), BATCH_GET_LIMIT):
        found.extend(_batch_get_application_revisions(client, application_name, revisions[start:start + BATCH_GET_LIMIT]))
    return found


@CodeDeployErrorHandler.common_error_handler("read the S3 object of the revision")
@AWSRetry.jittered_backoff()
def head_s3_object(
    client: RetryingBotoClientWrapper, bucket: str, key: str, version: str | None = None, expected_bucket_owner: str | None = None
) -> dict[str, t.Any] | None:
    params = {"Bucket": bucket, "Key": key}
    if version:
        params["VersionId"] = version
    if expected_bucket_owner:
        params["ExpectedBucketOwner"] = expected_bucket_owner
    try:
        return client.head_object(**params)
    except is_boto3_error_code(["404", "NoSuchKey", "NotFound"]):
        return None


def pin_s3_location(s3_location: dict[str, t.Any], head: dict[str, t.Any]) -> dict[str, t.Any]:
    """The S3 location with the object's ETag and version, so a deployment fetches exactly this object."""
    pinned = dict(s3_location)
    pinned["eTag"] = _strip_etag(head.get("ETag"))
    version = head.get("VersionId")
    # Unversioned buckets answer "null"; CodeDeploy then takes the only object there is.
    if version and version != "null":
        pinned["version"] = version
    return {key: value for key, value in pinned.items() if value not in (None, "")}


# The revision option, paired with the rollout.codedeploy.revision doc fragment; deepcopy it at use.
REVISION_ARG_SPEC: dict[str, t.Any] = dict(
    revision=dict(
        type="dict",
        required=True,
        options=dict(
            revision_type=dict(type="str", choices=["S3", "GitHub"]),
            s3_location=dict(
                type="dict",
                options=dict(
                    bucket=dict(type="str", required=True),
                    key=dict(type="str", required=True, no_log=False),
                    bundle_type=dict(type="str", choices=["zip", "tar", "tgz"], required=True),
                    e_tag=dict(type="str"),
                    version=dict(type="str"),
                ),
            ),
            git_hub_location=dict(
                type="dict",
                aliases=["github_location"],
                options=dict(
                    repository=dict(type="str", required=True),
                    commit_id=dict(type="str", required=True),
                ),
            ),
        ),
        mutually_exclusive=[["s3_location", "git_hub_location"]],
        required_one_of=[["s3_location", "git_hub_location"]],
    ),
)
