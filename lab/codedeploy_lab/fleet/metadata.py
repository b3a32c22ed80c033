"""Instance metadata (IMDSv1 and IMDSv2) for one lab host.

A host reaches it as an EC2 instance does, at ``http://169.254.169.254/`` (an address of the host's own ``lo``),
and at ``/latest/...`` of the lab's endpoint port; the host's gateway (``gateway.py``) answers both from this
host's ``MetadataService`` and nobody else's. The host's environment points ``AWS_EC2_METADATA_SERVICE_ENDPOINT`` at
``http://169.254.169.254/``.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import threading
import time
import typing as t
from dataclasses import dataclass
from dataclasses import field

from moto.core.exceptions import ServiceException
from moto.iam.models import iam_backends
from moto.sts.models import sts_backends
from werkzeug.exceptions import HTTPException

TOKEN_TTL_HEADER = "x-aws-ec2-metadata-token-ttl-seconds"
TOKEN_HEADER = "x-aws-ec2-metadata-token"
DEFAULT_ROLE = "codedeploy-lab-host"
METADATA_URL = "http://169.254.169.254"


@dataclass
class InstanceIdentity:
    """What a host knows about itself (copied from moto's instance when it launched)."""

    instance_id: str
    region: str
    availability_zone: str
    account_id: str = "123456789012"
    image_id: str = "ami-12345678"
    instance_type: str = "t3.micro"
    private_ip: str = "10.0.0.10"
    public_ip: str | None = None
    hostname: str = ""
    launch_time: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    instance_profile_arn: str | None = None
    http_tokens: str = "optional"
    user_data: bytes | None = None
    tags: dict[str, str] = field(default_factory=dict)
    # The instance profile is associated after RunInstances returns, so it is looked up when asked for.
    profile_lookup: t.Callable[[], str | None] | None = field(default=None, repr=False)

    @property
    def profile_arn(self) -> str | None:
        if self.instance_profile_arn:
            return self.instance_profile_arn
        return self.profile_lookup() if self.profile_lookup else None

    @property
    def local_hostname(self) -> str:
        return self.hostname or f"ip-{self.private_ip.replace('.', '-')}.{self.region}.compute.internal"

    @property
    def role_name(self) -> str:
        # IMDS lists the profile's role; the lab hands out lab credentials under the profile's name (or a fixed one).
        arn = self.profile_arn
        if arn:
            return arn.rsplit("/", 1)[-1]
        return DEFAULT_ROLE

    def identity_document(self) -> dict[str, t.Any]:
        return {
            "accountId": self.account_id,
            "architecture": "x86_64",
            "availabilityZone": self.availability_zone,
            "billingProducts": None,
            "devpayProductCodes": None,
            "marketplaceProductCodes": None,
            "imageId": self.image_id,
            "instanceId": self.instance_id,
            "instanceType": self.instance_type,
            "kernelId": None,
            "pendingTime": self.launch_time,
            "privateIp": self.private_ip,
            "ramdiskId": None,
            "region": self.region,
            "version": "2017-09-30",
        }


class MetadataService:
    """Answers IMDS paths (relative to ``/latest/`` and friends) for one host."""

    def __init__(self, identity: InstanceIdentity) -> None:
        self.identity = identity
        self._tokens: dict[str, float] = {}
        self._lock = threading.Lock()
        self._session: tuple[str, str, str, dt.datetime] | None = None  # the role's, while it lasts

    def _meta_data(self) -> dict[str, str]:
        ident = self.identity
        host = ident.local_hostname
        key_id, secret, token, expiration = self._role_session()
        credentials = json.dumps(
            {
                "Code": "Success",
                "LastUpdated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "Type": "AWS-HMAC",
                "AccessKeyId": key_id,
                "SecretAccessKey": secret,
                "Token": token,
                "Expiration": expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
            indent=2,
        )
        values = {
            "ami-id": ident.image_id,
            "ami-launch-index": "0",
            "hostname": host,
            "local-hostname": host,
            "instance-id": ident.instance_id,
            "instance-type": ident.instance_type,
            "local-ipv4": ident.private_ip,
            "placement/availability-zone": ident.availability_zone,
            "placement/region": ident.region,
            f"iam/security-credentials/{ident.role_name}": credentials,
            "iam/info": json.dumps(
                {
                    "Code": "Success",
                    "InstanceProfileArn": ident.profile_arn
                    or f"arn:aws:iam::{ident.account_id}:instance-profile/{ident.role_name}",
                    "InstanceProfileId": "AIPALABHOSTPROFILE",
                },
                indent=2,
            ),
            "services/domain": "amazonaws.com",
            "services/partition": "aws",
        }
        if ident.public_ip:
            values["public-ipv4"] = ident.public_ip
        return values

    def _role_session(self) -> tuple[str, str, str, dt.datetime]:
        """(key, secret, token, expiration) of an STS session of the instance profile's role, as EC2 hands out.

        The session is moto's (``AssumeRole``), so an enforcing lab authorizes the host's calls with the role's
        policies. Without a profile (or a role in it) the host gets placeholder credentials every call with them
        fails under ``--enforce-iam``, as a real instance without a profile has none.
        """
        now = dt.datetime.now(dt.UTC)
        with self._lock:
            session = self._session
            if session is not None and session[3] - now > dt.timedelta(minutes=15):
                return session
            session = _assume_profile_role(self.identity)
            if session is None:  # not kept: the profile is associated after RunInstances returns
                return (
                    "ASIALABHOSTCREDENTIALS",
                    "codedeploy-lab-host-secret",
                    "codedeploy-lab-host-token",
                    now + dt.timedelta(hours=6),
                )
            self._session = session
            return session

    def handle(self, method: str, path: str, headers: t.Mapping[str, str]) -> tuple[int, dict[str, str], bytes]:
        """(status, headers, body) for an IMDS request; ``path`` starts at ``latest/...``."""
        lowered = {k.lower(): v for k, v in headers.items()}
        path = path.strip("/")
        if path in ("latest/api/token",):
            if method != "PUT":
                return 405, {}, b""
            try:
                ttl = int(lowered.get(TOKEN_TTL_HEADER, ""))
            except ValueError:
                return 400, {}, b""
            if not 1 <= ttl <= 21600:
                return 400, {}, b""
            token = secrets.token_urlsafe(32)
            with self._lock:
                self._tokens[token] = time.monotonic() + ttl
            return 200, {TOKEN_TTL_HEADER: str(ttl)}, token.encode()
        if method not in ("GET", "HEAD"):
            return 405, {}, b""
        presented = lowered.get(TOKEN_HEADER)
        if presented is not None or self.identity.http_tokens == "required":
            with self._lock:
                expiry = self._tokens.get(presented or "")
            if expiry is None or expiry < time.monotonic():
                return 401, {}, b""
        return self._lookup(path)

    def _lookup(self, path: str) -> tuple[int, dict[str, str], bytes]:
        text = {"Content-Type": "text/plain"}
        if path in ("latest", "latest/"):
            return 200, text, b"dynamic\nmeta-data\nuser-data"
        if path == "latest/user-data":
            data = self.identity.user_data
            return (200, {"Content-Type": "application/octet-stream"}, data) if data else (404, text, b"")
        if path == "latest/dynamic/instance-identity/document":
            return 200, text, json.dumps(self.identity.identity_document(), indent=2).encode()
        if path in ("latest/dynamic", "latest/dynamic/instance-identity"):
            return 200, text, b"instance-identity/" if path == "latest/dynamic" else b"document"
        prefix = "latest/meta-data"
        if path == prefix or path.startswith(prefix + "/"):
            key = path[len(prefix) :].strip("/")
            values = self._meta_data()
            if key in values:
                return 200, text, values[key].encode()
            children = sorted(
                {
                    k[len(key) :].lstrip("/").split("/")[0] + ("/" if "/" in k[len(key) :].lstrip("/") else "")
                    for k in values
                    if not key or k.startswith(key + "/")
                }
            )
            if children:
                return 200, text, "\n".join(children).encode()
        return 404, text, b""


def _assume_profile_role(identity: InstanceIdentity) -> tuple[str, str, str, dt.datetime] | None:
    arn = identity.profile_arn
    if not arn:
        return None
    try:
        profile = iam_backends[identity.account_id]["aws"].get_instance_profile(arn.rsplit("/", 1)[-1])
        role_arn = profile.roles[0].arn
    except (ServiceException, HTTPException, IndexError):  # the profile or its role is gone: no credentials, as on EC2
        return None
    session = sts_backends[identity.account_id]["aws"].assume_role(
        region_name=identity.region,
        role_session_name=identity.instance_id,
        role_arn=role_arn,
        policy="",
        duration=6 * 3600,
        external_id="",
    )
    return (
        session.access_key_id,
        session.secret_access_key,
        session.session_token,
        session.expiration.replace(tzinfo=dt.UTC),
    )
