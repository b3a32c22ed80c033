"""Application revisions: registered ones, and those deployments used (docs/codedeploy-behavior.md#revisions)."""

from __future__ import annotations

import typing as t
from datetime import UTC
from datetime import datetime

from . import exceptions as exc
from . import validation as v
from .paging import paginate
from .records import Application
from .records import RevisionRecord
from .state import BackendState

SORT_ATTRIBUTES = {
    "registerTime": "register_time",
    "firstUsedTime": "first_used_time",
    "lastUsedTime": "last_used_time",
}


def register(application: Application, location: dict[str, t.Any], description: str | None) -> RevisionRecord:
    """The application's record of the revision at ``location``, made on first sight; a description replaces the
    one it had."""
    key = v.revision_key(location)
    record = application.revisions.get(key)
    if record is None:
        record = RevisionRecord(location=location, description=description)
        application.revisions[key] = record
    elif description is not None:
        record.description = description
    return record


def describe(location: dict[str, t.Any]) -> str:
    if location["revisionType"] == "S3":
        s3 = location["s3Location"]
        return f"s3://{s3['bucket']}/{s3['key']} ({s3['bundleType']})"
    if location["revisionType"] == "GitHub":
        return f"github:{location['gitHubLocation']['repository']}@{location['gitHubLocation']['commitId']}"
    return t.cast(str, location["revisionType"])


def _deployment_groups(application: Application, key: tuple[t.Any, ...]) -> list[str]:
    """The groups whose target revision it is."""
    return sorted(
        group.name
        for group in application.deployment_groups.values()
        if group.target_revision is not None and v.revision_key(group.target_revision) == key
    )


def _find(application: Application, location: t.Any) -> RevisionRecord:
    checked = v.revision(location, application.compute_platform)
    record = application.revisions.get(v.revision_key(checked))
    if record is None and checked["revisionType"] == "S3":
        # A location without version/eTag names the latest registration of that object.
        wanted = checked["s3Location"]
        candidates = [
            r
            for r in application.revisions.values()
            if r.location["revisionType"] == "S3"
            and all(r.location["s3Location"].get(k) == wanted.get(k) for k in wanted)
        ]
        record = max(candidates, key=lambda r: r.register_time, default=None)
    if record is None:
        raise exc.RevisionDoesNotExist(
            f"No application revision found for application {application.name} at {describe(checked)}."
        )
    return record


class Revisions(BackendState):
    def register_application_revision(
        self, application_name: t.Any, revision: t.Any, description: t.Any
    ) -> dict[str, t.Any]:
        application = self.get_app(application_name)
        location = v.revision(revision, application.compute_platform)
        register(application, location, v.description(description))
        return {}

    def get_application_revision(self, application_name: t.Any, revision: t.Any) -> dict[str, t.Any]:
        application = self.get_app(application_name)
        record = _find(application, revision)
        return {
            "applicationName": application.name,
            "revision": record.location,
            "revisionInfo": record.to_info(_deployment_groups(application, record.key)),
        }

    def batch_get_application_revisions(self, application_name: t.Any, revisions: t.Any) -> dict[str, t.Any]:
        application = self.get_app(application_name)
        v.check("revisions", revisions)
        found, missing = [], []
        for location in revisions:
            try:
                record = _find(application, location)
            except exc.RevisionDoesNotExist:
                missing.append(describe(v.revision(location, application.compute_platform)))
                continue
            found.append(
                {
                    "revisionLocation": record.location,
                    "genericRevisionInfo": record.to_info(_deployment_groups(application, record.key)),
                }
            )
        message = f"Revisions not found: {', '.join(missing)}" if missing else ""
        return {"applicationName": application.name, "errorMessage": message, "revisions": found}

    def list_application_revisions(
        self,
        application_name: t.Any,
        sort_by: t.Any,
        sort_order: t.Any,
        s3_bucket: t.Any,
        s3_key_prefix: t.Any,
        deployed: t.Any,
        next_token: t.Any,
    ) -> dict[str, t.Any]:
        application = self.get_app(application_name)
        for field, value in (
            ("sortBy", sort_by),
            ("sortOrder", sort_order),
            ("deployed", deployed),
            ("s3Bucket", s3_bucket),
        ):
            if value is not None:
                v.check(field, value)
        if s3_key_prefix is not None:
            if not s3_bucket:
                raise exc.BucketNameFilterRequired(
                    "A key prefix filter (s3KeyPrefix) needs a bucket name filter (s3Bucket)."
                )
            v.check("s3KeyPrefix", s3_key_prefix)
        records = list(application.revisions.values())  # registration order
        if s3_bucket is not None:
            records = [
                r
                for r in records
                if r.location["revisionType"] == "S3"
                and r.location["s3Location"]["bucket"] == s3_bucket
                and r.location["s3Location"]["key"].startswith(s3_key_prefix or "")
            ]
        if deployed in ("include", "exclude"):
            targets = {
                v.revision_key(g.target_revision)
                for g in application.deployment_groups.values()
                if g.target_revision is not None
            }
            records = [r for r in records if (r.key in targets) == (deployed == "include")]
        if sort_by is not None:
            attribute = SORT_ATTRIBUTES[sort_by]
            never = datetime.min.replace(tzinfo=UTC)
            records.sort(key=lambda r: getattr(r, attribute) or never, reverse=sort_order == "descending")
        elif sort_order == "descending":
            records.reverse()
        page, token = paginate([r.location for r in records], next_token, "ListApplicationRevisions")
        return {"revisions": page, **token}
