# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This package is private to rollout.codedeploy: import from module_utils/codedeploy.py instead.

"""Application revisions: the one revision shape every module and role passes around, its checks, and the API wrappers.

The Ansible shape is the boto shape in snake case (camel_dict_to_snake_dict), for example
``{revision_type: S3, s3_location: {bucket, key, bundle_type, e_tag, version}}`` or
``{revision_type: GitHub, git_hub_location: {repository, commit_id}}``: the ``revision`` option of
codedeploy_revision and codedeploy_deployment (REVISION_ARG_SPEC and the rollout.codedeploy.revision doc fragment),
and the revision role's output.  codedeploy_deployment also takes the location as flat options (s3_bucket...).
Everything goes through revision_to_boto, then revision_problems, so every module reads and checks it the same way.
"""

from __future__ import annotations

import typing as t
from copy import deepcopy

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.transformation import boto3_resource_to_ansible_dict

from .common import AnsibleCodeDeployError
from .common import CodeDeployErrorHandler
from .common import codedeploy_retry

if t.TYPE_CHECKING:
    from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

BATCH_GET_LIMIT = 25
S3_LOCATION_KEYS = {
    "bucket": "bucket",
    "key": "key",
    "bundle_type": "bundleType",
    "e_tag": "eTag",
    "version": "version",
}
GITHUB_LOCATION_KEYS = {"repository": "repository", "commit_id": "commitId"}


# --- shape conversions and checks ----------------------------------------------------------------------------

SERVER_BUNDLE_TYPES = ("tar", "tgz", "zip")

# The option that holds each part of the revision, for messages: the nested revision option, or
# codedeploy_deployment's flat options.
REVISION_OPTION_NAMES = {
    "revision": "revision",
    "bucket": "revision.s3_location.bucket",
    "key": "revision.s3_location.key",
    "bundle_type": "revision.s3_location.bundle_type",
    "repository": "revision.git_hub_location.repository",
    "commit_id": "revision.git_hub_location.commit_id",
}
FLAT_OPTION_NAMES = {
    "revision": "revision",
    "bucket": "s3_bucket",
    "key": "s3_key",
    "bundle_type": "s3_bundle_type",
    "repository": "github_repository",
    "commit_id": "github_commit_id",
}


def _strip_etag(value: str | None) -> str | None:
    # S3 quotes ETags; CodeDeploy and its agent compare them without quotes.
    return value.strip('"') if isinstance(value, str) else value


def _first(mapping: dict[str, t.Any], *keys: str) -> t.Any:
    # The snake case key first, then the API's camel case (a revision read back from AWS by hand).
    return next((mapping[key] for key in keys if mapping.get(key) not in (None, "")), None)


def revision_to_boto(revision: dict[str, t.Any]) -> dict[str, t.Any]:
    """The Ansible revision shape (module options or the revision role's output) as a boto RevisionLocation.

    Unset and empty fields are dropped, keys beside the location (a description...) are ignored, and nothing is
    checked: revision_problems says what is missing.  revisionType is None when neither location is given.
    """
    s3_location = _first(revision, "s3_location", "s3Location")
    github_location = _first(revision, "git_hub_location", "github_location", "gitHubLocation")
    revision_type = _first(revision, "revision_type", "revisionType") or (
        "S3" if s3_location else "GitHub" if github_location else None
    )
    boto: dict[str, t.Any] = {"revisionType": revision_type}
    if revision_type == "S3":
        location = dict(s3_location) if isinstance(s3_location, dict) else {}
        pinned = {
            "bucket": _first(location, "bucket"),
            "key": _first(location, "key"),
            "bundleType": _first(location, "bundle_type", "bundleType"),
            "eTag": _strip_etag(_first(location, "e_tag", "eTag", "etag")),
            "version": _first(location, "version"),
        }
        boto["s3Location"] = {key: value for key, value in pinned.items() if value not in (None, "")}
    elif revision_type == "GitHub":
        location = dict(github_location) if isinstance(github_location, dict) else {}
        named = {"repository": _first(location, "repository"), "commitId": _first(location, "commit_id", "commitId")}
        boto["gitHubLocation"] = {key: value for key, value in named.items() if value not in (None, "")}
    return boto


def revision_from_boto(location: dict[str, t.Any]) -> dict[str, t.Any]:
    revision = dict(boto3_resource_to_ansible_dict(location, transform_tags=False, force_tags=False) or {})
    if "s3_location" in revision and "e_tag" in revision["s3_location"]:
        revision["s3_location"]["e_tag"] = _strip_etag(revision["s3_location"]["e_tag"])
    return revision


def revision_info_from_boto(info: dict[str, t.Any]) -> dict[str, t.Any]:
    """GenericRevisionInfo in snake case, with ISO 8601 times."""
    return dict(boto3_resource_to_ansible_dict(info, transform_tags=False, force_tags=False) or {})


def revision_problems(revision: dict[str, t.Any], option_names: dict[str, str] | None = None) -> list[str]:
    """What a boto RevisionLocation lacks before an EC2/on-premises deployment could use it, as messages that name
    the option to fix (option_names: REVISION_OPTION_NAMES, the default, or FLAT_OPTION_NAMES)."""
    names = option_names or REVISION_OPTION_NAMES
    problems = []
    if revision["revisionType"] == "S3":
        location = revision.get("s3Location", {})
        for key, boto_key in (("bucket", "bucket"), ("key", "key"), ("bundle_type", "bundleType")):
            if not location.get(boto_key):
                problems.append(f"{names[key]} is required for an S3 revision")
        bundle_type = location.get("bundleType")
        if bundle_type and bundle_type not in SERVER_BUNDLE_TYPES:
            problems.append(
                f"{names['bundle_type']} '{bundle_type}' cannot be deployed to EC2/on-premises instances; "
                f"use one of {', '.join(SERVER_BUNDLE_TYPES)}"
            )
    elif revision["revisionType"] == "GitHub":
        location = revision.get("gitHubLocation", {})
        if str(location.get("repository", "")).count("/") != 1:
            problems.append(
                f"{names['repository']} must be written account/repository (got '{location.get('repository', '')}')"
            )
        if not location.get("commitId"):
            problems.append(f"{names['commit_id']} is required for a GitHub revision")
    elif revision["revisionType"] is None:
        problems.append(
            f"{names['revision']} has neither s3_location nor git_hub_location; pass the revision role's output "
            "(revision__output), e.g. {revision_type: S3, s3_location: {bucket, key, bundle_type, e_tag}}"
        )
    else:
        problems.append(
            f"{names['revision']}.revision_type {revision['revisionType']!r} is not supported for EC2 deployments; use S3 or GitHub"
        )
    return problems


def revision_location(revision: dict[str, t.Any], option_names: dict[str, str] | None = None) -> dict[str, t.Any]:
    """The boto RevisionLocation of an Ansible revision; AnsibleCodeDeployError naming the options when it is incomplete."""
    boto = revision_to_boto(revision)
    problems = revision_problems(boto, option_names)
    if problems:
        raise AnsibleCodeDeployError(message="; ".join(problems))
    return boto


def revision_from_params(params: dict[str, t.Any]) -> dict[str, t.Any] | None:
    """The RevisionLocation codedeploy_deployment's options describe (revision, or the flat s3_*/github_* options),
    or None when they give none."""
    if params.get("revision"):
        return revision_location(params["revision"])
    if params.get("s3_bucket") or params.get("s3_key"):
        location = {
            "bucket": params.get("s3_bucket"),
            "key": params.get("s3_key"),
            "bundle_type": params.get("s3_bundle_type"),
            "version": params.get("s3_version"),
            "e_tag": params.get("s3_etag"),
        }
        return revision_location({"revision_type": "S3", "s3_location": location}, FLAT_OPTION_NAMES)
    if params.get("github_repository") or params.get("github_commit_id"):
        location = {"repository": params.get("github_repository"), "commit_id": params.get("github_commit_id")}
        return revision_location({"revision_type": "GitHub", "git_hub_location": location}, FLAT_OPTION_NAMES)
    return None


def same_revision(wanted: dict[str, t.Any] | None, deployed: dict[str, t.Any] | None) -> bool:
    """Whether deployed (a boto RevisionLocation) is the revision wanted.

    A version or eTag the wanted revision leaves out is not compared: the caller did not pin the content, so the
    location alone names it. The revision role always pins the eTag.
    """
    if not wanted or not deployed or wanted.get("revisionType") != deployed.get("revisionType"):
        return False
    if wanted["revisionType"] == "GitHub":
        want, have = wanted.get("gitHubLocation") or {}, deployed.get("gitHubLocation") or {}
        return want.get("repository") == have.get("repository") and want.get("commitId") == have.get("commitId")
    want, have = wanted.get("s3Location") or {}, deployed.get("s3Location") or {}
    if any(want.get(name) != have.get(name) for name in ("bucket", "key", "bundleType")):
        return False
    if want.get("version") and want.get("version") != have.get("version"):
        return False
    if want.get("eTag") and _strip_etag(want.get("eTag")) != _strip_etag(have.get("eTag")):
        return False
    return True


def describe_revision(revision: dict[str, t.Any] | None) -> str:
    """A boto RevisionLocation as a person reads it: s3://bucket/key (zip, etag 1a2b...) or github:account/repo@commit."""
    if not revision:
        return "(no revision)"
    if revision.get("revisionType") == "GitHub":
        location = revision.get("gitHubLocation") or {}
        return f"github:{location.get('repository')}@{location.get('commitId')}"
    location = revision.get("s3Location") or {}
    details = [location.get("bundleType") or "?"]
    if location.get("version"):
        details.append(f"version {location['version']}")
    if location.get("eTag"):
        details.append(f"etag {_strip_etag(location['eTag'])}")
    return f"s3://{location.get('bucket')}/{location.get('key')} ({', '.join(details)})"


# --- API wrappers --------------------------------------------------------------------------------------------


@CodeDeployErrorHandler.common_error_handler("get application revision")
@codedeploy_retry
def get_application_revision(
    client: RetryingBotoClientWrapper, application_name: str, revision: dict[str, t.Any]
) -> dict[str, t.Any] | None:
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


def read_revision(client: RetryingBotoClientWrapper, application: str, revision: dict[str, t.Any]) -> dict[str, t.Any]:
    """revision (a boto RevisionLocation) as modules return it, with what CodeDeploy knows of it (revision_info, None
    when it is not registered)."""
    registered = get_application_revision(client, application, revision)
    return {
        "revision": revision_from_boto(revision),
        "revision_info": revision_info_from_boto(registered["revisionInfo"]) if registered else None,
    }


@CodeDeployErrorHandler.common_error_handler("register application revision")
@codedeploy_retry
def register_application_revision(
    client: RetryingBotoClientWrapper, application_name: str, revision: dict[str, t.Any], description: str | None
) -> None:
    params: dict[str, t.Any] = {"applicationName": application_name, "revision": revision}
    if description is not None:
        params["description"] = description
    client.register_application_revision(**params)


@CodeDeployErrorHandler.common_error_handler("list application revisions")
@codedeploy_retry
def list_application_revisions(
    client: RetryingBotoClientWrapper, application_name: str, **filters: t.Any
) -> list[dict[str, t.Any]]:
    params = {key: value for key, value in filters.items() if value is not None}
    paginator = client.get_paginator("list_application_revisions")
    return paginator.paginate(applicationName=application_name, **params).build_full_result().get("revisions", [])


@CodeDeployErrorHandler.common_error_handler("get application revisions")
@codedeploy_retry
def _batch_get_application_revisions(
    client: RetryingBotoClientWrapper, application_name: str, revisions: list[dict[str, t.Any]]
) -> list[dict[str, t.Any]]:
    return client.batch_get_application_revisions(applicationName=application_name, revisions=revisions).get(
        "revisions", []
    )


def batch_get_application_revisions(
    client: RetryingBotoClientWrapper, application_name: str, revisions: list[dict[str, t.Any]]
) -> list[dict[str, t.Any]]:
    """Details of many revisions, in the order given (the API takes at most 25 at a time)."""
    found: list[dict[str, t.Any]] = []
    for start in range(0, len(revisions), BATCH_GET_LIMIT):
        found.extend(
            _batch_get_application_revisions(client, application_name, revisions[start : start + BATCH_GET_LIMIT])
        )
    return found


@CodeDeployErrorHandler.common_error_handler("read the S3 object of the revision")
@codedeploy_retry
def head_s3_object(
    client: RetryingBotoClientWrapper,
    bucket: str,
    key: str,
    version: str | None = None,
    expected_bucket_owner: str | None = None,
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


def pin_s3_revision(
    s3: RetryingBotoClientWrapper, revision: dict[str, t.Any], expected_bucket_owner: str | None
) -> dict[str, t.Any] | None:
    """The S3 revision with its object's ETag and version filled in where they are not given (HeadObject), so that
    deployments fetch exactly this object; None when there is no such object."""
    location = revision["s3Location"]
    head = head_s3_object(s3, location["bucket"], location["key"], location.get("version"), expected_bucket_owner)
    if head is None:
        return None
    pinned = pin_s3_location({key: value for key, value in location.items() if key not in ("eTag", "version")}, head)
    pinned.update({key: location[key] for key in ("eTag", "version") if key in location})
    return {**revision, "s3Location": pinned}


def pin_s3_location(s3_location: dict[str, t.Any], head: dict[str, t.Any]) -> dict[str, t.Any]:
    """The S3 location with the object's ETag and version, so a deployment fetches exactly this object."""
    pinned = dict(s3_location)
    pinned["eTag"] = _strip_etag(head.get("ETag"))
    version = head.get("VersionId")
    # Unversioned buckets answer "null"; CodeDeploy then takes the only object there is.
    if version and version != "null":
        pinned["version"] = version
    return {key: value for key, value in pinned.items() if value not in (None, "")}


# The revision option, paired with the rollout.codedeploy.revision doc fragment; deepcopy it at use, or call
# revision_argument_spec().
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


def revision_argument_spec(required: bool = True) -> dict[str, t.Any]:
    """A copy of REVISION_ARG_SPEC; required=False for a module that also takes the revision another way
    (codedeploy_deployment's flat options, or no revision with state=stopped)."""
    spec = deepcopy(REVISION_ARG_SPEC)
    spec["revision"]["required"] = required
    return spec
