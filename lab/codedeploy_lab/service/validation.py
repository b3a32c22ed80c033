"""Validation as CodeDeploy does it: formats, enums, limits, exclusive fields and references that must exist.

botocore checks only required members, minimum lengths and types on the client side; everything else is the
service's job (codedeploy-semantics.md section 0). Every check raises the exception class AWS uses, with a message
that names the field and the value.
"""

from __future__ import annotations

import re
import typing as t
from datetime import datetime, timezone

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
TRIGGER_EVENTS = ("DeploymentStart", "DeploymentSuccess", "DeploymentFailure", "DeploymentStop",
                  "DeploymentRollback", "DeploymentReady", "InstanceStart", "InstanceSuccess", "InstanceFailure",
                  "InstanceReady")
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
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/(?:[\w+=,.@/-]+/)?([\w+=,.@-]{1,64})$")
SNS_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:([a-z0-9-]+):(\d{12}):([\w-]{1,256})$")
IAM_USER_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:user/[\w+=,.@/-]+$")
IAM_SESSION_ARN = re.compile(r"^arn:aws[a-z-]*:sts::\d{12}:assumed-role/[\w+=,.@-]+/[\w+=,.@-]+$")
MAX_INSTANCE_TAGS = 10
GITHUB_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def require(value: t.Any, error: type[exc.CodeDeployError], message: str) -> None:
    if value is None or value == "" or value == []:
        raise error(message)


def check_name(value: t.Any, what: str, required: type[exc.CodeDeployError],
               invalid: type[exc.CodeDeployError]) -> str:
    """Names of applications, deployment groups and deployment configs: 1-100 of [A-Za-z0-9+=,.@_-]."""
    if value is None or value == "":
        raise required(f"The {what} name is required.")
    if not isinstance(value, str):
        raise invalid(f"The {what} name must be a string, got {type(value).__name__}.")
    if len(value) > NAME_MAX:
        raise invalid(f"The {what} name is too long: {len(value)} characters (the maximum is {NAME_MAX}).")
    if not NAME_PATTERN.match(value):
        raise invalid(f"The {what} name '{value}' is invalid: use only letters, digits and + = , . @ _ -.")
    return value


def application_name(value: t.Any) -> str:
    return check_name(value, "application", exc.ApplicationNameRequired, exc.InvalidApplicationName)


def deployment_group_name(value: t.Any) -> str:
    return check_name(value, "deployment group", exc.DeploymentGroupNameRequired, exc.InvalidDeploymentGroupName)


def deployment_config_name(value: t.Any) -> str:
    return check_name(value, "deployment configuration", exc.DeploymentConfigNameRequired,
                      exc.InvalidDeploymentConfigName)


def enum(value: t.Any, allowed: t.Sequence[str], field: str, error: type[exc.CodeDeployError]) -> str:
    if value not in allowed:
        raise error(f"{field} '{value}' is invalid; valid values are: {', '.join(allowed)}.")
    return t.cast(str, value)


def compute_platform(value: t.Any) -> str:
    if value is None:
        return "Server"
    return enum(value, COMPUTE_PLATFORMS, "computePlatform", exc.InvalidComputePlatform)


def description(value: t.Any) -> str | None:
    if value is not None and len(value) > DESCRIPTION_MAX:
        raise exc.DescriptionTooLong(
            f"The description is too long: {len(value)} characters (the maximum is {DESCRIPTION_MAX}).")
    return value


def tags(value: t.Any, error: type[exc.CodeDeployError] = exc.InvalidTagsToAdd) -> dict[str, str]:
    """A tag list ``[{Key, Value}]`` (create calls and TagResource) as a dict."""
    result: dict[str, str] = {}
    for tag in value or []:
        key, tag_value = tag.get("Key"), tag.get("Value", "")
        if not key or len(key) > 128:
            raise error(f"Tag key '{key}' is invalid: keys must be 1-128 characters.")
        if key.lower().startswith("aws:"):
            raise error(f"Tag key '{key}' is invalid: the prefix 'aws:' is reserved for AWS use.")
        if tag_value is not None and len(tag_value) > 256:
            raise error(f"The value of tag '{key}' is too long (the maximum is 256 characters).")
        result[key] = tag_value or ""
    if len(result) > MAX_RESOURCE_TAGS:
        raise error(f"Too many tags: {len(result)} (the maximum is {MAX_RESOURCE_TAGS} per resource).")
    return result


# --- deployment configs -------------------------------------------------------------------------------------


def minimum_healthy_hosts(value: t.Any, field: str = "minimumHealthyHosts",
                          error: type[exc.CodeDeployError] = exc.InvalidMinimumHealthyHostValue) -> dict[str, t.Any]:
    if not value:
        raise error(f"{field} is required for a Server deployment configuration: "
                    "give {type: HOST_COUNT|FLEET_PERCENT, value: N}.")
    kind = enum(value.get("type"), MINIMUM_HEALTHY_HOSTS_TYPES, f"{field}.type", error)
    number = value.get("value")
    if not isinstance(number, int) or isinstance(number, bool):
        raise error(f"{field}.value is required and must be an integer.")
    if kind == "FLEET_PERCENT" and not 0 <= number < 100:
        raise error(f"{field}.value {number} is invalid for FLEET_PERCENT: use 0 to 99.")
    if kind == "HOST_COUNT" and number < 0:
        raise error(f"{field}.value {number} is invalid for HOST_COUNT: use 0 or more.")
    return {"type": kind, "value": number}


def zonal_config(value: t.Any) -> dict[str, t.Any] | None:
    if value is None:
        return None
    result: dict[str, t.Any] = {}
    for field in ("firstZoneMonitorDurationInSeconds", "monitorDurationInSeconds"):
        seconds = value.get(field)
        if seconds is not None:
            if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 0:
                raise exc.InvalidZonalDeploymentConfiguration(
                    f"zonalConfig.{field} {seconds!r} is invalid: use a whole number of seconds, 0 or more.")
            result[field] = seconds
    per_zone = value.get("minimumHealthyHostsPerZone")
    if per_zone is not None:
        result["minimumHealthyHostsPerZone"] = minimum_healthy_hosts(
            per_zone, "zonalConfig.minimumHealthyHostsPerZone", exc.InvalidZonalDeploymentConfiguration)
    return result


def traffic_routing_config(value: t.Any) -> dict[str, t.Any]:
    kind = enum((value or {}).get("type"), TRAFFIC_ROUTING_TYPES, "trafficRoutingConfig.type",
                exc.InvalidTrafficRoutingConfiguration)
    result: dict[str, t.Any] = {"type": kind}
    for key, members in (("timeBasedCanary", ("canaryPercentage", "canaryInterval")),
                         ("timeBasedLinear", ("linearPercentage", "linearInterval"))):
        if value.get(key) is not None:
            part = value[key]
            for member in members:
                if not isinstance(part.get(member), int):
                    raise exc.InvalidTrafficRoutingConfiguration(
                        f"trafficRoutingConfig.{key}.{member} is required and must be an integer.")
            result[key] = {m: part[m] for m in members}
    return result


# --- deployment groups --------------------------------------------------------------------------------------


def tag_filter(value: t.Any, field: str, error: type[exc.CodeDeployError]) -> dict[str, str]:
    key, tag_value, kind = value.get("Key"), value.get("Value"), value.get("Type")
    if kind is None:  # AWS infers the type from what is given
        kind = "KEY_AND_VALUE" if key and tag_value else ("KEY_ONLY" if key else "VALUE_ONLY")
    enum(kind, TAG_FILTER_TYPES, f"{field}.Type", error)
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


def tag_filters(value: t.Any, field: str, error: type[exc.CodeDeployError]) -> list[dict[str, str]]:
    return [tag_filter(item or {}, f"{field}[{index}]", error) for index, item in enumerate(value or [])]


def tag_set(value: t.Any, field: str, list_key: str, error: type[exc.CodeDeployError]) -> dict[str, t.Any]:
    groups = (value or {}).get(list_key) or []
    if len(groups) > MAX_TAG_GROUPS:
        raise exc.TagSetListLimitExceeded(
            f"{field}.{list_key} has {len(groups)} tag groups; the maximum is {MAX_TAG_GROUPS}.")
    for index, group in enumerate(groups):
        if len(group or []) > MAX_TAGS_PER_GROUP:
            raise error(f"{field}.{list_key}[{index}] has {len(group)} tags; the maximum is {MAX_TAGS_PER_GROUP}.")
    return {list_key: [tag_filters(group, f"{field}.{list_key}[{index}]", error)
                       for index, group in enumerate(groups)]}


def auto_rollback_configuration(value: t.Any) -> dict[str, t.Any] | None:
    if value is None:
        return None
    events = value.get("events") or []
    for event in events:
        enum(event, AUTO_ROLLBACK_EVENTS, "autoRollbackConfiguration.events", exc.InvalidAutoRollbackConfig)
    enabled = bool(value.get("enabled", False))
    if enabled and not events:
        raise exc.InvalidAutoRollbackConfig(
            "autoRollbackConfiguration is enabled but lists no events: add at least one of "
            f"{', '.join(AUTO_ROLLBACK_EVENTS)}, or set enabled to false.")
    result: dict[str, t.Any] = {"enabled": enabled}
    if events:
        result["events"] = list(dict.fromkeys(events))
    return result


def alarm_configuration(value: t.Any, alarm_exists: t.Callable[[str], bool] | None) -> dict[str, t.Any] | None:
    if value is None:
        return None
    alarms = value.get("alarms") or []
    if len(alarms) > MAX_ALARMS:
        raise exc.AlarmsLimitExceeded(f"alarmConfiguration lists {len(alarms)} alarms; the maximum is {MAX_ALARMS}.")
    names: list[str] = []
    for alarm in alarms:
        name = (alarm or {}).get("name")
        if not name:
            raise exc.InvalidAlarmConfig("alarmConfiguration.alarms: every alarm needs a name.")
        if len(name) > 255:
            raise exc.InvalidAlarmConfig(f"Alarm name '{name[:40]}...' is longer than 255 characters.")
        if name in names:
            raise exc.InvalidAlarmConfig(f"Alarm '{name}' is listed more than once in alarmConfiguration.")
        names.append(name)
    enabled = bool(value.get("enabled", False))
    if enabled and not names:
        raise exc.InvalidAlarmConfig("alarmConfiguration is enabled but lists no alarms: add at least one alarm, "
                                     "or set enabled to false.")
    if alarm_exists is not None:
        missing = [name for name in names if not alarm_exists(name)]
        if missing:
            raise exc.InvalidAlarmConfig(
                f"The following alarms do not exist in CloudWatch: {', '.join(missing)}.")
    return {"enabled": enabled, "ignorePollAlarmFailure": bool(value.get("ignorePollAlarmFailure", False)),
            "alarms": [{"name": name} for name in names]}


def ec2_deployment_options(value: t.Any) -> dict[str, t.Any] | None:
    if value is None:
        return None
    processes = value.get("autoScalingGroupProcessesToSuspend") or []
    if len(processes) > len(PROCESSES_TO_SUSPEND):
        raise exc.InvalidAutoScalingGroupProcessToSuspend(
            f"autoScalingGroupProcessesToSuspend lists {len(processes)} processes; the maximum is 4.")
    for process in processes:
        enum(process, PROCESSES_TO_SUSPEND, "autoScalingGroupProcessesToSuspend",
             exc.InvalidAutoScalingGroupProcessToSuspend)
    return {"autoScalingGroupProcessesToSuspend": list(dict.fromkeys(processes))}


# --- revisions ----------------------------------------------------------------------------------------------


def revision(value: t.Any, platform: str = "Server") -> dict[str, t.Any]:
    if not value:
        raise exc.RevisionRequired("The revision is required.")
    kind = value.get("revisionType")
    enum(kind, REVISION_TYPES, "revision.revisionType", exc.InvalidRevision)
    if platform == "Server" and kind not in SERVER_REVISION_TYPES:
        raise exc.InvalidRevision(f"revision.revisionType {kind} is not supported for the Server compute platform: "
                                  "use S3 or GitHub.")
    if kind == "S3":
        location = value.get("s3Location") or {}
        for member in ("bucket", "key"):
            if not location.get(member):
                raise exc.InvalidRevision(f"revision.s3Location.{member} is required for an S3 revision.")
        bundle = location.get("bundleType")
        if bundle is None:
            raise exc.InvalidRevision("revision.s3Location.bundleType is required for an S3 revision: "
                                      "use tar, tgz or zip.")
        allowed = SERVER_BUNDLE_TYPES if platform == "Server" else BUNDLE_TYPES
        enum(bundle, allowed, "revision.s3Location.bundleType", exc.InvalidRevision)
        result = {"bucket": location["bucket"], "key": location["key"], "bundleType": bundle}
        for member in ("version", "eTag"):
            if location.get(member):
                result[member] = location[member]
        return {"revisionType": "S3", "s3Location": result}
    if kind == "GitHub":
        location = value.get("gitHubLocation") or {}
        repository, commit = location.get("repository"), location.get("commitId")
        if not repository or not GITHUB_REPOSITORY.match(repository):
            raise exc.InvalidRevision(f"revision.gitHubLocation.repository '{repository}' is invalid: "
                                      "use account/repository.")
        if not commit:
            raise exc.InvalidRevision("revision.gitHubLocation.commitId is required for a GitHub revision.")
        return {"revisionType": "GitHub", "gitHubLocation": {"repository": repository, "commitId": commit}}
    if kind == "String":
        return {"revisionType": "String", "string": dict(value.get("string") or {})}
    return {"revisionType": "AppSpecContent", "appSpecContent": dict(value.get("appSpecContent") or {})}


def revision_key(location: dict[str, t.Any]) -> tuple[t.Any, ...]:
    """What makes two revision locations the same revision."""
    if location["revisionType"] == "S3":
        s3 = location["s3Location"]
        return ("S3", s3["bucket"], s3["key"], s3["bundleType"], s3.get("version"), s3.get("eTag"))
    if location["revisionType"] == "GitHub":
        github = location["gitHubLocation"]
        return ("GitHub", github["repository"], github["commitId"])
    return (location["revisionType"], repr(sorted(location.items())))


# --- misc ---------------------------------------------------------------------------------------------------


def as_datetime(value: t.Any, field: str) -> datetime | None:
    """Timestamps arrive as epoch numbers (JSON 1.1) or datetimes (CBOR tag 1)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    if isinstance(value, str):
        try:
            return as_datetime(float(value), field)
        except ValueError:
            try:
                return as_datetime(datetime.fromisoformat(value.replace("Z", "+00:00")), field)
            except ValueError:
                pass
    raise exc.InvalidTimeRange(f"{field} '{value}' is not a valid timestamp.")
