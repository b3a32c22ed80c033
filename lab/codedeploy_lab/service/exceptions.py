"""One exception class per CodeDeploy error code (the 114 exception shapes of botocore 1.44.8's model).

The default message of each class is the model's description of when AWS raises it; the service passes a
message shaped like AWS's own wherever one is known (see the fidelity table in lab/README.md).
"""

from __future__ import annotations


class CodeDeployError(Exception):
    """An error the CodeDeploy API returns: HTTP 400 with ``{"__type": code, "message": message}``."""

    code = "InvalidInputException"
    default_message = "The input was specified in an invalid format."
    status = 400

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)

    def to_dict(self) -> dict[str, str]:
        return {"__type": self.code, "message": self.message}


class AlarmsLimitExceeded(CodeDeployError):
    code = "AlarmsLimitExceededException"
    default_message = "The maximum number of alarms for a deployment group (10) was exceeded."


class ApplicationAlreadyExists(CodeDeployError):
    code = "ApplicationAlreadyExistsException"
    default_message = (
        "An application with the specified name with the user or Amazon Web Services account already exists."
    )


class ApplicationDoesNotExist(CodeDeployError):
    code = "ApplicationDoesNotExistException"
    default_message = "The application does not exist with the user or Amazon Web Services account."


class ApplicationLimitExceeded(CodeDeployError):
    code = "ApplicationLimitExceededException"
    default_message = "More applications were attempted to be created than are allowed."


class ApplicationNameRequired(CodeDeployError):
    code = "ApplicationNameRequiredException"
    default_message = "The minimum number of required application names was not specified."


class ArnNotSupported(CodeDeployError):
    code = "ArnNotSupportedException"
    default_message = (
        "The specified ARN is not supported. For example, it might be an ARN for a resource that is not expected."
    )


class BatchLimitExceeded(CodeDeployError):
    code = "BatchLimitExceededException"
    default_message = "The maximum number of names or IDs allowed for this request (100) was exceeded."


class BucketNameFilterRequired(CodeDeployError):
    code = "BucketNameFilterRequiredException"
    default_message = "A bucket name is required, but was not provided."


class DeploymentAlreadyCompleted(CodeDeployError):
    code = "DeploymentAlreadyCompletedException"
    default_message = "The deployment is already complete."


class DeploymentAlreadyStarted(CodeDeployError):
    code = "DeploymentAlreadyStartedException"
    default_message = "A deployment to a target was attempted while another deployment was in progress."


class DeploymentConfigAlreadyExists(CodeDeployError):
    code = "DeploymentConfigAlreadyExistsException"
    default_message = (
        "A deployment configuration with the specified name with the user or Amazon Web Services account already "
        "exists."
    )


class DeploymentConfigDoesNotExist(CodeDeployError):
    code = "DeploymentConfigDoesNotExistException"
    default_message = "The deployment configuration does not exist with the user or Amazon Web Services account."


class DeploymentConfigInUse(CodeDeployError):
    code = "DeploymentConfigInUseException"
    default_message = "The deployment configuration is still in use."


class DeploymentConfigLimitExceeded(CodeDeployError):
    code = "DeploymentConfigLimitExceededException"
    default_message = "The deployment configurations limit was exceeded."


class DeploymentConfigNameRequired(CodeDeployError):
    code = "DeploymentConfigNameRequiredException"
    default_message = "The deployment configuration name was not specified."


class DeploymentDoesNotExist(CodeDeployError):
    code = "DeploymentDoesNotExistException"
    default_message = "The deployment with the user or Amazon Web Services account does not exist."


class DeploymentGroupAlreadyExists(CodeDeployError):
    code = "DeploymentGroupAlreadyExistsException"
    default_message = (
        "A deployment group with the specified name with the user or Amazon Web Services account already exists."
    )


class DeploymentGroupDoesNotExist(CodeDeployError):
    code = "DeploymentGroupDoesNotExistException"
    default_message = "The named deployment group with the user or Amazon Web Services account does not exist."


class DeploymentGroupLimitExceeded(CodeDeployError):
    code = "DeploymentGroupLimitExceededException"
    default_message = "The deployment groups limit was exceeded."


class DeploymentGroupNameRequired(CodeDeployError):
    code = "DeploymentGroupNameRequiredException"
    default_message = "The deployment group name was not specified."


class DeploymentIdRequired(CodeDeployError):
    code = "DeploymentIdRequiredException"
    default_message = "At least one deployment ID must be specified."


class DeploymentIsNotInReadyState(CodeDeployError):
    code = "DeploymentIsNotInReadyStateException"
    default_message = "The deployment does not have a status of Ready and can't continue yet."


class DeploymentLimitExceeded(CodeDeployError):
    code = "DeploymentLimitExceededException"
    default_message = "The number of allowed deployments was exceeded."


class DeploymentNotStarted(CodeDeployError):
    code = "DeploymentNotStartedException"
    default_message = "The specified deployment has not started."


class DeploymentTargetDoesNotExist(CodeDeployError):
    code = "DeploymentTargetDoesNotExistException"
    default_message = "The provided target ID does not belong to the attempted deployment."


class DeploymentTargetIdRequired(CodeDeployError):
    code = "DeploymentTargetIdRequiredException"
    default_message = "A deployment target ID was not provided."


class DeploymentTargetListSizeExceeded(CodeDeployError):
    code = "DeploymentTargetListSizeExceededException"
    default_message = (
        "The maximum number of targets that can be associated with an Amazon ECS or Lambda deployment was exceeded. The"
        " target list of both types of deployments must have exactly one item. This exception does not apply to "
        "EC2/On-premises deployments."
    )


class DescriptionTooLong(CodeDeployError):
    code = "DescriptionTooLongException"
    default_message = "The description is too long."


class ECSServiceMappingLimitExceeded(CodeDeployError):
    code = "ECSServiceMappingLimitExceededException"
    default_message = (
        "The Amazon ECS service is associated with more than one deployment groups. An Amazon ECS service can be "
        "associated with only one deployment group."
    )


class GitHubAccountTokenDoesNotExist(CodeDeployError):
    code = "GitHubAccountTokenDoesNotExistException"
    default_message = "No GitHub account connection exists with the named specified in the call."


class GitHubAccountTokenNameRequired(CodeDeployError):
    code = "GitHubAccountTokenNameRequiredException"
    default_message = "The call is missing a required GitHub account connection name."


class IamArnRequired(CodeDeployError):
    code = "IamArnRequiredException"
    default_message = (
        "No IAM ARN was included in the request. You must use an IAM session ARN or user ARN in the request."
    )


class IamSessionArnAlreadyRegistered(CodeDeployError):
    code = "IamSessionArnAlreadyRegisteredException"
    default_message = (
        "The request included an IAM session ARN that has already been used to register a different instance."
    )


class IamUserArnAlreadyRegistered(CodeDeployError):
    code = "IamUserArnAlreadyRegisteredException"
    default_message = "The specified user ARN is already registered with an on-premises instance."


class IamUserArnRequired(CodeDeployError):
    code = "IamUserArnRequiredException"
    default_message = "An user ARN was not specified."


class InstanceDoesNotExist(CodeDeployError):
    code = "InstanceDoesNotExistException"
    default_message = "The specified instance does not exist in the deployment group."


class InstanceIdRequired(CodeDeployError):
    code = "InstanceIdRequiredException"
    default_message = "The instance ID was not specified."


class InstanceLimitExceeded(CodeDeployError):
    code = "InstanceLimitExceededException"
    default_message = "The maximum number of allowed on-premises instances in a single call was exceeded."


class InstanceNameAlreadyRegistered(CodeDeployError):
    code = "InstanceNameAlreadyRegisteredException"
    default_message = "The specified on-premises instance name is already registered."


class InstanceNameRequired(CodeDeployError):
    code = "InstanceNameRequiredException"
    default_message = "An on-premises instance name was not specified."


class InstanceNotRegistered(CodeDeployError):
    code = "InstanceNotRegisteredException"
    default_message = "The specified on-premises instance is not registered."


class InvalidAlarmConfig(CodeDeployError):
    code = "InvalidAlarmConfigException"
    default_message = (
        "The format of the alarm configuration is invalid. Possible causes include: The alarm list is null. The alarm "
        "object is null. The alarm name is empty or null or exceeds the limit of 255 characters. Two alarms with the "
        "same name have been specified. The alarm configuration is enabled, but the alarm list is empty."
    )


class InvalidApplicationName(CodeDeployError):
    code = "InvalidApplicationNameException"
    default_message = "The application name was specified in an invalid format."


class InvalidArn(CodeDeployError):
    code = "InvalidArnException"
    default_message = "The specified ARN is not in a valid format."


class InvalidAutoRollbackConfig(CodeDeployError):
    code = "InvalidAutoRollbackConfigException"
    default_message = (
        "The automatic rollback configuration was specified in an invalid format. For example, automatic rollback is "
        "enabled, but an invalid triggering event type or no event types were listed."
    )


class InvalidAutoScalingGroup(CodeDeployError):
    code = "InvalidAutoScalingGroupException"
    default_message = "The Auto Scaling group was specified in an invalid format or does not exist."


class InvalidAutoScalingGroupProcessToSuspend(CodeDeployError):
    code = "InvalidAutoScalingGroupProcessToSuspendException"
    default_message = (
        "The autoScalingGroupProcessesToSuspend list in ec2DeploymentOptions contains a process that is not valid. "
        "Valid values are Terminate, AZRebalance, InstanceRefresh, and ScheduledActions. Process names are case "
        "sensitive."
    )


class InvalidBlueGreenDeploymentConfiguration(CodeDeployError):
    code = "InvalidBlueGreenDeploymentConfigurationException"
    default_message = (
        "The configuration for the blue/green deployment group was provided in an invalid format. For information about"
        " deployment configuration format, see CreateDeploymentConfig."
    )


class InvalidBucketNameFilter(CodeDeployError):
    code = "InvalidBucketNameFilterException"
    default_message = "The bucket name either doesn't exist or was specified in an invalid format."


class InvalidComputePlatform(CodeDeployError):
    code = "InvalidComputePlatformException"
    default_message = "The computePlatform is invalid. The computePlatform should be Lambda, Server, or ECS."


class InvalidDeployedStateFilter(CodeDeployError):
    code = "InvalidDeployedStateFilterException"
    default_message = "The deployed state filter was specified in an invalid format."


class InvalidDeploymentConfigName(CodeDeployError):
    code = "InvalidDeploymentConfigNameException"
    default_message = "The deployment configuration name was specified in an invalid format."


class InvalidDeploymentGroupName(CodeDeployError):
    code = "InvalidDeploymentGroupNameException"
    default_message = "The deployment group name was specified in an invalid format."


class InvalidDeploymentId(CodeDeployError):
    code = "InvalidDeploymentIdException"
    default_message = "At least one of the deployment IDs was specified in an invalid format."


class InvalidDeploymentInstanceType(CodeDeployError):
    code = "InvalidDeploymentInstanceTypeException"
    default_message = (
        "An instance type was specified for an in-place deployment. Instance types are supported for blue/green "
        "deployments only."
    )


class InvalidDeploymentStatus(CodeDeployError):
    code = "InvalidDeploymentStatusException"
    default_message = "The specified deployment status doesn't exist or cannot be determined."


class InvalidDeploymentStyle(CodeDeployError):
    code = "InvalidDeploymentStyleException"
    default_message = (
        "An invalid deployment style was specified. Valid deployment types include 'IN_PLACE' and 'BLUE_GREEN.' Valid "
        "deployment options include 'WITH_TRAFFIC_CONTROL' and 'WITHOUT_TRAFFIC_CONTROL.'"
    )


class InvalidDeploymentTargetId(CodeDeployError):
    code = "InvalidDeploymentTargetIdException"
    default_message = "The target ID provided was not valid."


class InvalidDeploymentWaitType(CodeDeployError):
    code = "InvalidDeploymentWaitTypeException"
    default_message = "The wait type is invalid."


class InvalidEC2TagCombination(CodeDeployError):
    code = "InvalidEC2TagCombinationException"
    default_message = (
        "A call was submitted that specified both Ec2TagFilters and Ec2TagSet, but only one of these data types can be "
        "used in a single call."
    )


class InvalidEC2Tag(CodeDeployError):
    code = "InvalidEC2TagException"
    default_message = "The tag was specified in an invalid format."


class InvalidECSService(CodeDeployError):
    code = "InvalidECSServiceException"
    default_message = "The Amazon ECS service identifier is not valid."


class InvalidExternalId(CodeDeployError):
    code = "InvalidExternalIdException"
    default_message = "The external ID was specified in an invalid format."


class InvalidFileExistsBehavior(CodeDeployError):
    code = "InvalidFileExistsBehaviorException"
    default_message = (
        "An invalid fileExistsBehavior option was specified to determine how CodeDeploy handles files or directories "
        "that already exist in a deployment target location, but weren't part of the previous successful deployment. "
        "Valid values include 'DISALLOW,' 'OVERWRITE,' and 'RETAIN.'"
    )


class InvalidGitHubAccountToken(CodeDeployError):
    code = "InvalidGitHubAccountTokenException"
    default_message = "The GitHub token is not valid."


class InvalidGitHubAccountTokenName(CodeDeployError):
    code = "InvalidGitHubAccountTokenNameException"
    default_message = "The format of the specified GitHub account connection name is invalid."


class InvalidIamSessionArn(CodeDeployError):
    code = "InvalidIamSessionArnException"
    default_message = "The IAM session ARN was specified in an invalid format."


class InvalidIamUserArn(CodeDeployError):
    code = "InvalidIamUserArnException"
    default_message = "The user ARN was specified in an invalid format."


class InvalidIgnoreApplicationStopFailuresValue(CodeDeployError):
    code = "InvalidIgnoreApplicationStopFailuresValueException"
    default_message = (
        "The IgnoreApplicationStopFailures value is invalid. For Lambda deployments, false is expected. For "
        "EC2/On-premises deployments, true or false is expected."
    )


class InvalidInput(CodeDeployError):
    code = "InvalidInputException"
    default_message = "The input was specified in an invalid format."


class InvalidInstanceId(CodeDeployError):
    code = "InvalidInstanceIdException"
    default_message = ""


class InvalidInstanceName(CodeDeployError):
    code = "InvalidInstanceNameException"
    default_message = "The on-premises instance name was specified in an invalid format."


class InvalidInstanceStatus(CodeDeployError):
    code = "InvalidInstanceStatusException"
    default_message = "The specified instance status does not exist."


class InvalidInstanceType(CodeDeployError):
    code = "InvalidInstanceTypeException"
    default_message = (
        "An invalid instance type was specified for instances in a blue/green deployment. Valid values include 'Blue' "
        "for an original environment and 'Green' for a replacement environment."
    )


class InvalidKeyPrefixFilter(CodeDeployError):
    code = "InvalidKeyPrefixFilterException"
    default_message = "The specified key prefix filter was specified in an invalid format."


class InvalidLifecycleEventHookExecutionId(CodeDeployError):
    code = "InvalidLifecycleEventHookExecutionIdException"
    default_message = (
        "A lifecycle event hook is invalid. Review the hooks section in your AppSpec file to ensure the lifecycle "
        "events and hooks functions are valid."
    )


class InvalidLifecycleEventHookExecutionStatus(CodeDeployError):
    code = "InvalidLifecycleEventHookExecutionStatusException"
    default_message = (
        "The result of a Lambda validation function that verifies a lifecycle event is invalid. It should return "
        "Succeeded or Failed."
    )


class InvalidLoadBalancerInfo(CodeDeployError):
    code = "InvalidLoadBalancerInfoException"
    default_message = "An invalid load balancer name, or no load balancer name, was specified."


class InvalidMinimumHealthyHostValue(CodeDeployError):
    code = "InvalidMinimumHealthyHostValueException"
    default_message = "The minimum healthy instance value was specified in an invalid format."


class InvalidNextToken(CodeDeployError):
    code = "InvalidNextTokenException"
    default_message = "The next token was specified in an invalid format."


class InvalidOnPremisesTagCombination(CodeDeployError):
    code = "InvalidOnPremisesTagCombinationException"
    default_message = (
        "A call was submitted that specified both OnPremisesTagFilters and OnPremisesTagSet, but only one of these data"
        " types can be used in a single call."
    )


class InvalidOperation(CodeDeployError):
    code = "InvalidOperationException"
    default_message = "An invalid operation was detected."


class InvalidRegistrationStatus(CodeDeployError):
    code = "InvalidRegistrationStatusException"
    default_message = "The registration status was specified in an invalid format."


class InvalidRevision(CodeDeployError):
    code = "InvalidRevisionException"
    default_message = "The revision was specified in an invalid format."


class InvalidRole(CodeDeployError):
    code = "InvalidRoleException"
    default_message = (
        "The service role ARN was specified in an invalid format. Or, if an Auto Scaling group was specified, the "
        "specified service role does not grant the appropriate permissions to Amazon EC2 Auto Scaling."
    )


class InvalidSortBy(CodeDeployError):
    code = "InvalidSortByException"
    default_message = "The column name to sort by is either not present or was specified in an invalid format."


class InvalidSortOrder(CodeDeployError):
    code = "InvalidSortOrderException"
    default_message = "The sort order was specified in an invalid format."


class InvalidTag(CodeDeployError):
    code = "InvalidTagException"
    default_message = "The tag was specified in an invalid format."


class InvalidTagFilter(CodeDeployError):
    code = "InvalidTagFilterException"
    default_message = "The tag filter was specified in an invalid format."


class InvalidTagsToAdd(CodeDeployError):
    code = "InvalidTagsToAddException"
    default_message = "The specified tags are not valid."


class InvalidTarget(CodeDeployError):
    code = "InvalidTargetException"
    default_message = "A target is not valid."


class InvalidTargetFilterName(CodeDeployError):
    code = "InvalidTargetFilterNameException"
    default_message = "The target filter name is invalid."


class InvalidTargetGroupPair(CodeDeployError):
    code = "InvalidTargetGroupPairException"
    default_message = "A target group pair associated with this deployment is not valid."


class InvalidTargetInstances(CodeDeployError):
    code = "InvalidTargetInstancesException"
    default_message = (
        "The target instance configuration is invalid. Possible causes include: Configuration data for target instances"
        " was entered for an in-place deployment. The limit of 10 tags for a tag type was exceeded. The combined length"
        " of the tag names exceeded the limit. A specified tag is not currently applied to any instances."
    )


class InvalidTimeRange(CodeDeployError):
    code = "InvalidTimeRangeException"
    default_message = "The specified time range was specified in an invalid format."


class InvalidTrafficRoutingConfiguration(CodeDeployError):
    code = "InvalidTrafficRoutingConfigurationException"
    default_message = "The configuration that specifies how traffic is routed during a deployment is invalid."


class InvalidTriggerConfig(CodeDeployError):
    code = "InvalidTriggerConfigException"
    default_message = "The trigger was specified in an invalid format."


class InvalidUpdateOutdatedInstancesOnlyValue(CodeDeployError):
    code = "InvalidUpdateOutdatedInstancesOnlyValueException"
    default_message = (
        "The UpdateOutdatedInstancesOnly value is invalid. For Lambda deployments, false is expected. For "
        "EC2/On-premises deployments, true or false is expected."
    )


class InvalidZonalDeploymentConfiguration(CodeDeployError):
    code = "InvalidZonalDeploymentConfigurationException"
    default_message = "The ZonalConfig object is not valid."


class LifecycleEventAlreadyCompleted(CodeDeployError):
    code = "LifecycleEventAlreadyCompletedException"
    default_message = "An attempt to return the status of an already completed lifecycle event occurred."


class LifecycleHookLimitExceeded(CodeDeployError):
    code = "LifecycleHookLimitExceededException"
    default_message = "The limit for lifecycle hooks was exceeded."


class MultipleIamArnsProvided(CodeDeployError):
    code = "MultipleIamArnsProvidedException"
    default_message = "Both an user ARN and an IAM session ARN were included in the request. Use only one ARN type."


class OperationNotSupported(CodeDeployError):
    code = "OperationNotSupportedException"
    default_message = "The API used does not support the deployment."


class ResourceArnRequired(CodeDeployError):
    code = "ResourceArnRequiredException"
    default_message = "The ARN of a resource is required, but was not found."


class ResourceValidation(CodeDeployError):
    code = "ResourceValidationException"
    default_message = "The specified resource could not be validated."


class RevisionDoesNotExist(CodeDeployError):
    code = "RevisionDoesNotExistException"
    default_message = "The named revision does not exist with the user or Amazon Web Services account."


class RevisionRequired(CodeDeployError):
    code = "RevisionRequiredException"
    default_message = "The revision ID was not specified."


class RoleRequired(CodeDeployError):
    code = "RoleRequiredException"
    default_message = "The role ID was not specified."


class TagLimitExceeded(CodeDeployError):
    code = "TagLimitExceededException"
    default_message = "The maximum allowed number of tags was exceeded."


class TagRequired(CodeDeployError):
    code = "TagRequiredException"
    default_message = "A tag was not specified."


class TagSetListLimitExceeded(CodeDeployError):
    code = "TagSetListLimitExceededException"
    default_message = "The number of tag groups included in the tag set list exceeded the maximum allowed limit of 3."


class Throttling(CodeDeployError):
    code = "ThrottlingException"
    default_message = "An API function was called too frequently."


class TriggerTargetsLimitExceeded(CodeDeployError):
    code = "TriggerTargetsLimitExceededException"
    default_message = "The maximum allowed number of triggers was exceeded."


class UnsupportedActionForDeploymentType(CodeDeployError):
    code = "UnsupportedActionForDeploymentTypeException"
    default_message = "A call was submitted that is not supported for the specified deployment type."


ERRORS_BY_CODE: dict[str, type[CodeDeployError]] = {cls.code: cls for cls in CodeDeployError.__subclasses__()}


# Errors every AWS JSON/CBOR service can return that are not modeled as CodeDeploy shapes.
class Serialization(CodeDeployError):
    code = "SerializationException"
    default_message = "The request body could not be parsed."


class UnknownOperation(CodeDeployError):
    code = "UnknownOperationException"
    default_message = "The operation is not known to CodeDeploy."


class InternalFailure(CodeDeployError):
    code = "InternalFailure"
    default_message = "The lab's CodeDeploy service failed; see lab.log."
    status = 500


ERRORS_BY_CODE.update({cls.code: cls for cls in (Serialization, UnknownOperation, InternalFailure)})
