"""Validation as CodeDeploy does it: formats, enums, ranges and counts of request fields, then the shapes they build.

botocore checks only required members, minimum lengths and types on the client side; everything else is the
service's job (docs/codedeploy-behavior.md#conventions-and-quotas). ``RULES`` holds each field's constraint as data
(enum, range, length, pattern, count) with the exception class AWS uses; ``check`` applies one, with a message that
names the field and the value. The functions below it validate whole structures with it.
"""

from __future__ import annotations

import re
import typing as t
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime

from . import exceptions as exc

NAME_PATTERN = re.compile(r"^[A-Za-z0-9+=,.@_-]+$")
NAME_MAX = 100
DESCRIPTION_MAX = 256
BUILTIN_CONFIG_PREFIX = "CodeDeployDefault."

COMPUTE_PLATFORMS = ("Server", "Lambda", "ECS")
TAG_FILTER_TYPES = ("KEY_ONLY", "VALUE_ONLY", "KEY_AND_VALUE")
MINIMUM_HEALTHY_HOSTS_TYPES = ("HOST_COUNT", "FLEET_PERCENT")
DEPLOYMENT_TYPES = ("IN_PLACE", "BLUE_GREEN")
DEPLOYMENT_OPTIONS = ("WITH_TRAFFIC_CONTROL", "WITHOUT_TRAFFIC_CONTROL")
AUTO_ROLLBACK_EVENTS = ("DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST")
TRIGGER_EVENTS = (
    "DeploymentStart",
    "DeploymentSuccess",
    "DeploymentFailure",
    "DeploymentStop",
    "DeploymentRollback",
    "DeploymentReady",
    "InstanceStart",
    "InstanceSuccess",
    "InstanceFailure",
    "InstanceReady",
)
OUTDATED_INSTANCES_STRATEGIES = ("UPDATE", "IGNORE")
PROCESSES_TO_SUSPEND = ("Terminate", "AZRebalance", "InstanceRefresh", "ScheduledActions")
READY_ACTIONS = ("CONTINUE_DEPLOYMENT", "STOP_DEPLOYMENT")
GREEN_FLEET_ACTIONS = ("DISCOVER_EXISTING", "COPY_AUTO_SCALING_GROUP")
BLUE_TERMINATION_ACTIONS = ("TERMINATE", "KEEP_ALIVE")
REVISION_TYPES = ("S3", "GitHub", "String", "AppSpecContent")
SERVER_REVISION_TYPES = ("S3", "GitHub")
BUNDLE_TYPES = ("tar", "tgz", "zip", "YAML", "JSON")
SERVER_BUNDLE_TYPES = ("tar", "tgz", "zip")
FILE_EXISTS_BEHAVIORS = ("DISALLOW", "OVERWRITE", "RETAIN")
DEPLOYMENT_MODES = ("STANDARD", "RESTART")
DEPLOYMENT_STATUSES = ("Created", "Queued", "InProgress", "Baking", "Succeeded", "Failed", "Stopped", "Ready")
TARGET_STATUSES = ("Pending", "InProgress", "Succeeded", "Failed", "Skipped", "Unknown", "Ready")
INSTANCE_LABELS = ("Blue", "Green")
TRAFFIC_ROUTING_TYPES = ("TimeBasedCanary", "TimeBasedLinear", "AllAtOnce")

MAX_TAG_GROUPS = 3
MAX_TAGS_PER_GROUP = 10
MAX_AUTO_SCALING_GROUPS = 10
MAX_TRIGGERS = 10
MAX_ALARMS = 10
MAX_LOAD_BALANCERS = 10
MAX_TERMINATION_WAIT_MINUTES = 2880
MAX_READY_WAIT_MINUTES = 2880
MAX_RESOURCE_TAGS = 50
MAX_LIFECYCLE_HOOKS_PER_ASG = 50
MAX_INSTANCE_TAGS = 10
MAX_TAGGED_INSTANCES = 100
MAX_BATCH_NAMES = 100  # BatchGetApplications, BatchGetDeploymentGroups, BatchGetDeployments
MAX_BATCH_REVISIONS = 25
MAX_BATCH_TARGETS = 25  # BatchGetDeploymentTargets, BatchGetDeploymentInstances, BatchGetOnPremisesInstances
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/(?:[\w+=,.@/-]+/)?([\w+=,.@-]{1,64})$")
SNS_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:([a-z0-9-]+):(\d{12}):([\w-]{1,256})$")
IAM_USER_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:user/[\w+=,.@/-]+$")
IAM_SESSION_ARN = re.compile(r"^arn:aws[a-z-]*:sts::\d{12}:assumed-role/[\w+=,.@-]+/[\w+=,.@-]+$")
GITHUB_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
DEPLOYMENT_ID = re.compile(r"d-.{9}\Z", re.DOTALL)
NOT_AWS_PREFIX = re.compile(r"(?!aws:)", re.IGNORECASE)

Error = type[exc.CodeDeployError]


# --- rules as data ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """What one request field must be, and what AWS answers when it is not.

    Messages are templates over ``label`` (the field as the message names it), ``value``, ``length``, ``count`` and
    the rule's own fields. A missing value (None, "" or []) raises ``required`` when the field is required, passes
    when it is ``optional``, and otherwise meets the other constraints like any value (and fails them).
    """

    error: Error
    label: str = ""  # the field as messages name it; "" for its key in RULES
    required: Error | None = None
    optional: bool = False
    one_of: tuple[str, ...] = ()
    integer: bool = False
    minimum: int | None = None
    maximum: int | None = None
    min_length: int = 0
    max_length: int | None = None
    pattern: re.Pattern[str] | None = None
    max_items: int | None = None
    missing: str = "{label} is required."
    invalid: str = ""  # "" for the standard message of the rule's kind (enum or range)
    not_text: str = ""  # for a value that should be a string and is not; "" for ``invalid``
    wrong_length: str = "{label} is too long: {length} characters (the maximum is {max_length})."
    too_many: str = "{label} lists {count} items; the maximum is {max_items}."


ENUM_MESSAGE = "{label} '{value}' is invalid; valid values are: {allowed}."
RANGE_MESSAGE = "{label} {value!r} is invalid: use {minimum} to {maximum}."
INVALID_NAME = "{label} '{value}' is invalid: use only letters, digits and + = , . @ _ -."


def _enum(error: Error, one_of: tuple[str, ...], label: str = "") -> Rule:
    return Rule(error, label=label, one_of=one_of)


def _name(what: str, error: Error, required: Error) -> Rule:
    return Rule(
        error,
        label=f"The {what} name",
        required=required,
        max_length=NAME_MAX,
        pattern=NAME_PATTERN,
        invalid=INVALID_NAME,
        not_text="{label} must be a string, got {type}.",
    )


def _batch(one: str, many: str, required: Error, limit: int) -> Rule:
    """The list of a BatchGet* call: at least one item, at most ``limit``."""
    return Rule(
        exc.BatchLimitExceeded,
        label=one,
        required=required,
        max_items=limit,
        missing=f"At least one {one} is required.",
        too_many=f"{{count}} {many} were given; the maximum is {{max_items}}.",
    )


RULES: dict[str, Rule] = {
    # names and identifiers
    "applicationName": _name("application", exc.InvalidApplicationName, exc.ApplicationNameRequired),
    "deploymentGroupName": _name("deployment group", exc.InvalidDeploymentGroupName, exc.DeploymentGroupNameRequired),
    "deploymentConfigName": _name(
        "deployment configuration", exc.InvalidDeploymentConfigName, exc.DeploymentConfigNameRequired
    ),
    "instanceName": Rule(
        exc.InvalidInstanceName,
        label="The on-premises instance name",
        required=exc.InstanceNameRequired,
        max_length=NAME_MAX,
        pattern=NAME_PATTERN,
        invalid="{label} '{value}' is invalid: use 1-100 letters, digits and + = , . @ _ -.",
        wrong_length="{label} '{value}' is invalid: use 1-100 letters, digits and + = , . @ _ -.",
    ),
    "deploymentId": Rule(
        exc.InvalidDeploymentId,
        label="The deployment ID",
        required=exc.DeploymentIdRequired,
        pattern=DEPLOYMENT_ID,
        invalid="{label} '{value}' is invalid: deployment IDs look like d-XXXXXXXXX.",
    ),
    "description": Rule(exc.DescriptionTooLong, label="The description", optional=True, max_length=DESCRIPTION_MAX),
    "serviceRoleArn": Rule(
        exc.InvalidRole,
        label="The service role ARN (serviceRoleArn)",
        required=exc.RoleRequired,
        pattern=ROLE_ARN,
        invalid="The service role ARN '{value}' is not a valid IAM role ARN (arn:aws:iam::<account>:role/<name>).",
    ),
    "iamUserArn": Rule(
        exc.InvalidIamUserArn,
        label="The IAM user ARN",
        pattern=IAM_USER_ARN,
        invalid="{label} '{value}' is invalid (arn:<partition>:iam::<account>:user/<name>).",
    ),
    "iamSessionArn": Rule(
        exc.InvalidIamSessionArn,
        label="The IAM session ARN",
        pattern=IAM_SESSION_ARN,
        invalid="{label} '{value}' is invalid (arn:<partition>:sts::<account>:assumed-role/<role>/<session>).",
    ),
    # tags
    "Key": Rule(
        exc.InvalidTagsToAdd,
        label="Tag key",
        min_length=1,
        max_length=128,
        pattern=NOT_AWS_PREFIX,
        wrong_length="{label} '{value}' is invalid: keys must be 1-128 characters.",
        invalid="{label} '{value}' is invalid: the prefix 'aws:' is reserved for AWS use.",
    ),
    "Value": Rule(
        exc.InvalidTagsToAdd,
        label="tag",
        optional=True,
        max_length=256,
        wrong_length="The value of tag '{label}' is too long (the maximum is {max_length} characters).",
    ),
    "Tags": Rule(exc.TagRequired, label="tag", required=exc.TagRequired, missing="At least one tag is required."),
    "TagKeys": Rule(
        exc.TagRequired, label="tag key", required=exc.TagRequired, missing="At least one tag key is required."
    ),
    "Type": _enum(exc.InvalidTag, TAG_FILTER_TYPES),
    "tagSetList": Rule(
        exc.TagSetListLimitExceeded,
        label="tag set",
        max_items=MAX_TAG_GROUPS,
        too_many="{label} has {count} tag groups; the maximum is {max_items}.",
    ),
    "tagGroup": Rule(
        exc.InvalidTag,
        label="tag group",
        max_items=MAX_TAGS_PER_GROUP,
        too_many="{label} has {count} tags; the maximum is {max_items}.",
    ),
    # applications and deployment configs
    "computePlatform": _enum(exc.InvalidComputePlatform, COMPUTE_PLATFORMS),
    "minimumHealthyHosts.type": _enum(exc.InvalidMinimumHealthyHostValue, MINIMUM_HEALTHY_HOSTS_TYPES),
    "FLEET_PERCENT": Rule(
        exc.InvalidMinimumHealthyHostValue,
        label="minimumHealthyHosts.value",
        integer=True,
        minimum=0,
        maximum=99,
        invalid="{label} {value} is invalid for FLEET_PERCENT: use 0 to 99.",
    ),
    "HOST_COUNT": Rule(
        exc.InvalidMinimumHealthyHostValue,
        label="minimumHealthyHosts.value",
        integer=True,
        minimum=0,
        invalid="{label} {value} is invalid for HOST_COUNT: use 0 or more.",
    ),
    "zonalConfig.seconds": Rule(
        exc.InvalidZonalDeploymentConfiguration,
        label="zonalConfig seconds",
        integer=True,
        minimum=0,
        invalid="{label} {value!r} is invalid: use a whole number of seconds, 0 or more.",
    ),
    "trafficRoutingConfig.type": _enum(exc.InvalidTrafficRoutingConfiguration, TRAFFIC_ROUTING_TYPES),
    "trafficRoutingConfig.minutes": Rule(
        exc.InvalidTrafficRoutingConfiguration,
        label="trafficRoutingConfig member",
        integer=True,
        invalid="{label} is required and must be an integer.",
    ),
    # deployment groups
    "autoScalingGroups": Rule(
        exc.InvalidAutoScalingGroup,
        label="Auto Scaling groups",
        max_items=MAX_AUTO_SCALING_GROUPS,
        too_many="{count} Auto Scaling groups were given; the maximum is {max_items}.",
    ),
    "triggerConfigurations": Rule(
        exc.TriggerTargetsLimitExceeded,
        label="triggers",
        max_items=MAX_TRIGGERS,
        too_many="{count} triggers were given; the maximum is {max_items}.",
    ),
    "triggerEvents": _enum(exc.InvalidTriggerConfig, TRIGGER_EVENTS, label="trigger event"),
    "alarmConfiguration.alarms": Rule(
        exc.AlarmsLimitExceeded,
        label="alarmConfiguration",
        max_items=MAX_ALARMS,
        too_many="{label} lists {count} alarms; the maximum is {max_items}.",
    ),
    "alarmConfiguration.alarms.name": Rule(
        exc.InvalidAlarmConfig,
        label="Alarm name",
        required=exc.InvalidAlarmConfig,
        max_length=255,
        missing="alarmConfiguration.alarms: every alarm needs a name.",
        wrong_length="{label} '{value:.40}...' is longer than {max_length} characters.",
    ),
    "autoRollbackConfiguration.events": _enum(exc.InvalidAutoRollbackConfig, AUTO_ROLLBACK_EVENTS),
    "outdatedInstancesStrategy": _enum(exc.InvalidInput, OUTDATED_INSTANCES_STRATEGIES),
    "deploymentStyle.deploymentType": _enum(exc.InvalidDeploymentStyle, DEPLOYMENT_TYPES),
    "deploymentStyle.deploymentOption": _enum(exc.InvalidDeploymentStyle, DEPLOYMENT_OPTIONS),
    "loadBalancerInfo.list": Rule(
        exc.InvalidLoadBalancerInfo,
        label="loadBalancerInfo list",
        max_items=MAX_LOAD_BALANCERS,
        too_many="{label} lists {count} entries; the maximum is {max_items}.",
    ),
    "deploymentReadyOption.actionOnTimeout": _enum(exc.InvalidBlueGreenDeploymentConfiguration, READY_ACTIONS),
    "deploymentReadyOption.waitTimeInMinutes": Rule(
        exc.InvalidBlueGreenDeploymentConfiguration,
        integer=True,
        minimum=0,
        maximum=MAX_READY_WAIT_MINUTES,
    ),
    "greenFleetProvisioningOption.action": _enum(exc.InvalidBlueGreenDeploymentConfiguration, GREEN_FLEET_ACTIONS),
    "terminateBlueInstancesOnDeploymentSuccess.action": _enum(
        exc.InvalidBlueGreenDeploymentConfiguration,
        BLUE_TERMINATION_ACTIONS,
    ),
    "terminateBlueInstancesOnDeploymentSuccess.terminationWaitTimeInMinutes": Rule(
        exc.InvalidBlueGreenDeploymentConfiguration,
        integer=True,
        minimum=0,
        maximum=MAX_TERMINATION_WAIT_MINUTES,
    ),
    "autoScalingGroupProcessesToSuspend": Rule(
        exc.InvalidAutoScalingGroupProcessToSuspend,
        max_items=len(PROCESSES_TO_SUSPEND),
        too_many="{label} lists {count} processes; the maximum is {max_items}.",
    ),
    "autoScalingGroupProcessToSuspend": _enum(
        exc.InvalidAutoScalingGroupProcessToSuspend, PROCESSES_TO_SUSPEND, label="autoScalingGroupProcessesToSuspend"
    ),
    # revisions
    "revision.revisionType": _enum(exc.InvalidRevision, REVISION_TYPES),
    "revision.s3Location.bucket": Rule(
        exc.InvalidRevision,
        required=exc.InvalidRevision,
        missing="{label} is required for an S3 revision.",
    ),
    "revision.s3Location.key": Rule(
        exc.InvalidRevision,
        required=exc.InvalidRevision,
        missing="{label} is required for an S3 revision.",
    ),
    "revision.s3Location.bundleType": Rule(
        exc.InvalidRevision,
        required=exc.InvalidRevision,
        one_of=SERVER_BUNDLE_TYPES,
        missing="{label} is required for an S3 revision: use tar, tgz or zip.",
    ),
    "revision.s3Location.bundleType (Lambda, ECS)": Rule(
        exc.InvalidRevision,
        label="revision.s3Location.bundleType",
        required=exc.InvalidRevision,
        one_of=BUNDLE_TYPES,
        missing="{label} is required for an S3 revision: use tar, tgz or zip.",
    ),
    "revision.gitHubLocation.repository": Rule(
        exc.InvalidRevision,
        pattern=GITHUB_REPOSITORY,
        invalid="{label} '{value}' is invalid: use account/repository.",
    ),
    "revision.gitHubLocation.commitId": Rule(
        exc.InvalidRevision,
        required=exc.InvalidRevision,
        missing="{label} is required for a GitHub revision.",
    ),
    "sortBy": _enum(exc.InvalidSortBy, ("registerTime", "firstUsedTime", "lastUsedTime")),
    "sortOrder": _enum(exc.InvalidSortOrder, ("ascending", "descending")),
    "deployed": _enum(exc.InvalidDeployedStateFilter, ("include", "exclude", "ignore")),
    "s3Bucket": Rule(
        exc.InvalidBucketNameFilter,
        label="The bucket name filter",
        pattern=S3_BUCKET,
        invalid="{label} '{value}' is not a valid S3 bucket name.",
    ),
    "s3KeyPrefix": Rule(
        exc.InvalidKeyPrefixFilter,
        label="The key prefix filter",
        max_length=1024,
        wrong_length="{label} is longer than {max_length} characters.",
    ),
    # deployments
    "deploymentMode": _enum(exc.InvalidInput, DEPLOYMENT_MODES),
    "fileExistsBehavior": _enum(exc.InvalidFileExistsBehavior, FILE_EXISTS_BEHAVIORS),
    "targetInstances.tagFilters": Rule(
        exc.InvalidTargetInstances,
        max_items=MAX_TAGS_PER_GROUP,
        too_many="{label} lists more than {max_items} tags.",
    ),
    "includeOnlyStatuses": _enum(exc.InvalidDeploymentStatus, DEPLOYMENT_STATUSES),
    "deploymentWaitType": _enum(exc.InvalidDeploymentWaitType, ("READY_WAIT", "TERMINATION_WAIT")),
    "targetFilters": _enum(exc.InvalidTargetFilterName, ("TargetStatus", "ServerInstanceLabel")),
    "TargetStatus": _enum(exc.InvalidInstanceStatus, TARGET_STATUSES),
    "ServerInstanceLabel": _enum(exc.InvalidInstanceType, INSTANCE_LABELS),
    "instanceStatusFilter": _enum(exc.InvalidInstanceStatus, TARGET_STATUSES),
    "instanceTypeFilter": _enum(exc.InvalidInstanceType, INSTANCE_LABELS),
    # BatchGet* lists
    "applicationNames": _batch("application name", "application names", exc.ApplicationNameRequired, MAX_BATCH_NAMES),
    "deploymentGroupNames": _batch(
        "deployment group name", "deployment group names", exc.DeploymentGroupNameRequired, MAX_BATCH_NAMES
    ),
    "deploymentIds": _batch("deployment ID", "deployment IDs", exc.DeploymentIdRequired, MAX_BATCH_NAMES),
    "revisions": _batch("revision", "revisions", exc.RevisionRequired, MAX_BATCH_REVISIONS),
    "targetIds": _batch("target ID", "target IDs", exc.DeploymentTargetIdRequired, MAX_BATCH_TARGETS),
    "instanceIds": _batch("instance ID", "instance IDs", exc.InstanceIdRequired, MAX_BATCH_TARGETS),
    "instanceNames": _batch("on-premises instance name", "instance names", exc.InstanceNameRequired, MAX_BATCH_TARGETS),
    # on-premises instances
    "registrationStatus": _enum(exc.InvalidRegistrationStatus, ("Registered", "Deregistered")),
    "tagged instanceNames": Rule(
        exc.InstanceLimitExceeded,
        label="on-premises instance name",
        required=exc.InstanceNameRequired,
        max_items=MAX_TAGGED_INSTANCES,
        missing="At least one {label} is required.",
        too_many="{count} instances were given; the maximum is {max_items}.",
    ),
}


def check(field: str, value: t.Any, label: str | None = None, error: Error | None = None) -> t.Any:
    """``value`` if it meets ``RULES[field]``, else the rule's error (or ``error``) naming ``label`` (or the rule's)."""
    rule = RULES[field]
    return _apply(rule, value, label or rule.label or field, error or rule.error)


def _apply(rule: Rule, value: t.Any, label: str, error: Error) -> t.Any:
    def fail(template: str, **extra: t.Any) -> t.NoReturn:
        raise error(
            template.format(
                label=label,
                value=value,
                allowed=", ".join(rule.one_of),
                minimum=rule.minimum,
                maximum=rule.maximum,
                max_length=rule.max_length,
                max_items=rule.max_items,
                **extra,
            )
        )

    if value is None or value == "" or value == []:
        if rule.required is not None:
            raise rule.required(rule.missing.format(label=label))
        if rule.optional:
            return value
    if rule.one_of and value not in rule.one_of:
        fail(rule.invalid or ENUM_MESSAGE)
    if rule.integer and (
        not isinstance(value, int)
        or isinstance(value, bool)
        or (rule.minimum is not None and value < rule.minimum)
        or (rule.maximum is not None and value > rule.maximum)
    ):
        fail(rule.invalid or RANGE_MESSAGE)
    if rule.max_length is not None or rule.pattern is not None:
        length = len(value) if isinstance(value, str) else 0
        if length < rule.min_length or (rule.max_length is not None and length > rule.max_length):
            fail(rule.wrong_length, length=length)
        if not isinstance(value, str):
            fail(rule.not_text or rule.invalid, type=type(value).__name__)
        if rule.pattern is not None and not rule.pattern.match(value):
            fail(rule.invalid)
    if rule.max_items is not None and len(value or []) > rule.max_items:
        fail(rule.too_many, count=len(value))
    return value


# --- names and tags -----------------------------------------------------------------------------------------------


def application_name(value: t.Any) -> str:
    return t.cast(str, check("applicationName", value))


def deployment_group_name(value: t.Any) -> str:
    return t.cast(str, check("deploymentGroupName", value))


def deployment_config_name(value: t.Any) -> str:
    return t.cast(str, check("deploymentConfigName", value))


def compute_platform(value: t.Any) -> str:
    return "Server" if value is None else t.cast(str, check("computePlatform", value))


def description(value: t.Any) -> str | None:
    return t.cast("str | None", check("description", value))


def tags(value: t.Any, error: Error = exc.InvalidTagsToAdd) -> dict[str, str]:
    """A tag list ``[{Key, Value}]`` (create calls and TagResource) as a dict."""
    result: dict[str, str] = {}
    for tag in value or []:
        key = check("Key", tag.get("Key"), error=error)
        result[key] = check("Value", tag.get("Value", ""), label=key, error=error) or ""
    if len(result) > MAX_RESOURCE_TAGS:
        raise error(f"Too many tags: {len(result)} (the maximum is {MAX_RESOURCE_TAGS} per resource).")
    return result


# --- deployment configs -------------------------------------------------------------------------------------------


def minimum_healthy_hosts(
    value: t.Any, field: str = "minimumHealthyHosts", error: Error = exc.InvalidMinimumHealthyHostValue
) -> dict[str, t.Any]:
    if not value:
        raise error(
            f"{field} is required for a Server deployment configuration: "
            "give {type: HOST_COUNT|FLEET_PERCENT, value: N}."
        )
    kind = check("minimumHealthyHosts.type", value.get("type"), label=f"{field}.type", error=error)
    number = check(kind, value.get("value"), label=f"{field}.value", error=error)
    return {"type": kind, "value": number}


def zonal_config(value: t.Any) -> dict[str, t.Any] | None:
    if value is None:
        return None
    result: dict[str, t.Any] = {}
    for field in ("firstZoneMonitorDurationInSeconds", "monitorDurationInSeconds"):
        if value.get(field) is not None:
            result[field] = check("zonalConfig.seconds", value[field], label=f"zonalConfig.{field}")
    per_zone = value.get("minimumHealthyHostsPerZone")
    if per_zone is not None:
        result["minimumHealthyHostsPerZone"] = minimum_healthy_hosts(
            per_zone, "zonalConfig.minimumHealthyHostsPerZone", exc.InvalidZonalDeploymentConfiguration
        )
    return result


def traffic_routing_config(value: t.Any) -> dict[str, t.Any]:
    kind = check("trafficRoutingConfig.type", (value or {}).get("type"))
    result: dict[str, t.Any] = {"type": kind}
    for key, members in (
        ("timeBasedCanary", ("canaryPercentage", "canaryInterval")),
        ("timeBasedLinear", ("linearPercentage", "linearInterval")),
    ):
        if value.get(key) is not None:
            part = value[key]
            result[key] = {
                member: check(
                    "trafficRoutingConfig.minutes", part.get(member), label=f"trafficRoutingConfig.{key}.{member}"
                )
                for member in members
            }
    return result


# --- deployment groups --------------------------------------------------------------------------------------------


def tag_filter(value: t.Any, field: str, error: Error) -> dict[str, str]:
    key, tag_value, kind = value.get("Key"), value.get("Value"), value.get("Type")
    if kind is None:  # AWS infers the type from what is given
        kind = "KEY_AND_VALUE" if key and tag_value else ("KEY_ONLY" if key else "VALUE_ONLY")
    check("Type", kind, label=f"{field}.Type", error=error)
    if kind in ("KEY_ONLY", "KEY_AND_VALUE") and not key:
        raise error(f"{field}: a {kind} filter needs a Key.")
    if kind in ("VALUE_ONLY", "KEY_AND_VALUE") and not tag_value:
        raise error(f"{field}: a {kind} filter needs a Value.")
    if key and len(key) > 128 or tag_value and len(tag_value) > 256:
        raise error(f"{field}: keys are at most 128 characters and values at most 256.")
    result = {"Type": kind}
    if key:
        result["Key"] = key
    if tag_value:
        result["Value"] = tag_value
    return result


def tag_filter_matches(tag_filter: dict[str, str], tags: dict[str, str]) -> bool:
    """Whether a tag filter ({Key, Value, Type}) matches a tag dict (KEY_ONLY, VALUE_ONLY, KEY_AND_VALUE)."""
    kind = tag_filter["Type"]
    if kind == "KEY_ONLY":
        return tag_filter["Key"] in tags
    if kind == "VALUE_ONLY":
        return tag_filter["Value"] in tags.values()
    return tags.get(tag_filter["Key"]) == tag_filter["Value"]


def tag_filters(value: t.Any, field: str, error: Error) -> list[dict[str, str]]:
    return [tag_filter(item or {}, f"{field}[{index}]", error) for index, item in enumerate(value or [])]


def tag_set(value: t.Any, field: str, list_key: str, error: Error) -> dict[str, t.Any]:
    groups = check("tagSetList", (value or {}).get(list_key) or [], label=f"{field}.{list_key}")
    for index, group in enumerate(groups):
        check("tagGroup", group or [], label=f"{field}.{list_key}[{index}]", error=error)
    return {list_key: [tag_filters(group, f"{field}.{list_key}[{index}]", error) for index, group in enumerate(groups)]}


def auto_rollback_configuration(value: t.Any) -> dict[str, t.Any] | None:
    if value is None:
        return None
    events = value.get("events") or []
    for event in events:
        check("autoRollbackConfiguration.events", event)
    enabled = bool(value.get("enabled", False))
    if enabled and not events:
        raise exc.InvalidAutoRollbackConfig(
            "autoRollbackConfiguration is enabled but lists no events: add at least one of "
            f"{', '.join(AUTO_ROLLBACK_EVENTS)}, or set enabled to false."
        )
    result: dict[str, t.Any] = {"enabled": enabled}
    if events:
        result["events"] = list(dict.fromkeys(events))
    return result


def alarm_configuration(value: t.Any, alarm_exists: t.Callable[[str], bool] | None) -> dict[str, t.Any] | None:
    if value is None:
        return None
    alarms = check("alarmConfiguration.alarms", value.get("alarms") or [])
    names: list[str] = []
    for alarm in alarms:
        name = check("alarmConfiguration.alarms.name", (alarm or {}).get("name"))
        if name in names:
            raise exc.InvalidAlarmConfig(f"Alarm '{name}' is listed more than once in alarmConfiguration.")
        names.append(name)
    enabled = bool(value.get("enabled", False))
    if enabled and not names:
        raise exc.InvalidAlarmConfig(
            "alarmConfiguration is enabled but lists no alarms: add at least one alarm, or set enabled to false."
        )
    if alarm_exists is not None:
        missing = [name for name in names if not alarm_exists(name)]
        if missing:
            raise exc.InvalidAlarmConfig(f"The following alarms do not exist in CloudWatch: {', '.join(missing)}.")
    return {
        "enabled": enabled,
        "ignorePollAlarmFailure": bool(value.get("ignorePollAlarmFailure", False)),
        "alarms": [{"name": name} for name in names],
    }


def ec2_deployment_options(value: t.Any) -> dict[str, t.Any] | None:
    if value is None:
        return None
    processes = check("autoScalingGroupProcessesToSuspend", value.get("autoScalingGroupProcessesToSuspend") or [])
    for process in processes:
        check("autoScalingGroupProcessToSuspend", process)
    return {"autoScalingGroupProcessesToSuspend": list(dict.fromkeys(processes))}


# --- revisions ----------------------------------------------------------------------------------------------------


def revision(value: t.Any, platform: str = "Server") -> dict[str, t.Any]:
    if not value:
        raise exc.RevisionRequired("The revision is required.")
    kind = check("revision.revisionType", value.get("revisionType"))
    if platform == "Server" and kind not in SERVER_REVISION_TYPES:
        raise exc.InvalidRevision(
            f"revision.revisionType {kind} is not supported for the Server compute platform: use S3 or GitHub."
        )
    if kind == "S3":
        return {"revisionType": "S3", "s3Location": _s3_location(value.get("s3Location") or {}, platform)}
    if kind == "GitHub":
        location = value.get("gitHubLocation") or {}
        repository = check("revision.gitHubLocation.repository", location.get("repository"))
        commit = check("revision.gitHubLocation.commitId", location.get("commitId"))
        return {"revisionType": "GitHub", "gitHubLocation": {"repository": repository, "commitId": commit}}
    if kind == "String":
        return {"revisionType": "String", "string": dict(value.get("string") or {})}
    return {"revisionType": "AppSpecContent", "appSpecContent": dict(value.get("appSpecContent") or {})}


def _s3_location(location: dict[str, t.Any], platform: str) -> dict[str, t.Any]:
    result = {
        "bucket": check("revision.s3Location.bucket", location.get("bucket")),
        "key": check("revision.s3Location.key", location.get("key")),
    }
    bundle_rule = (
        "revision.s3Location.bundleType" if platform == "Server" else "revision.s3Location.bundleType (Lambda, ECS)"
    )
    result["bundleType"] = check(bundle_rule, location.get("bundleType"))
    for member in ("version", "eTag"):
        if location.get(member):
            result[member] = location[member]
    return result


def revision_key(location: dict[str, t.Any]) -> tuple[t.Any, ...]:
    """What makes two revision locations the same revision."""
    if location["revisionType"] == "S3":
        s3 = location["s3Location"]
        return ("S3", s3["bucket"], s3["key"], s3["bundleType"], s3.get("version"), s3.get("eTag"))
    if location["revisionType"] == "GitHub":
        github = location["gitHubLocation"]
        return ("GitHub", github["repository"], github["commitId"])
    return (location["revisionType"], repr(sorted(location.items())))


# --- misc ---------------------------------------------------------------------------------------------------------


def as_datetime(value: t.Any, field: str) -> datetime | None:
    """Timestamps arrive as epoch numbers (JSON 1.1) or datetimes (CBOR tag 1)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC)
    if isinstance(value, str):
        try:
            return as_datetime(float(value), field)
        except ValueError:
            try:
                return as_datetime(datetime.fromisoformat(value.replace("Z", "+00:00")), field)
            except ValueError:
                pass
    raise exc.InvalidTimeRange(f"{field} '{value}' is not a valid timestamp.")
