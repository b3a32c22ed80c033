"""Deployment groups: every field, validation against the lab's other services, update semantics, delete."""

from __future__ import annotations

import uuid

import pytest


@pytest.fixture(scope="module")
def world(lab):
    """Real resources in the lab's moto services for groups to reference."""
    suffix = uuid.uuid4().hex[:6]
    ec2, autoscaling = lab.client("ec2"), lab.client("autoscaling")
    elb, elbv2 = lab.client("elb"), lab.client("elbv2")
    template = f"lt-{suffix}"  # desired capacity 0: no instance is launched from it
    ec2.create_launch_template(
        LaunchTemplateName=template, LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"}
    )
    asgs = [f"asg-{suffix}-{i}" for i in range(2)]
    for name in asgs:
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=name,
            MinSize=0,
            MaxSize=2,
            DesiredCapacity=0,
            LaunchTemplate={"LaunchTemplateName": template},
            AvailabilityZones=["us-east-1a"],
        )
    classic = f"clb-{suffix}"
    elb.create_load_balancer(
        LoadBalancerName=classic,
        AvailabilityZones=["us-east-1a"],
        Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 8080}],
    )
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    target_group = f"tg-{suffix}"
    elbv2.create_target_group(Name=target_group, Protocol="HTTP", Port=80, VpcId=vpc, TargetType="instance")
    alarm = f"alarm-{suffix}"
    lab.client("cloudwatch").put_metric_alarm(
        AlarmName=alarm,
        MetricName="CPUUtilization",
        Namespace="AWS/EC2",
        Statistic="Average",
        Period=60,
        EvaluationPeriods=1,
        Threshold=90,
        ComparisonOperator="GreaterThanThreshold",
    )
    topic = lab.client("sns").create_topic(Name=f"topic-{suffix}")["TopicArn"]
    return {"asgs": asgs, "classic": classic, "target_group": target_group, "alarm": alarm, "topic": topic}


@pytest.fixture
def app(boto3_client, unique_name):
    name = unique_name("dg-app")
    boto3_client("codedeploy").create_application(applicationName=name)
    return name


def test_minimal_group_echoes_aws_defaults(boto3_client, app, service_role):
    client = boto3_client("codedeploy")
    group_id = client.create_deployment_group(
        applicationName=app, deploymentGroupName="minimal", serviceRoleArn=service_role
    )["deploymentGroupId"]
    info = client.get_deployment_group(applicationName=app, deploymentGroupName="minimal")["deploymentGroupInfo"]
    assert info["deploymentGroupId"] == group_id
    assert info["serviceRoleArn"] == service_role
    assert info["deploymentConfigName"] == "CodeDeployDefault.OneAtATime"
    assert info["deploymentStyle"] == {"deploymentType": "IN_PLACE", "deploymentOption": "WITHOUT_TRAFFIC_CONTROL"}
    assert info["autoRollbackConfiguration"] == {"enabled": False}
    assert info["ec2TagFilters"] == [] and info["autoScalingGroups"] == [] and info["triggerConfigurations"] == []
    assert info["onPremisesTagSet"] == {"onPremisesTagSetList": []}
    assert info["outdatedInstancesStrategy"] == "UPDATE"
    assert info["terminationHookEnabled"] is False
    assert info["computePlatform"] == "Server"
    assert "loadBalancerInfo" not in info and "alarmConfiguration" not in info


def test_full_group_round_trips_every_field(boto3_client, lab, app, service_role, world):
    client = boto3_client("codedeploy")
    fields = {
        "deploymentConfigName": "CodeDeployDefault.HalfAtATime",
        "ec2TagSet": {
            "ec2TagSetList": [
                [{"Key": "env", "Value": "prod", "Type": "KEY_AND_VALUE"}],
                [{"Key": "role", "Type": "KEY_ONLY"}],
            ]
        },
        "onPremisesInstanceTagFilters": [{"Key": "site", "Value": "a", "Type": "KEY_AND_VALUE"}],
        "autoScalingGroups": [world["asgs"][0]],
        "triggerConfigurations": [
            {
                "triggerName": "t1",
                "triggerTargetArn": world["topic"],
                "triggerEvents": ["DeploymentFailure", "DeploymentSuccess"],
            }
        ],
        "alarmConfiguration": {"enabled": True, "ignorePollAlarmFailure": False, "alarms": [{"name": world["alarm"]}]},
        "autoRollbackConfiguration": {"enabled": True, "events": ["DEPLOYMENT_FAILURE"]},
        "outdatedInstancesStrategy": "IGNORE",
        "deploymentStyle": {"deploymentType": "IN_PLACE", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        "loadBalancerInfo": {
            "elbInfoList": [{"name": world["classic"]}],
            "targetGroupInfoList": [{"name": world["target_group"]}],
        },
        "ec2DeploymentOptions": {"autoScalingGroupProcessesToSuspend": ["AZRebalance", "Terminate"]},
        "terminationHookEnabled": True,
    }
    client.create_deployment_group(
        applicationName=app,
        deploymentGroupName="full",
        serviceRoleArn=service_role,
        tags=[{"Key": "k", "Value": "v"}],
        **fields,
    )
    info = client.get_deployment_group(applicationName=app, deploymentGroupName="full")["deploymentGroupInfo"]
    for key, value in fields.items():
        if key != "autoScalingGroups":
            assert info[key] == value, key
    (asg,) = info["autoScalingGroups"]
    assert asg["name"] == world["asgs"][0]
    assert asg["hook"].startswith("CodeDeploy-managed-automatic-launch-deployment-hook-full-")
    assert asg["terminationHook"].startswith("CodeDeploy-managed-termination-hook-full-")
    # The hooks really exist on the Auto Scaling group in the lab.
    hooks = lab.client("autoscaling").describe_lifecycle_hooks(AutoScalingGroupName=world["asgs"][0])
    by_name = {h["LifecycleHookName"]: h for h in hooks["LifecycleHooks"]}
    assert by_name[asg["hook"]]["LifecycleTransition"] == "autoscaling:EC2_INSTANCE_LAUNCHING"
    assert by_name[asg["hook"]]["DefaultResult"] == "ABANDON"
    assert by_name[asg["terminationHook"]]["LifecycleTransition"] == "autoscaling:EC2_INSTANCE_TERMINATING"

    batch = client.batch_get_deployment_groups(applicationName=app, deploymentGroupNames=["full", "nope"])
    assert [g["deploymentGroupName"] for g in batch["deploymentGroupsInfo"]] == ["full"]
    assert "nope" in batch["errorMessage"]


def test_blue_green_group_gets_defaults_and_copy_asg_rule(boto3_client, app, service_role, world, aws_error):
    client = boto3_client("codedeploy")
    common = {
        "applicationName": app,
        "serviceRoleArn": service_role,
        "deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        "loadBalancerInfo": {"targetGroupInfoList": [{"name": world["target_group"]}]},
    }
    client.create_deployment_group(deploymentGroupName="bg", **common)
    info = client.get_deployment_group(applicationName=app, deploymentGroupName="bg")["deploymentGroupInfo"]
    # The waits are the API model's defaults for an omitted member (0), as in the test below.
    assert info["blueGreenDeploymentConfiguration"] == {
        "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0},
        "greenFleetProvisioningOption": {"action": "DISCOVER_EXISTING"},
        "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 0},
    }
    copy = {"greenFleetProvisioningOption": {"action": "COPY_AUTO_SCALING_GROUP"}}
    with aws_error(
        "InvalidBlueGreenDeploymentConfigurationException",
        "Exactly one AutoScaling group must be specifed when selecting the COPY_AUTO_SCALING_GROUP",
    ):
        client.create_deployment_group(
            deploymentGroupName="bg-copy",
            blueGreenDeploymentConfiguration=copy,
            autoScalingGroups=world["asgs"],
            **common,
        )
    client.create_deployment_group(
        deploymentGroupName="bg-copy",
        blueGreenDeploymentConfiguration=copy,
        autoScalingGroups=[world["asgs"][1]],
        **common,
    )
    with aws_error("InvalidBlueGreenDeploymentConfigurationException", "terminationWaitTimeInMinutes 2881"):
        client.create_deployment_group(
            deploymentGroupName="bg-wait",
            **common,
            blueGreenDeploymentConfiguration={
                "terminateBlueInstancesOnDeploymentSuccess": {
                    "action": "TERMINATE",
                    "terminationWaitTimeInMinutes": 2881,
                }
            },
        )
    with aws_error("InvalidDeploymentStyleException", "A BLUE_GREEN deployment style needs deploymentOption"):
        client.create_deployment_group(
            applicationName=app,
            deploymentGroupName="bg-no-lb",
            serviceRoleArn=service_role,
            deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITHOUT_TRAFFIC_CONTROL"},
        )


def test_omitted_termination_wait_reads_back_as_the_model_default(boto3_client, app, service_role, world):
    """SDKs that leave zero-valued members out (Go v2, Rust) send no terminationWaitTimeInMinutes for 0: the
    service must take an omitted one as the API model's default, 0."""
    client = boto3_client("codedeploy")
    client.create_deployment_group(
        applicationName=app,
        deploymentGroupName="bg-no-wait",
        serviceRoleArn=service_role,
        deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        loadBalancerInfo={"targetGroupInfoList": [{"name": world["target_group"]}]},
        blueGreenDeploymentConfiguration={
            "deploymentReadyOption": {"actionOnTimeout": "STOP_DEPLOYMENT"},
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE"},
        },
    )
    info = client.get_deployment_group(applicationName=app, deploymentGroupName="bg-no-wait")["deploymentGroupInfo"]
    configuration = info["blueGreenDeploymentConfiguration"]
    assert configuration["terminateBlueInstancesOnDeploymentSuccess"] == {
        "action": "TERMINATE",
        "terminationWaitTimeInMinutes": 0,
    }
    assert configuration["deploymentReadyOption"] == {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 0}


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        ({"serviceRoleArn": "not-an-arn"}, "InvalidRoleException", "is not a valid IAM role ARN"),
        (
            {"serviceRoleArn": "arn:aws:iam::123456789012:role/missing-role"},
            "InvalidRoleException",
            "Cannot assume role provided: arn:aws:iam::123456789012:role/missing-role does not exist in IAM",
        ),
        (
            {"deploymentConfigName": "NoSuchConfig"},
            "DeploymentConfigDoesNotExistException",
            "No deployment configuration found for name: NoSuchConfig",
        ),
        (
            {"deploymentConfigName": "CodeDeployDefault.LambdaAllAtOnce"},
            "InvalidDeploymentConfigNameException",
            "is for the Lambda compute platform, not Server",
        ),
        (
            {
                "ec2TagFilters": [{"Key": "a", "Value": "b", "Type": "KEY_AND_VALUE"}],
                "ec2TagSet": {"ec2TagSetList": [[{"Key": "c", "Type": "KEY_ONLY"}]]},
            },
            "InvalidEC2TagCombinationException",
            "ec2TagFilters and ec2TagSet cannot both be given",
        ),
        (
            {
                "onPremisesInstanceTagFilters": [{"Key": "a", "Type": "KEY_ONLY"}],
                "onPremisesTagSet": {"onPremisesTagSetList": [[{"Key": "c", "Type": "KEY_ONLY"}]]},
            },
            "InvalidOnPremisesTagCombinationException",
            "onPremisesInstanceTagFilters and onPremisesTagSet",
        ),
        (
            {"ec2TagSet": {"ec2TagSetList": [[{"Key": "a", "Type": "KEY_ONLY"}]] * 4}},
            "TagSetListLimitExceededException",
            "has 4 tag groups; the maximum is 3",
        ),
        ({"ec2TagFilters": [{"Key": "a", "Type": "BOTH"}]}, "InvalidEC2TagException", "ec2TagFilters[0].Type 'BOTH'"),
        (
            {"ec2TagFilters": [{"Value": "x", "Type": "KEY_AND_VALUE"}]},
            "InvalidEC2TagException",
            "a KEY_AND_VALUE filter needs a Key",
        ),
        (
            {"onPremisesInstanceTagFilters": [{"Type": "KEY_ONLY"}]},
            "InvalidTagException",
            "a KEY_ONLY filter needs a Key",
        ),
        (
            {"autoScalingGroups": ["no-such-asg"]},
            "InvalidAutoScalingGroupException",
            "Auto Scaling group(s) not found: no-such-asg",
        ),
        (
            {"deploymentStyle": {"deploymentType": "IN_PLACE", "deploymentOption": "WITH_TRAFFIC_CONTROL"}},
            "InvalidLoadBalancerInfoException",
            "The deploymentOption value is set to WITH_TRAFFIC_CONTROL, but either no",
        ),
        (
            {"deploymentStyle": {"deploymentType": "SIDEWAYS"}},
            "InvalidDeploymentStyleException",
            "deploymentStyle.deploymentType 'SIDEWAYS' is invalid",
        ),
        (
            {"loadBalancerInfo": {"elbInfoList": [{"name": "no-such-elb"}]}},
            "InvalidLoadBalancerInfoException",
            "The Classic Load Balancer no-such-elb in elbInfoList does not exist",
        ),
        (
            {"loadBalancerInfo": {"targetGroupInfoList": [{"name": "no-such-tg"}]}},
            "InvalidLoadBalancerInfoException",
            "The target group no-such-tg in targetGroupInfoList does not exist",
        ),
        (
            {"loadBalancerInfo": {"targetGroupPairInfoList": [{"targetGroups": [{"name": "x"}]}]}},
            "InvalidTargetGroupPairException",
            "targetGroupPairInfoList applies to ECS deployment groups only",
        ),
        (
            {"alarmConfiguration": {"enabled": True, "alarms": []}},
            "InvalidAlarmConfigException",
            "alarmConfiguration is enabled but lists no alarms",
        ),
        (
            {"alarmConfiguration": {"enabled": True, "alarms": [{"name": "no-such-alarm"}]}},
            "InvalidAlarmConfigException",
            "The following alarms do not exist in CloudWatch: no-such-alarm",
        ),
        (
            {"alarmConfiguration": {"enabled": True, "alarms": [{"name": f"a{i}"} for i in range(11)]}},
            "AlarmsLimitExceededException",
            "lists 11 alarms; the maximum is 10",
        ),
        (
            {"autoRollbackConfiguration": {"enabled": True}},
            "InvalidAutoRollbackConfigException",
            "autoRollbackConfiguration is enabled but lists no events",
        ),
        (
            {"autoRollbackConfiguration": {"enabled": True, "events": ["DEPLOYMENT_SUNNY"]}},
            "InvalidAutoRollbackConfigException",
            "autoRollbackConfiguration.events 'DEPLOYMENT_SUNNY' is invalid",
        ),
        (
            {
                "triggerConfigurations": [
                    {
                        "triggerName": "t",
                        "triggerTargetArn": "arn:aws:sns:us-east-1:123456789012:no-such-topic",
                        "triggerEvents": ["DeploymentStart"],
                    }
                ]
            },
            "InvalidTriggerConfigException",
            "SNS topic arn:aws:sns:us-east-1:123456789012:no-such-topic does not exist",
        ),
        (
            {
                "triggerConfigurations": [
                    {"triggerName": f"t{i}", "triggerTargetArn": "x", "triggerEvents": []} for i in range(11)
                ]
            },
            "TriggerTargetsLimitExceededException",
            "11 triggers were given; the maximum is 10",
        ),
        ({"outdatedInstancesStrategy": "SOMETIMES"}, "InvalidInputException", "outdatedInstancesStrategy 'SOMETIMES'"),
        (
            {"ec2DeploymentOptions": {"autoScalingGroupProcessesToSuspend": ["Launch"]}},
            "InvalidAutoScalingGroupProcessToSuspendException",
            "autoScalingGroupProcessesToSuspend 'Launch' is invalid",
        ),
        (
            {"ecsServices": [{"serviceName": "s", "clusterName": "c"}]},
            "InvalidECSServiceException",
            "ecsServices applies to ECS deployment groups only",
        ),
        ({"tags": [{"Key": "", "Value": "x"}]}, "InvalidTagsToAddException", "keys must be 1-128 characters"),
    ],
)
def test_create_group_validation(boto3_client, app, service_role, aws_error, extra, code, message):
    params = {"applicationName": app, "deploymentGroupName": "bad", "serviceRoleArn": service_role, **extra}
    client = boto3_client("codedeploy")
    with aws_error(code, message):
        client.create_deployment_group(**params)
    # Nothing was created by the failed call.
    assert client.list_deployment_groups(applicationName=app)["deploymentGroups"] == []


def test_create_group_reference_and_name_errors(boto3_client, app, service_role, aws_error):
    client = boto3_client("codedeploy")
    with aws_error("ApplicationDoesNotExistException", "No application found for name: no-app"):
        client.create_deployment_group(applicationName="no-app", deploymentGroupName="g", serviceRoleArn=service_role)
    with aws_error("InvalidDeploymentGroupNameException", "The deployment group name 'bad/name' is invalid"):
        client.create_deployment_group(applicationName=app, deploymentGroupName="bad/name", serviceRoleArn=service_role)
    client.create_deployment_group(applicationName=app, deploymentGroupName="dup", serviceRoleArn=service_role)
    with aws_error(
        "DeploymentGroupAlreadyExistsException", f"The deployment group dup already exists for application {app}"
    ):
        client.create_deployment_group(applicationName=app, deploymentGroupName="dup", serviceRoleArn=service_role)
    with aws_error("DeploymentGroupDoesNotExistException", "No Deployment Group found for name: nope"):
        client.get_deployment_group(applicationName=app, deploymentGroupName="nope")


def test_update_keeps_omitted_fields_and_renames(boto3_client, lab, app, service_role, world, aws_error):
    client = boto3_client("codedeploy")
    client.create_deployment_group(
        applicationName=app,
        deploymentGroupName="upd",
        serviceRoleArn=service_role,
        ec2TagFilters=[{"Key": "env", "Value": "prod", "Type": "KEY_AND_VALUE"}],
        autoScalingGroups=[world["asgs"][0]],
        autoRollbackConfiguration={"enabled": True, "events": ["DEPLOYMENT_FAILURE"]},
    )
    before = client.get_deployment_group(applicationName=app, deploymentGroupName="upd")["deploymentGroupInfo"]

    result = client.update_deployment_group(
        applicationName=app,
        currentDeploymentGroupName="upd",
        newDeploymentGroupName="renamed",
        deploymentConfigName="CodeDeployDefault.AllAtOnce",
    )
    assert result["hooksNotCleanedUp"] == []
    after = client.get_deployment_group(applicationName=app, deploymentGroupName="renamed")["deploymentGroupInfo"]
    assert after["deploymentGroupId"] == before["deploymentGroupId"]
    assert after["deploymentConfigName"] == "CodeDeployDefault.AllAtOnce"
    for kept in ("ec2TagFilters", "autoScalingGroups", "autoRollbackConfiguration", "serviceRoleArn"):
        assert after[kept] == before[kept], kept
    with aws_error("DeploymentGroupDoesNotExistException", "No Deployment Group found for name: upd"):
        client.get_deployment_group(applicationName=app, deploymentGroupName="upd")

    # ec2TagSet replaces ec2TagFilters; an empty autoScalingGroups list detaches and removes the hook.
    hook = after["autoScalingGroups"][0]["hook"]
    client.update_deployment_group(
        applicationName=app,
        currentDeploymentGroupName="renamed",
        ec2TagSet={"ec2TagSetList": [[{"Key": "tier", "Type": "KEY_ONLY"}]]},
        autoScalingGroups=[],
    )
    info = client.get_deployment_group(applicationName=app, deploymentGroupName="renamed")["deploymentGroupInfo"]
    assert info["ec2TagFilters"] == [] and info["autoScalingGroups"] == []
    assert info["ec2TagSet"] == {"ec2TagSetList": [[{"Key": "tier", "Type": "KEY_ONLY"}]]}
    hooks = lab.client("autoscaling").describe_lifecycle_hooks(AutoScalingGroupName=world["asgs"][0])
    assert hook not in [h["LifecycleHookName"] for h in hooks["LifecycleHooks"]]


def test_update_validation_changes_nothing(boto3_client, app, service_role, aws_error):
    client = boto3_client("codedeploy")
    for name in ("a", "b"):
        client.create_deployment_group(applicationName=app, deploymentGroupName=name, serviceRoleArn=service_role)
    with aws_error("DeploymentGroupAlreadyExistsException", "The deployment group b already exists"):
        client.update_deployment_group(applicationName=app, currentDeploymentGroupName="a", newDeploymentGroupName="b")
    with aws_error("DeploymentGroupDoesNotExistException", "No Deployment Group found for name: zz"):
        client.update_deployment_group(applicationName=app, currentDeploymentGroupName="zz")
    with aws_error("InvalidLoadBalancerInfoException", "WITH_TRAFFIC_CONTROL"):
        client.update_deployment_group(
            applicationName=app,
            currentDeploymentGroupName="a",
            deploymentConfigName="CodeDeployDefault.AllAtOnce",
            deploymentStyle={"deploymentType": "IN_PLACE", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        )
    info = client.get_deployment_group(applicationName=app, deploymentGroupName="a")["deploymentGroupInfo"]
    assert info["deploymentConfigName"] == "CodeDeployDefault.OneAtATime"
    assert info["deploymentStyle"]["deploymentOption"] == "WITHOUT_TRAFFIC_CONTROL"


def test_delete_group_removes_hooks_and_is_silent_when_missing(boto3_client, lab, app, service_role, world, aws_error):
    client = boto3_client("codedeploy")
    client.create_deployment_group(
        applicationName=app,
        deploymentGroupName="gone",
        serviceRoleArn=service_role,
        autoScalingGroups=[world["asgs"][1]],
    )
    hook = client.get_deployment_group(applicationName=app, deploymentGroupName="gone")["deploymentGroupInfo"][
        "autoScalingGroups"
    ][0]["hook"]
    assert client.delete_deployment_group(applicationName=app, deploymentGroupName="gone")["hooksNotCleanedUp"] == []
    hooks = lab.client("autoscaling").describe_lifecycle_hooks(AutoScalingGroupName=world["asgs"][1])
    assert hook not in [h["LifecycleHookName"] for h in hooks["LifecycleHooks"]]
    with aws_error("DeploymentGroupDoesNotExistException", "No Deployment Group found for name: gone"):
        client.get_deployment_group(applicationName=app, deploymentGroupName="gone")
    assert client.delete_deployment_group(applicationName=app, deploymentGroupName="gone")["hooksNotCleanedUp"] == []


def test_list_deployment_groups_paginates(boto3_client, app, service_role):
    client = boto3_client("codedeploy")
    names = [f"g{i:03d}" for i in range(102)]
    for name in names:
        client.create_deployment_group(applicationName=app, deploymentGroupName=name, serviceRoleArn=service_role)
    first = client.list_deployment_groups(applicationName=app)
    assert len(first["deploymentGroups"]) == 100 and first["applicationName"] == app
    second = client.list_deployment_groups(applicationName=app, nextToken=first["nextToken"])
    assert second["deploymentGroups"] == names[100:] and "nextToken" not in second
