"""Which IAM action an API call needs: one table, with the AWS page each entry comes from.

Most operations are authorized as ``<prefix>:<Operation>`` (``codedeploy:CreateDeployment``, ``ec2:RunInstances``,
``iam:GetRole``): the Service Authorization Reference lists one action per operation for CodeDeploy, EC2, IAM, STS,
Auto Scaling, Elastic Load Balancing, CloudWatch, SNS and SQS
(https://docs.aws.amazon.com/service-authorization/latest/reference/, one page per service).
The exceptions are the IAM prefix of a service whose signing name differs, and S3, whose actions follow the resource
and the subresource rather than the operation (``HeadObject`` is ``s3:GetObject``, ``GetBucketEncryption`` is
``s3:GetEncryptionConfiguration``): ``S3_BUCKET`` and ``S3_OBJECT`` below, from
https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html and each operation's API page
(e.g. https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html: "you must have the s3:GetObject
permission").
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

# The IAM prefix of each service, keyed by the name the lab counts calls under (server.identify_call).
# https://docs.aws.amazon.com/service-authorization/latest/reference/list_elasticloadbalancing.html (ELB and ELBv2)
# https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html ("monitoring" signs)
IAM_PREFIX = {"elb": "elasticloadbalancing", "elbv2": "elasticloadbalancing", "monitoring": "cloudwatch"}

# S3 query parameters that name the operation's subresource, as S3 spells them; the others (prefix, versionId, ...)
# are arguments.
S3_ARGUMENTS = frozenset(
    (
        "list-type",
        "prefix",
        "delimiter",
        "max-keys",
        "continuation-token",
        "start-after",
        "encoding-type",
        "versionId",
        "x-id",
        "fetch-owner",
        "marker",
        "key-marker",
        "version-id-marker",
        "upload-id-marker",
        "max-uploads",
        "max-parts",
        "part-number-marker",
        "partNumber",
        "uploadId",
        "response-content-type",
        "response-content-disposition",
        "response-cache-control",
        "response-expires",
        "response-content-encoding",
        "response-content-language",
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Expires",
        "X-Amz-SignedHeaders",
        "X-Amz-Signature",
        "X-Amz-Security-Token",
        "AWSAccessKeyId",
        "Signature",
        "Expires",
    )
)


@dataclass(frozen=True)
class S3Call:
    """An S3 request as the API reference names it, and the IAM action S3 authorizes it as."""

    operation: str
    action: str
    bucket: str | None
    key: str | None

    @property
    def resource(self) -> str:
        if self.bucket is None:
            return "*"
        return f"arn:aws:s3:::{self.bucket}/{self.key}" if self.key is not None else f"arn:aws:s3:::{self.bucket}"


# (method, subresource) -> (operation, IAM action) on a bucket (no key); subresource "" is the bucket itself.
S3_BUCKET: dict[tuple[str, str], tuple[str, str]] = {
    ("GET", ""): ("ListObjects", "s3:ListBucket"),
    ("GET", "list-type"): ("ListObjectsV2", "s3:ListBucket"),
    ("HEAD", ""): ("HeadBucket", "s3:ListBucket"),  # API_HeadBucket.html: "you must have the s3:ListBucket"
    ("PUT", ""): ("CreateBucket", "s3:CreateBucket"),
    ("DELETE", ""): ("DeleteBucket", "s3:DeleteBucket"),
    ("GET", "versions"): ("ListObjectVersions", "s3:ListBucketVersions"),
    ("GET", "uploads"): ("ListMultipartUploads", "s3:ListBucketMultipartUploads"),
    ("POST", "delete"): ("DeleteObjects", "s3:DeleteObject"),  # API_DeleteObjects.html: per object
    ("GET", "accelerate"): ("GetBucketAccelerateConfiguration", "s3:GetAccelerateConfiguration"),
    ("PUT", "accelerate"): ("PutBucketAccelerateConfiguration", "s3:PutAccelerateConfiguration"),
    ("GET", "acl"): ("GetBucketAcl", "s3:GetBucketAcl"),
    ("PUT", "acl"): ("PutBucketAcl", "s3:PutBucketAcl"),
    ("GET", "cors"): ("GetBucketCors", "s3:GetBucketCORS"),
    ("PUT", "cors"): ("PutBucketCors", "s3:PutBucketCORS"),
    ("DELETE", "cors"): ("DeleteBucketCors", "s3:PutBucketCORS"),
    ("GET", "encryption"): ("GetBucketEncryption", "s3:GetEncryptionConfiguration"),
    ("PUT", "encryption"): ("PutBucketEncryption", "s3:PutEncryptionConfiguration"),
    ("DELETE", "encryption"): ("DeleteBucketEncryption", "s3:PutEncryptionConfiguration"),
    ("GET", "inventory"): ("ListBucketInventoryConfigurations", "s3:GetInventoryConfiguration"),
    ("GET", "analytics"): ("ListBucketAnalyticsConfigurations", "s3:GetAnalyticsConfiguration"),
    ("GET", "metrics"): ("ListBucketMetricsConfigurations", "s3:GetMetricsConfiguration"),
    ("GET", "intelligent-tiering"): (
        "ListBucketIntelligentTieringConfigurations",
        "s3:GetIntelligentTieringConfiguration",
    ),
    ("GET", "lifecycle"): ("GetBucketLifecycleConfiguration", "s3:GetLifecycleConfiguration"),
    ("PUT", "lifecycle"): ("PutBucketLifecycleConfiguration", "s3:PutLifecycleConfiguration"),
    ("DELETE", "lifecycle"): ("DeleteBucketLifecycle", "s3:PutLifecycleConfiguration"),
    ("GET", "location"): ("GetBucketLocation", "s3:GetBucketLocation"),
    ("GET", "logging"): ("GetBucketLogging", "s3:GetBucketLogging"),
    ("PUT", "logging"): ("PutBucketLogging", "s3:PutBucketLogging"),
    ("GET", "notification"): ("GetBucketNotificationConfiguration", "s3:GetBucketNotification"),
    ("PUT", "notification"): ("PutBucketNotificationConfiguration", "s3:PutBucketNotification"),
    ("GET", "object-lock"): ("GetObjectLockConfiguration", "s3:GetBucketObjectLockConfiguration"),
    ("PUT", "object-lock"): ("PutObjectLockConfiguration", "s3:PutBucketObjectLockConfiguration"),
    ("GET", "ownershipControls"): ("GetBucketOwnershipControls", "s3:GetBucketOwnershipControls"),
    ("PUT", "ownershipControls"): ("PutBucketOwnershipControls", "s3:PutBucketOwnershipControls"),
    ("DELETE", "ownershipControls"): ("DeleteBucketOwnershipControls", "s3:PutBucketOwnershipControls"),
    ("GET", "policy"): ("GetBucketPolicy", "s3:GetBucketPolicy"),
    ("PUT", "policy"): ("PutBucketPolicy", "s3:PutBucketPolicy"),
    ("DELETE", "policy"): ("DeleteBucketPolicy", "s3:DeleteBucketPolicy"),
    ("GET", "policyStatus"): ("GetBucketPolicyStatus", "s3:GetBucketPolicyStatus"),
    ("GET", "publicAccessBlock"): ("GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock"),
    ("PUT", "publicAccessBlock"): ("PutPublicAccessBlock", "s3:PutBucketPublicAccessBlock"),
    ("DELETE", "publicAccessBlock"): ("DeletePublicAccessBlock", "s3:PutBucketPublicAccessBlock"),
    ("GET", "replication"): ("GetBucketReplication", "s3:GetReplicationConfiguration"),
    ("PUT", "replication"): ("PutBucketReplication", "s3:PutReplicationConfiguration"),
    ("GET", "requestPayment"): ("GetBucketRequestPayment", "s3:GetBucketRequestPayment"),
    ("PUT", "requestPayment"): ("PutBucketRequestPayment", "s3:PutBucketRequestPayment"),
    ("GET", "tagging"): ("GetBucketTagging", "s3:GetBucketTagging"),
    ("PUT", "tagging"): ("PutBucketTagging", "s3:PutBucketTagging"),
    ("DELETE", "tagging"): ("DeleteBucketTagging", "s3:PutBucketTagging"),
    ("GET", "versioning"): ("GetBucketVersioning", "s3:GetBucketVersioning"),
    ("PUT", "versioning"): ("PutBucketVersioning", "s3:PutBucketVersioning"),
    ("GET", "website"): ("GetBucketWebsite", "s3:GetBucketWebsite"),
    ("PUT", "website"): ("PutBucketWebsite", "s3:PutBucketWebsite"),
    ("DELETE", "website"): ("DeleteBucketWebsite", "s3:DeleteBucketWebsite"),
}

# (method, subresource) -> (operation, IAM action, IAM action with a versionId) on an object.
S3_OBJECT: dict[tuple[str, str], tuple[str, str, str]] = {
    ("GET", ""): ("GetObject", "s3:GetObject", "s3:GetObjectVersion"),
    ("HEAD", ""): ("HeadObject", "s3:GetObject", "s3:GetObjectVersion"),
    ("PUT", ""): ("PutObject", "s3:PutObject", "s3:PutObject"),
    ("DELETE", ""): ("DeleteObject", "s3:DeleteObject", "s3:DeleteObjectVersion"),
    ("POST", "uploads"): ("CreateMultipartUpload", "s3:PutObject", "s3:PutObject"),
    ("PUT", "uploadId"): ("UploadPart", "s3:PutObject", "s3:PutObject"),
    ("POST", "uploadId"): ("CompleteMultipartUpload", "s3:PutObject", "s3:PutObject"),
    ("DELETE", "uploadId"): ("AbortMultipartUpload", "s3:AbortMultipartUpload", "s3:AbortMultipartUpload"),
    ("GET", "uploadId"): ("ListParts", "s3:ListMultipartUploadParts", "s3:ListMultipartUploadParts"),
    ("GET", "acl"): ("GetObjectAcl", "s3:GetObjectAcl", "s3:GetObjectVersionAcl"),
    ("PUT", "acl"): ("PutObjectAcl", "s3:PutObjectAcl", "s3:PutObjectVersionAcl"),
    ("GET", "attributes"): ("GetObjectAttributes", "s3:GetObjectAttributes", "s3:GetObjectVersionAttributes"),
    ("GET", "tagging"): ("GetObjectTagging", "s3:GetObjectTagging", "s3:GetObjectVersionTagging"),
    ("PUT", "tagging"): ("PutObjectTagging", "s3:PutObjectTagging", "s3:PutObjectVersionTagging"),
    ("DELETE", "tagging"): ("DeleteObjectTagging", "s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging"),
    ("GET", "retention"): ("GetObjectRetention", "s3:GetObjectRetention", "s3:GetObjectRetention"),
    ("PUT", "retention"): ("PutObjectRetention", "s3:PutObjectRetention", "s3:PutObjectRetention"),
    ("GET", "legal-hold"): ("GetObjectLegalHold", "s3:GetObjectLegalHold", "s3:GetObjectLegalHold"),
    ("PUT", "legal-hold"): ("PutObjectLegalHold", "s3:PutObjectLegalHold", "s3:PutObjectLegalHold"),
}


def s3_call(method: str, host: str, path: str, query: t.Mapping[str, t.Any], copy_source: bool) -> S3Call:
    """The operation and IAM action of an S3 request (path-style ``/bucket/key`` or ``<bucket>.localhost``)."""
    name = host.rsplit(":", 1)[0]
    virtual_bucket = name[: -len(".localhost")] if name.endswith(".localhost") else None
    parts = path.lstrip("/").split("/", 1) if path.strip("/") else []
    bucket: str | None
    key: str | None
    if virtual_bucket is not None:
        bucket, key = virtual_bucket, (path.lstrip("/") or None)
    else:
        bucket = parts[0] if parts else None
        key = parts[1] if len(parts) > 1 and parts[1] else None
    if bucket is None:
        return S3Call("ListBuckets", "s3:ListAllMyBuckets", None, None)
    subresources = [name for name in query if name not in S3_ARGUMENTS]
    if key is None:
        if "list-type" in query and not subresources:
            subresources = ["list-type"]
        entry = S3_BUCKET.get((method, subresources[0] if subresources else ""))
        if entry is None:  # a bucket subresource the lab's users do not call: named after S3's pattern
            verb = {"GET": "Get", "PUT": "Put", "DELETE": "Delete"}.get(method, method.title())
            sub = subresources[0] if subresources else ""
            entry = (f"{verb}Bucket{sub[:1].upper()}{sub[1:]}", f"s3:{verb}Bucket{sub[:1].upper()}{sub[1:]}")
        return S3Call(entry[0], entry[1], bucket, None)
    if "uploadId" in query and not subresources:
        subresources = ["uploadId"]
    if method == "POST" and "uploads" in query:
        subresources = ["uploads"]
    if method == "PUT" and copy_source:  # CopyObject/UploadPartCopy: s3:PutObject here, s3:GetObject on the source
        return S3Call("UploadPartCopy" if "uploadId" in query else "CopyObject", "s3:PutObject", bucket, key)
    object_entry = S3_OBJECT.get((method, subresources[0] if subresources else ""))
    if object_entry is None:
        return S3Call(f"{method} object ?{'&'.join(subresources)}", f"s3:{method.title()}Object", bucket, key)
    operation, action, versioned_action = object_entry
    return S3Call(operation, versioned_action if "versionId" in query else action, bucket, key)


def iam_action(service: str, operation: str) -> str:
    """``codedeploy:CreateDeployment`` for (codedeploy, CreateDeployment); S3 goes through ``s3_call``."""
    return f"{IAM_PREFIX.get(service, service)}:{operation}"
