"""``IamGuard``: authenticates and authorizes every AWS call of an enforcing lab, as AWS does, before it is served.

Authentication: the SigV4 ``Authorization`` header is verified against the secret of the access key it names, an IAM
user's key or an STS session's (moto's ``create_access_key`` finds either, its ``IAMRequestBase`` computes the
signature), or the lab's internal key pair (``bootstrap``); a SigV4 presigned URL likewise (botocore's query signer),
and its expiry. S3's legacy signatures (SigV2) are refused with a message saying so. Authorization: the IAM action
(``actions``) on each resource (``resources``) must be allowed by the caller's identity policies (``policies``), and so
must ``iam:PassRole`` on every role the call passes.
Refusals carry the error code, status and body shape of the service the call went to.

The guard also keeps what each principal was allowed to do, as IAM actions (``GET /_lab/iam/actions``) and the roles
it passed to which service (``GET /_lab/iam/passed-roles``): the policies in playbooks/README.md are derived from it.
"""

from __future__ import annotations

import datetime as dt
import hmac
import io
import json
import threading
import typing as t
import uuid
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import parse_qs
from urllib.parse import quote
from xml.sax.saxutils import escape

from botocore.auth import S3SigV4Auth
from botocore.auth import S3SigV4QueryAuth
from botocore.auth import SigV4Auth
from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto.core.exceptions import ServiceException
from moto.ec2.models import ec2_backends
from moto.iam.access_control import CreateAccessKeyFailure
from moto.iam.access_control import IAMPolicy
from moto.iam.access_control import IAMRequestBase
from moto.iam.access_control import create_access_key
from moto.iam.models import iam_backends
from werkzeug.datastructures import EnvironHeaders
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from ..lab import Lab
from ..service import protocol
from ..service.exceptions import CodeDeployError
from . import actions
from . import resources
from .bootstrap import INTERNAL_ARN
from .bootstrap import KeyPair
from .bootstrap import internal_credentials
from .policies import Decision
from .policies import decide

ACCOUNT = resources.ACCOUNT
MOTO_ERRORS = (ServiceException, HTTPException)  # moto answers a missing resource with either kind
MAX_SIGNED_BODY = 16 << 20  # non-S3 request bodies are small; S3 signs a hash header instead of its body
INVALID_TOKEN = "The security token included in the request is invalid."
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details."
)
S3_SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your key and signing method."
)
EC2_AUTH_FAILURE = "AWS was not able to validate the provided access credentials"
ONLY_SIGV4 = (
    "the enforcing lab verifies SigV4 signatures only (an Authorization header or a presigned URL); S3's "
    "legacy AWS signatures (SigV2) are refused: sign with botocore's default signer"
)


class Refused(Exception):
    """Why a call is refused: ``kind`` is one of unknown_key, bad_token, bad_signature, access_denied, unsupported."""

    def __init__(self, kind: str, message: str = "") -> None:
        super().__init__(message or kind)
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class Principal:
    arn: str
    kind: str  # "user", "assumed-role" or "internal"
    name: str
    policies: t.Callable[[], list[t.Any]]


class _InternalKey:
    """The internal key pair in the shape moto's signature check expects of an access key."""

    def __init__(self, keys: KeyPair) -> None:
        self.keys = keys
        self.arn = INTERNAL_ARN

    def create_credentials(self) -> Credentials:
        return Credentials(self.keys.access_key_id, self.keys.secret_access_key)


class SignedRequest(IAMRequestBase):
    """moto's signature check on a request whose access key the guard found (moto's constructor would look it up)."""

    def __init__(self, access_key: t.Any, method: str, path: str, body: bytes, headers: t.Any, s3: bool) -> None:
        self._method, self._path, self._body, self._data, self._headers = method, path, body, {}, headers
        self._access_key = access_key
        self._s3 = s3
        scope = self._get_string_between("Credential=", ",", headers["Authorization"]).split("/")
        self._region, self._service = scope[2], scope[3]

    def _create_auth(self, credentials: Credentials) -> SigV4Auth:
        return (S3SigV4Auth if self._s3 else SigV4Auth)(credentials, self._service, self._region)

    def _raise_signature_does_not_match(self) -> None:
        raise Refused("bad_signature")

    def _raise_access_denied(self) -> None:
        raise Refused("access_denied")

    def _raise_invalid_access_key(self, reason: str) -> None:
        raise Refused("bad_token" if reason == "InvalidToken" else "unknown_key")


@dataclass(frozen=True)
class Call:
    """One AWS call as the guard sees it."""

    service: str  # as the lab counts calls (server.identify_call)
    operation: str
    protocol: str  # json, cbor, query, ec2, s3
    region: str


class IamGuard:
    """Authentication and authorization of an enforcing lab (see the module docstring)."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self._used: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self._passed: dict[str, set[resources.PassedRole]] = defaultdict(set)
        self._lock = threading.Lock()

    # -- what principals did -----------------------------------------------------------------------------------------

    def used_actions(self) -> dict[str, dict[str, int]]:
        """``{principal ARN: {IAM action: allowed calls}}`` since the start or the last clear."""
        with self._lock:
            return {arn: dict(counts) for arn, counts in self._used.items()}

    def passed_roles(self) -> dict[str, list[dict[str, str]]]:
        """``{principal ARN: [{"role": ARN, "service": iam:PassedToService}]}``: the roles each principal passed."""
        with self._lock:
            return {
                arn: [
                    {"role": role.role_arn, "service": role.service}
                    for role in sorted(roles, key=lambda r: (r.role_arn, r.service))
                ]
                for arn, roles in self._passed.items()
            }

    def clear(self) -> None:
        with self._lock:
            self._used.clear()
            self._passed.clear()

    # -- the check ---------------------------------------------------------------------------------------------------

    def refusal(self, environ: dict[str, t.Any], service: str, operation: str) -> Response | None:
        """The service's error response if the call may not proceed, else None (the call goes on)."""
        call = Call(service, operation, _protocol(environ, service), _region(environ))
        try:
            principal = self.authenticate(environ, call)
            if principal.kind != "internal":
                self.authorize(environ, call, principal)
        except Refused as refused:
            return error_response(call, refused)
        return None

    def authenticate(self, environ: dict[str, t.Any], call: Call) -> Principal:
        headers = EnvironHeaders(environ)
        authorization = headers.get("Authorization", "")
        presigned = _presigned_parameters(environ)
        if authorization.startswith("AWS4-HMAC-SHA256 "):
            key_id = authorization.partition("Credential=")[2].partition("/")[0]
            token_headers = {name: headers[name] for name in ("X-Amz-Security-Token",) if name in headers}
        elif presigned.get("X-Amz-Algorithm") == "AWS4-HMAC-SHA256" and "X-Amz-Signature" in presigned:
            key_id = presigned.get("X-Amz-Credential", "").partition("/")[0]
            token_headers = {name: presigned[name] for name in ("X-Amz-Security-Token",) if name in presigned}
        else:
            raise Refused("unsupported", ONLY_SIGV4)
        internal = internal_credentials()
        access_key: t.Any
        if key_id == internal.access_key_id:
            access_key = _InternalKey(internal)
        else:
            try:
                access_key = create_access_key(ACCOUNT, "aws", key_id, token_headers)
            except CreateAccessKeyFailure as failure:
                raise Refused("bad_token" if failure.reason == "InvalidToken" else "unknown_key") from None
        s3 = call.protocol == "s3"
        if authorization:
            SignedRequest(
                access_key,
                environ.get("REQUEST_METHOD", "GET"),
                _raw_path(environ),
                b"" if s3 else _body(environ),
                headers,
                s3,
            ).check_signature()
        else:
            _check_presigned(environ, presigned, access_key.create_credentials(), s3)
        if isinstance(access_key, _InternalKey):
            return Principal(INTERNAL_ARN, "internal", "codedeploy-lab-internal", list)
        name = getattr(access_key, "_owner_user_name", None)
        return Principal(
            access_key.arn,
            "user" if name else "assumed-role",
            name or access_key.arn.rsplit("/", 1)[-1],
            access_key.collect_policies,
        )

    def authorize(self, environ: dict[str, t.Any], call: Call, principal: Principal) -> None:
        action, targets, passed = self.describe(environ, call)
        if action == "sts:GetCallerIdentity":  # AWS answers it whatever the policies say
            return
        policies = principal.policies()
        context = {
            "aws:PrincipalArn": principal.arn,
            "aws:RequestedRegion": call.region,
            "aws:SecureTransport": "false",
            "aws:PrincipalAccount": ACCOUNT,
        }
        if principal.kind == "user":
            context["aws:username"] = principal.name
        for resource in targets:
            self._require(policies, principal, action, resource, context)
        for role in passed:
            self._require(
                policies, principal, "iam:PassRole", role.role_arn, {**context, "iam:PassedToService": role.service}
            )
        if action == "sts:AssumeRole":
            _require_trust(principal, targets[0])
        with self._lock:
            self._used[principal.arn][action] += 1
            for role in passed:
                self._used[principal.arn]["iam:PassRole"] += 1
                self._passed[principal.arn].add(role)

    @staticmethod
    def _require(
        policies: list[t.Any], principal: Principal, action: str, resource: str, context: dict[str, str]
    ) -> None:
        decision = decide(policies, action, resource, context)
        if decision is Decision.ALLOWED:
            return
        why = (
            "with an explicit deny in an identity-based policy"
            if decision is Decision.EXPLICIT_DENY
            else f"because no identity-based policy allows the {action} action"
        )
        raise Refused(
            "access_denied",
            f"User: {principal.arn} is not authorized to perform: {action} on resource: {resource} {why}",
        )

    def describe(self, environ: dict[str, t.Any], call: Call) -> tuple[str, list[str], list[resources.PassedRole]]:
        """(IAM action, resources, passed roles) of a call."""
        if call.protocol == "s3":
            query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
            s3 = actions.s3_call(
                environ.get("REQUEST_METHOD", "GET"),
                environ.get("HTTP_HOST", ""),
                environ.get("PATH_INFO", ""),
                query,
                "HTTP_X_AMZ_COPY_SOURCE" in environ,
            )
            return s3.action, [s3.resource], []
        action = actions.iam_action(call.service, call.operation)
        if call.service == "codedeploy":
            params = _codedeploy_params(environ)
            targets = resources.codedeploy_resources(call.operation, params, call.region, self._group_of_deployment)
            return action, targets, resources.codedeploy_passed_roles(call.operation, params)
        form = {name: values[0] for name, values in _form(environ).items()}
        targets = resources.query_resources(call.service, call.operation, form, call.region, _iam_arn)
        return (
            action,
            targets,
            resources.query_passed_roles(call.service, call.operation, form, _profile_roles, _template_profile),
        )

    def _group_of_deployment(self, deployment_id: str) -> tuple[str, str] | None:
        service = self.lab.codedeploy
        if service is None:
            return None
        for backend in service.backends():
            deployment = backend.deployments.get(deployment_id)
            if deployment is not None:
                return deployment.application_name, deployment.deployment_group_name
        return None


def _require_trust(principal: Principal, role_arn: str) -> None:
    """The role's trust policy must name the caller (its ARN, its account or ``*``) for ``sts:AssumeRole``.

    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
    """
    try:
        role = _iam().get_role_by_arn(role_arn)
    except MOTO_ERRORS:
        return  # no such role: STS answers that itself
    trusted = {"*", ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root", principal.arn}
    if principal.kind == "assumed-role":
        trusted.add(f"arn:aws:iam::{ACCOUNT}:role/{principal.arn.split('/')[1]}")
    document = IAMPolicy(role.assume_role_policy_document)._policy_json
    statements = document.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        named = statement.get("Principal") or {}
        names = named.get("AWS", []) if isinstance(named, dict) else [named]
        names = [names] if isinstance(names, str) else names
        if (
            statement.get("Effect") == "Allow"
            and trusted & set(names)
            and decide(
                [
                    json.dumps(
                        {"Statement": [{**{k: v for k, v in statement.items() if k != "Principal"}, "Resource": "*"}]}
                    )
                ],
                "sts:AssumeRole",
                role_arn,
                {},
            )
            is Decision.ALLOWED
        ):
            return
    raise Refused(
        "access_denied", f"User: {principal.arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
    )


# -- reading the request ---------------------------------------------------------------------------------------------


def _protocol(environ: dict[str, t.Any], service: str) -> str:
    if service == "s3":
        return "s3"
    if environ.get("PATH_INFO", "").startswith("/service/"):
        return "cbor"
    if environ.get("HTTP_X_AMZ_TARGET"):
        return "json"
    return "ec2" if service == "ec2" else "query"


def _region(environ: dict[str, t.Any]) -> str:
    credential = environ.get("HTTP_AUTHORIZATION", "").partition("Credential=")[2].partition(",")[0]
    scope = (credential or _presigned_parameters(environ).get("X-Amz-Credential", "")).split("/")
    return scope[2] if len(scope) > 2 else "us-east-1"


def _presigned_parameters(environ: dict[str, t.Any]) -> dict[str, str]:
    """The ``X-Amz-*`` query parameters of a presigned URL (empty for other requests)."""
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    return {name: values[0] for name, values in query.items() if name.startswith("X-Amz-")}


def _check_presigned(environ: dict[str, t.Any], presigned: dict[str, str], credentials: Credentials, s3: bool) -> None:
    """A presigned URL's signature and expiry, as S3 checks them
    (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html)."""
    scope = presigned.get("X-Amz-Credential", "").split("/")
    if len(scope) != 5:
        raise Refused("unsupported", "X-Amz-Credential must be <key>/<date>/<region>/<service>/aws4_request")
    try:
        signed_at = dt.datetime.strptime(presigned["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
        expires = int(presigned["X-Amz-Expires"])
    except (KeyError, ValueError):
        raise Refused("unsupported", "a presigned URL needs X-Amz-Date (YYYYMMDDTHHMMSSZ) and X-Amz-Expires") from None
    # What the client signed: the query without the signature, the signed headers, and no payload hash.
    query = "&".join(
        pair for pair in environ.get("QUERY_STRING", "").split("&") if not pair.startswith("X-Amz-Signature=")
    )
    signed_names = presigned.get("X-Amz-SignedHeaders", "host").split(";")
    headers = {name: value for name, value in EnvironHeaders(environ).items() if name.lower() in signed_names}
    path = _raw_path(environ).partition("?")[0]
    request = AWSRequest(
        method=environ.get("REQUEST_METHOD", "GET"),
        url=f"http://{environ.get('HTTP_HOST', '')}{path}?{query}",
        headers=headers,
        data=b"",
    )
    request.context["timestamp"] = presigned["X-Amz-Date"]
    auth = (S3SigV4QueryAuth if s3 else SigV4QueryAuth)(credentials, scope[3], scope[2], expires=expires)
    expected = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request)
    if not hmac.compare_digest(expected, presigned.get("X-Amz-Signature", "")):
        raise Refused("bad_signature")
    if dt.datetime.now(dt.UTC) > signed_at + dt.timedelta(seconds=expires):
        raise Refused("access_denied", "Request has expired")


def _raw_path(environ: dict[str, t.Any]) -> str:
    """The path and query exactly as the client signed them."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        return str(raw)
    query = environ.get("QUERY_STRING", "")
    return quote(environ.get("PATH_INFO", "")) + (f"?{query}" if query else "")


def _body(environ: dict[str, t.Any]) -> bytes:
    """The request body, read once and put back for the application behind the guard."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(min(length, MAX_SIGNED_BODY)) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return t.cast(bytes, body)


def _form(environ: dict[str, t.Any]) -> dict[str, list[str]]:
    if not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        return parse_qs(environ.get("QUERY_STRING", ""))
    return parse_qs(_body(environ).decode("utf-8", "replace"))


def _codedeploy_params(environ: dict[str, t.Any]) -> dict[str, t.Any]:
    try:
        wire = protocol.decode(environ.get("PATH_INFO", ""), environ.get("HTTP_X_AMZ_TARGET"), _body(environ))
    except (CodeDeployError, ValueError):  # malformed: the service answers with its own error, on "*" for us
        return {}
    return dict(wire.params) if isinstance(wire.params, dict) else {}


def _iam() -> t.Any:
    return iam_backends[ACCOUNT]["aws"]


def _iam_arn(kind: str, name: str) -> str:
    """The ARN of an IAM role/user/instance profile/group by name, with its path when it exists."""
    backend = _iam()
    try:
        if kind == "role":
            return str(backend.get_role(name).arn)
        if kind == "user":
            return str(backend.get_user(name).arn)
        if kind == "instance-profile":
            return str(backend.get_instance_profile(name).arn)
    except MOTO_ERRORS:  # not there (yet): the ARN it would have at path "/"
        return f"arn:aws:iam::{ACCOUNT}:{kind}/{name}"
    return f"arn:aws:iam::{ACCOUNT}:{kind}/{name}"


def _profile_roles(profile: str) -> list[str]:
    """The role ARNs of an instance profile given by name or ARN ([] if there is none: EC2 then refuses it)."""
    backend = _iam()
    name = profile.rsplit("/", 1)[-1]
    try:
        return [str(role.arn) for role in backend.get_instance_profile(name).roles]
    except MOTO_ERRORS:
        return []


def _template_profile(template_id: str | None, template_name: str | None, version: str | None) -> str | None:
    """The instance profile (name or ARN) a launch template version launches with, if any."""
    if not template_id and not template_name:
        return None
    try:
        backend = ec2_backends[ACCOUNT]["us-east-1"]
        template = (
            backend.get_launch_template(template_id)
            if template_id
            else backend.get_launch_template_by_name(template_name or "")
        )
        chosen = (
            template.default_version()
            if version in (None, "", "$Default")
            else template.latest_version()
            if version == "$Latest"
            else template.get_version(version)
        )
        profile = chosen.data.get("IamInstanceProfile") or {}
        return t.cast("str | None", profile.get("Arn") or profile.get("Name"))
    except (*MOTO_ERRORS, KeyError, ValueError):  # no such template or version: EC2 answers that itself
        return None


# -- answering like the service --------------------------------------------------------------------------------------

# (JSON code, query code, EC2 code, S3 code, status of query/S3 answers)
ERRORS: dict[str, tuple[str, str, str, str, int]] = {
    "unknown_key": ("UnrecognizedClientException", "InvalidClientTokenId", "AuthFailure", "InvalidAccessKeyId", 403),
    "bad_token": ("UnrecognizedClientException", "InvalidClientTokenId", "AuthFailure", "InvalidToken", 403),
    "bad_signature": (
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "AuthFailure",
        "SignatureDoesNotMatch",
        403,
    ),
    "access_denied": ("AccessDeniedException", "AccessDenied", "UnauthorizedOperation", "AccessDenied", 403),
    "unsupported": ("AccessDeniedException", "AccessDenied", "AuthFailure", "AccessDenied", 403),
}
DEFAULT_MESSAGES = {"unknown_key": INVALID_TOKEN, "bad_token": INVALID_TOKEN, "bad_signature": SIGNATURE_MISMATCH}
S3_MESSAGES = {
    "unknown_key": "The AWS Access Key Id you provided does not exist in our records.",
    "bad_token": "The provided token is malformed or otherwise invalid.",
    "bad_signature": S3_SIGNATURE_MISMATCH,
}


def error_response(call: Call, refused: Refused) -> Response:
    json_code, query_code, ec2_code, s3_code, status = ERRORS[refused.kind]
    request_id = str(uuid.uuid4())
    if call.protocol in ("json", "cbor"):
        message = refused.message or DEFAULT_MESSAGES.get(refused.kind, "")
        encoded, headers = protocol.encode(call.protocol, {"__type": json_code, "message": message})
        headers.update({"x-amzn-RequestId": request_id, "x-amzn-ErrorType": json_code})
        return Response(encoded, status=400, headers=headers)  # JSON and CBOR services answer 400 to all of these
    if call.protocol == "s3":
        message = refused.message or S3_MESSAGES.get(refused.kind, "")
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{s3_code}</Code>'
            f"<Message>{escape(message)}</Message><RequestId>{request_id}</RequestId></Error>"
        )
        return Response(body, status=status, content_type="application/xml")
    if call.protocol == "ec2":
        message = refused.message or EC2_AUTH_FAILURE
        if refused.kind == "access_denied":
            message = f"You are not authorized to perform this operation. {message}"
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>{ec2_code}</Code>'
            f"<Message>{escape(message)}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
        )
        return Response(body, status=401 if ec2_code == "AuthFailure" else 403, content_type="text/xml")
    code = "AuthorizationError" if call.service == "sns" and refused.kind == "access_denied" else query_code
    message = refused.message or DEFAULT_MESSAGES.get(refused.kind, "")
    body = (
        f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{escape(message)}</Message>"
        f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    )
    return Response(body, status=status, content_type="text/xml")
