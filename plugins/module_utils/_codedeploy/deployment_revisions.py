# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This package is private to rollout.codedeploy: import from module_utils/codedeploy.py instead.

"""The revision a deployment installs: read from module options, compared, and named for people."""

from __future__ import annotations

import typing as t

from .common import AnsibleCodeDeployError

SERVER_BUNDLE_TYPES = ("tar", "tgz", "zip")


def _fail(message: str) -> t.NoReturn:
    raise AnsibleCodeDeployError(message=message)


def _s3_location(location: dict[str, t.Any], field: str) -> dict[str, str]:
    bucket, key = location.get("bucket"), location.get("key")
    bundle_type = location.get("bundle_type") or location.get("bundleType")
    missing = [name for name, value in (("bucket", bucket), ("key", key), ("bundle_type", bundle_type)) if not value]
    if missing:
        _fail(f"{field}: {', '.join(missing)} missing. An S3 revision needs bucket, key and bundle_type.")
    if bundle_type not in SERVER_BUNDLE_TYPES:
        _fail(
            f"{field}.bundle_type: '{bundle_type}' cannot be deployed to EC2/on-premises instances; "
            f"use one of {', '.join(SERVER_BUNDLE_TYPES)}."
        )
    result = {"bucket": bucket, "key": key, "bundleType": bundle_type}
    version = location.get("version")
    e_tag = location.get("e_tag") or location.get("eTag") or location.get("etag")
    if version:
        result["version"] = str(version)
    if e_tag:
        result["eTag"] = str(e_tag)
    return result


def _github_location(location: dict[str, t.Any], field: str) -> dict[str, str]:
    repository = location.get("repository")
    commit_id = location.get("commit_id") or location.get("commitId")
    if not repository or not commit_id:
        _fail(f"{field}: a GitHub revision needs repository (account/repo) and commit_id.")
    if repository.count("/") != 1:
        _fail(f"{field}.repository: '{repository}' must be written as account/repository.")
    return {"repository": repository, "commitId": commit_id}


def revision_from_role_output(revision: dict[str, t.Any]) -> dict[str, t.Any]:
    """The revision role's output (snake_case RevisionLocation) as the API's RevisionLocation.

    Keys the role adds beside the location (description, register time...) are ignored.
    """
    revision_type = revision.get("revision_type") or revision.get("revisionType")
    s3_location = revision.get("s3_location") or revision.get("s3Location")
    github_location = (
        revision.get("git_hub_location") or revision.get("github_location") or revision.get("gitHubLocation")
    )
    if not revision_type:
        revision_type = "S3" if s3_location else "GitHub" if github_location else None
    if revision_type == "S3" and isinstance(s3_location, dict):
        return {"revisionType": "S3", "s3Location": _s3_location(s3_location, "revision.s3_location")}
    if revision_type == "GitHub" and isinstance(github_location, dict):
        return {"revisionType": "GitHub", "gitHubLocation": _github_location(github_location, "revision.git_hub_location")}
    _fail(
        "revision: expected the revision role's output, e.g. {revision_type: S3, s3_location: {bucket, key, "
        "bundle_type, e_tag}} or {revision_type: GitHub, git_hub_location: {repository, commit_id}}; "
        f"got keys {sorted(revision)}."
    )


def revision_from_params(params: dict[str, t.Any]) -> dict[str, t.Any] | None:
    """The RevisionLocation the options describe, or None when none is given."""
    if params.get("revision"):
        return revision_from_role_output(params["revision"])
    if params.get("s3_bucket") or params.get("s3_key"):
        location = {
            "bucket": params.get("s3_bucket"),
            "key": params.get("s3_key"),
            "bundle_type": params.get("s3_bundle_type"),
            "version": params.get("s3_version"),
            "e_tag": params.get("s3_etag"),
        }
        return {"revisionType": "S3", "s3Location": _s3_location(location, "s3_bucket/s3_key/s3_bundle_type")}
    if params.get("github_repository") or params.get("github_commit_id"):
        location = {"repository": params.get("github_repository"), "commit_id": params.get("github_commit_id")}
        return {"revisionType": "GitHub", "gitHubLocation": _github_location(location, "github_repository/github_commit_id")}
    return None


def _strip_quotes(e_tag: str | None) -> str | None:
    # AWS shows eTags both with and without surrounding quotes; the agent strips them before comparing.
    return e_tag.strip('"') if e_tag else e_tag


def same_revision(wanted: dict[str, t.Any] | None, deployed: dict[str, t.Any] | None) -> bool:
    """Whether deployed is the revision wanted.

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
    if want.get("eTag") and _strip_quotes(want.get("eTag")) != _strip_quotes(have.get("eTag")):
        return False
    return True


def describe_revision(revision: dict[str, t.Any] | None) -> str:
    """A revision as a person reads it: s3://bucket/key (zip, etag 1a2b...) or github:account/repo@commit."""
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
        details.append(f"etag {_strip_quotes(location['eTag'])}")
    return f"s3://{location.get('bucket')}/{location.get('key')} ({', '.join(details)})"
