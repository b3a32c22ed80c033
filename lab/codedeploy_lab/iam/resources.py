"""The resources an API call is authorized on, as AWS builds their ARNs, and the roles it passes (iam:PassRole).

CodeDeploy's resource per operation follows
https://docs.aws.amazon.com/codedeploy/latest/userguide/auth-and-access-control-permissions-reference.html: an
application's operations act on ``application:<name>``, a deployment group's and a deployment's on
``deploymentgroup:<application>/<group>`` (a deployment is authorized on its group), a configuration's on
``deploymentconfig:<name>``, an on-premises instance's on ``instance/<name>``; List* calls over the account act
on ``*``.
For the services moto serves, the resource is the one the call names where the Service Authorization Reference gives
a resource type (IAM roles, users, instance profiles, policies; Auto Scaling groups; classic load balancers) and
``*`` otherwise (every EC2 Describe*, for instance, is authorized on ``*`` by AWS too).

``iam:PassRole`` is checked where AWS checks it
(https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html): a deployment group's service role
(CreateDeploymentGroup, UpdateDeploymentGroup; passed to codedeploy.amazonaws.com), and the role of an instance profile
an instance is launched with (RunInstances directly or through a launch template, and Auto Scaling groups and launch
configurations that launch with one; passed to ec2.amazonaws.com).
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

ACCOUNT = "123456789012"  # moto's DEFAULT_ACCOUNT_ID: the lab has one account
CODEDEPLOY_SERVICE = "codedeploy.amazonaws.com"
EC2_SERVICE = "ec2.amazonaws.com"

APPLICATION_OPERATIONS = frozenset(
    (
        "CreateApplication",
        "GetApplication",
        "UpdateApplication",
        "DeleteApplication",
        "RegisterApplicationRevision",
        "GetApplicationRevision",
        "ListApplicationRevisions",
        "BatchGetApplicationRevisions",
        "ListDeploymentGroups",
    )
)
GROUP_OPERATIONS = frozenset(
    ("CreateDeploymentGroup", "GetDeploymentGroup", "DeleteDeploymentGroup", "CreateDeployment")
)
DEPLOYMENT_OPERATIONS = frozenset(
    (
        "GetDeployment",
        "StopDeployment",
        "ContinueDeployment",
        "GetDeploymentInstance",
        "ListDeploymentInstances",
        "BatchGetDeploymentInstances",
        "GetDeploymentTarget",
        "ListDeploymentTargets",
        "BatchGetDeploymentTargets",
        "PutLifecycleEventHookExecutionStatus",
    )
)
CONFIG_OPERATIONS = frozenset(("CreateDeploymentConfig", "GetDeploymentConfig", "DeleteDeploymentConfig"))
INSTANCE_OPERATIONS = frozenset(("RegisterOnPremisesInstance", "DeregisterOnPremisesInstance", "GetOnPremisesInstance"))
TAG_OPERATIONS = frozenset(("TagResource", "UntagResource", "ListTagsForResource"))


@dataclass(frozen=True)
class PassedRole:
    role_arn: str
    service: str  # the iam:PassedToService condition key


def codedeploy_arn(region: str, resource: str) -> str:
    return f"arn:aws:codedeploy:{region}:{ACCOUNT}:{resource}"


def codedeploy_resources(
    operation: str,
    params: t.Mapping[str, t.Any],
    region: str,
    group_of_deployment: t.Callable[[str], tuple[str, str] | None],
) -> list[str]:
    """The ARNs a CodeDeploy call is authorized on (every one must be allowed); ``["*"]`` for account-wide calls."""
    application = params.get("applicationName")
    if operation in APPLICATION_OPERATIONS and isinstance(application, str):
        return [codedeploy_arn(region, f"application:{application}")]
    if operation == "BatchGetApplications":
        return [codedeploy_arn(region, f"application:{name}") for name in params.get("applicationNames") or []] or ["*"]
    if operation in GROUP_OPERATIONS or (operation == "ListDeployments" and params.get("deploymentGroupName")):
        return [codedeploy_arn(region, f"deploymentgroup:{application}/{params.get('deploymentGroupName')}")]
    if operation == "UpdateDeploymentGroup":
        return [codedeploy_arn(region, f"deploymentgroup:{application}/{params.get('currentDeploymentGroupName')}")]
    if operation == "BatchGetDeploymentGroups":
        return [
            codedeploy_arn(region, f"deploymentgroup:{application}/{name}")
            for name in params.get("deploymentGroupNames") or []
        ] or ["*"]
    if operation in DEPLOYMENT_OPERATIONS or operation == "BatchGetDeployments":
        ids = params.get("deploymentIds") or [params.get("deploymentId")]
        groups = {group_of_deployment(str(deployment_id)) for deployment_id in ids if deployment_id}
        # A deployment that does not exist has no group: the service answers DeploymentDoesNotExist after us.
        return sorted(
            codedeploy_arn(region, f"deploymentgroup:{app}/{group}") for app, group in filter(None, groups)
        ) or ["*"]
    if operation in CONFIG_OPERATIONS:
        return [codedeploy_arn(region, f"deploymentconfig:{params.get('deploymentConfigName')}")]
    if operation in INSTANCE_OPERATIONS:
        return [codedeploy_arn(region, f"instance/{params.get('instanceName')}")]
    if operation in (
        "BatchGetOnPremisesInstances",
        "AddTagsToOnPremisesInstances",
        "RemoveTagsFromOnPremisesInstances",
    ):
        return [codedeploy_arn(region, f"instance/{name}") for name in params.get("instanceNames") or []] or ["*"]
    if operation in TAG_OPERATIONS and isinstance(params.get("ResourceArn"), str):
        return [str(params["ResourceArn"])]
    return ["*"]


def codedeploy_passed_roles(operation: str, params: t.Mapping[str, t.Any]) -> list[PassedRole]:
    role = params.get("serviceRoleArn")
    if operation in ("CreateDeploymentGroup", "UpdateDeploymentGroup") and isinstance(role, str) and role:
        return [PassedRole(role, CODEDEPLOY_SERVICE)]
    return []


def query_resources(
    service: str, operation: str, form: t.Mapping[str, str], region: str, iam_arn: t.Callable[[str, str], str]
) -> list[str]:
    """The ARN a query-protocol call (IAM, STS, Auto Scaling, ELB, EC2, ...) is authorized on."""
    if service == "iam":
        for parameter, kind in (
            ("RoleName", "role"),
            ("UserName", "user"),
            ("InstanceProfileName", "instance-profile"),
            ("GroupName", "group"),
        ):
            if form.get(parameter):
                return [iam_arn(kind, form[parameter])]
        if form.get("PolicyArn"):
            return [form["PolicyArn"]]
        return ["*"]
    if service == "sts" and form.get("RoleArn"):
        return [form["RoleArn"]]
    if service == "autoscaling" and form.get("AutoScalingGroupName"):
        name = form["AutoScalingGroupName"]
        return [f"arn:aws:autoscaling:{region}:{ACCOUNT}:autoScalingGroup:*:autoScalingGroupName/{name}"]
    if service == "elb" and form.get("LoadBalancerName"):
        return [f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT}:loadbalancer/{form['LoadBalancerName']}"]
    return ["*"]


def query_passed_roles(
    service: str,
    operation: str,
    form: t.Mapping[str, str],
    profile_roles: t.Callable[[str], list[str]],
    template_profile: t.Callable[[str | None, str | None, str | None], str | None],
) -> list[PassedRole]:
    """Roles an EC2 or Auto Scaling call launches instances with (the roles of the instance profile it names)."""
    profile: str | None = None
    if service == "ec2" and operation == "RunInstances":
        profile = form.get("IamInstanceProfile.Arn") or form.get("IamInstanceProfile.Name")
        if profile is None:
            profile = template_profile(
                form.get("LaunchTemplate.LaunchTemplateId"),
                form.get("LaunchTemplate.LaunchTemplateName"),
                form.get("LaunchTemplate.Version"),
            )
    elif service == "autoscaling" and operation == "CreateLaunchConfiguration":
        profile = form.get("IamInstanceProfile")
    elif service == "autoscaling" and operation in ("CreateAutoScalingGroup", "UpdateAutoScalingGroup"):
        direct = "LaunchTemplate.LaunchTemplateId" in form or "LaunchTemplate.LaunchTemplateName" in form
        prefix = "LaunchTemplate." if direct else "MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification."
        profile = template_profile(
            form.get(f"{prefix}LaunchTemplateId"), form.get(f"{prefix}LaunchTemplateName"), form.get(f"{prefix}Version")
        )
    if not profile:
        return []
    return [PassedRole(role, EC2_SERVICE) for role in profile_roles(profile)]
