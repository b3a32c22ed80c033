"""CodeDeploy requests in, responses out: decode the wire protocol, unpack parameters, call the backend.

Parameters are type-checked against botocore's model first (what AWS's front end rejects as
``SerializationException``) and the members left out get the model's defaults (``api_model.py``); all CodeDeploy
rules live in the resource modules (``models.py`` lists them) and ``validation.py``.
"""

from __future__ import annotations

import logging
import typing as t
import uuid

from werkzeug.wrappers import Request
from werkzeug.wrappers import Response

from . import api_model
from . import exceptions as exc
from . import protocol
from .models import DEFAULT_ACCOUNT_ID
from .models import CodeDeployBackend
from .models import CodeDeployService

LOG = logging.getLogger("codedeploy_lab.codedeploy")
DEFAULT_REGION = "us-east-1"

Operation = t.Callable[[CodeDeployBackend, dict[str, t.Any]], dict[str, t.Any]]

OPERATIONS: dict[str, Operation] = {
    # applications
    "CreateApplication": lambda b, p: b.create_application(
        p.get("applicationName"), p.get("computePlatform"), p.get("tags")
    ),
    "GetApplication": lambda b, p: b.get_application(p.get("applicationName")),
    "BatchGetApplications": lambda b, p: b.batch_get_applications(p.get("applicationNames")),
    "ListApplications": lambda b, p: b.list_applications(p.get("nextToken")),
    "UpdateApplication": lambda b, p: b.update_application(p.get("applicationName"), p.get("newApplicationName")),
    "DeleteApplication": lambda b, p: b.delete_application(p.get("applicationName")),
    # deployment configs
    "CreateDeploymentConfig": lambda b, p: b.create_deployment_config(
        p.get("deploymentConfigName"),
        p.get("minimumHealthyHosts"),
        p.get("trafficRoutingConfig"),
        p.get("computePlatform"),
        p.get("zonalConfig"),
    ),
    "GetDeploymentConfig": lambda b, p: b.get_deployment_config(p.get("deploymentConfigName")),
    "ListDeploymentConfigs": lambda b, p: b.list_deployment_configs(p.get("nextToken")),
    "DeleteDeploymentConfig": lambda b, p: b.delete_deployment_config(p.get("deploymentConfigName")),
    # deployment groups
    "CreateDeploymentGroup": lambda b, p: b.create_deployment_group(p),
    "UpdateDeploymentGroup": lambda b, p: b.update_deployment_group(p),
    "GetDeploymentGroup": lambda b, p: b.get_deployment_group(p.get("applicationName"), p.get("deploymentGroupName")),
    "BatchGetDeploymentGroups": lambda b, p: b.batch_get_deployment_groups(
        p.get("applicationName"), p.get("deploymentGroupNames")
    ),
    "ListDeploymentGroups": lambda b, p: b.list_deployment_groups(p.get("applicationName"), p.get("nextToken")),
    "DeleteDeploymentGroup": lambda b, p: b.delete_deployment_group(
        p.get("applicationName"), p.get("deploymentGroupName")
    ),
    # revisions
    "RegisterApplicationRevision": lambda b, p: b.register_application_revision(
        p.get("applicationName"), p.get("revision"), p.get("description")
    ),
    "GetApplicationRevision": lambda b, p: b.get_application_revision(p.get("applicationName"), p.get("revision")),
    "BatchGetApplicationRevisions": lambda b, p: b.batch_get_application_revisions(
        p.get("applicationName"), p.get("revisions")
    ),
    "ListApplicationRevisions": lambda b, p: b.list_application_revisions(
        p.get("applicationName"),
        p.get("sortBy"),
        p.get("sortOrder"),
        p.get("s3Bucket"),
        p.get("s3KeyPrefix"),
        p.get("deployed"),
        p.get("nextToken"),
    ),
    # deployments
    "CreateDeployment": lambda b, p: b.create_deployment(p),
    "GetDeployment": lambda b, p: b.get_deployment_info(p.get("deploymentId")),
    "BatchGetDeployments": lambda b, p: b.batch_get_deployments(p.get("deploymentIds")),
    "ListDeployments": lambda b, p: b.list_deployments(
        p.get("applicationName"),
        p.get("deploymentGroupName"),
        p.get("externalId"),
        p.get("includeOnlyStatuses"),
        p.get("createTimeRange"),
        p.get("nextToken"),
    ),
    "StopDeployment": lambda b, p: b.stop_deployment(p.get("deploymentId"), p.get("autoRollbackEnabled")),
    "ContinueDeployment": lambda b, p: b.continue_deployment(p.get("deploymentId"), p.get("deploymentWaitType")),
    "SkipWaitTimeForInstanceTermination": lambda b, p: b.skip_wait_time_for_instance_termination(p.get("deploymentId")),
    "ListDeploymentTargets": lambda b, p: b.list_deployment_targets(
        p.get("deploymentId"), p.get("targetFilters"), p.get("nextToken")
    ),
    "BatchGetDeploymentTargets": lambda b, p: b.batch_get_deployment_targets(p.get("deploymentId"), p.get("targetIds")),
    "GetDeploymentTarget": lambda b, p: b.get_deployment_target(p.get("deploymentId"), p.get("targetId")),
    "ListDeploymentInstances": lambda b, p: b.list_deployment_instances(
        p.get("deploymentId"), p.get("instanceStatusFilter"), p.get("instanceTypeFilter"), p.get("nextToken")
    ),
    "BatchGetDeploymentInstances": lambda b, p: b.batch_get_deployment_instances(
        p.get("deploymentId"), p.get("instanceIds")
    ),
    "GetDeploymentInstance": lambda b, p: b.get_deployment_instance(p.get("deploymentId"), p.get("instanceId")),
    # tags
    "TagResource": lambda b, p: b.tag_resource(p.get("ResourceArn"), p.get("Tags")),
    "UntagResource": lambda b, p: b.untag_resource(p.get("ResourceArn"), p.get("TagKeys")),
    "ListTagsForResource": lambda b, p: b.list_tags_for_resource(p.get("ResourceArn"), p.get("NextToken")),
    # GitHub connections and external ids (no GitHub in the lab)
    "ListGitHubAccountTokenNames": lambda b, p: b.list_github_account_token_names(p.get("nextToken")),
    "DeleteGitHubAccountToken": lambda b, p: b.delete_github_account_token(p.get("tokenName")),
    "DeleteResourcesByExternalId": lambda b, p: b.delete_resources_by_external_id(p.get("externalId")),
}

OPERATIONS.update(
    {
        # on-premises instances (registered in the control plane; the lab's hosts are EC2 instances)
        "RegisterOnPremisesInstance": lambda b, p: b.register_on_premises_instance(
            p.get("instanceName"), p.get("iamSessionArn"), p.get("iamUserArn")
        ),
        "DeregisterOnPremisesInstance": lambda b, p: b.deregister_on_premises_instance(p.get("instanceName")),
        "GetOnPremisesInstance": lambda b, p: b.get_on_premises_instance(p.get("instanceName")),
        "BatchGetOnPremisesInstances": lambda b, p: b.batch_get_on_premises_instances(p.get("instanceNames")),
        "ListOnPremisesInstances": lambda b, p: b.list_on_premises_instances(
            p.get("registrationStatus"), p.get("tagFilters"), p.get("nextToken")
        ),
        "AddTagsToOnPremisesInstances": lambda b, p: b.add_tags_to_on_premises_instances(
            p.get("tags"), p.get("instanceNames")
        ),
        "RemoveTagsFromOnPremisesInstances": lambda b, p: b.remove_tags_from_on_premises_instances(
            p.get("tags"), p.get("instanceNames")
        ),
    }
)

# Operations of the model the lab does not implement, with the reason given to the caller.
NOT_IMPLEMENTED: dict[str, str] = {
    "PutLifecycleEventHookExecutionStatus": "Lambda and ECS deployments only; the lab runs the Server compute platform",
}


def _region(request: Request) -> str:
    auth = request.headers.get("Authorization", "")
    try:
        return auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")[2]
    except IndexError:
        return DEFAULT_REGION


class CodeDeployResponder:
    """The WSGI application of our CodeDeploy service."""

    def __init__(self, service: CodeDeployService) -> None:
        self.service = service

    def handle(self, request: Request) -> tuple[int, dict[str, t.Any], str]:
        """(status, body, protocol) for one request."""
        wire_protocol = "cbor" if request.path.startswith(protocol.CBOR_PATH_PREFIX) else "json"
        try:
            wire = protocol.decode(request.path, request.headers.get("X-Amz-Target"), request.get_data())
            wire_protocol = wire.protocol
            if wire.operation in NOT_IMPLEMENTED:
                raise exc.OperationNotSupported(
                    f"{wire.operation} is not supported by the CodeDeploy lab: {NOT_IMPLEMENTED[wire.operation]}."
                )
            handler = OPERATIONS.get(wire.operation)
            if handler is None:
                raise exc.UnknownOperation(f"Unknown operation {wire.operation}.")
            params = api_model.request(wire.operation, wire.params)
            with self.service.lock:
                backend = self.service.backend(DEFAULT_ACCOUNT_ID, _region(request))
                return 200, handler(backend, params), wire_protocol
        except exc.CodeDeployError as error:
            return error.status, error.to_dict(), wire_protocol
        except Exception as error:  # a bug in the lab: report it like AWS's InternalFailure and log it
            LOG.exception("CodeDeploy request failed")
            return 500, exc.InternalFailure(f"{type(error).__name__}: {error}").to_dict(), wire_protocol

    def __call__(self, environ: dict[str, t.Any], start_response: t.Callable) -> t.Iterable[bytes]:
        request = Request(environ)
        status, payload, wire_protocol = self.handle(request)
        body, headers = protocol.encode(wire_protocol, payload)
        headers["x-amzn-RequestId"] = str(uuid.uuid4())
        return Response(body, status=status, headers=headers)(environ, start_response)
