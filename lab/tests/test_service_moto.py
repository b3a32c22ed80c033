"""The moto services under the lab: the gaps amazon.aws modules trip over are fixed; calls are counted."""

from __future__ import annotations

import uuid

import pytest


def test_iam_managed_policies_exist(boto3_client):
    policy = boto3_client("iam").get_policy(PolicyArn="arn:aws:iam::aws:policy/service-role/AWSCodeDeployRole")
    assert policy["Policy"]["PolicyName"] == "AWSCodeDeployRole"


def test_describe_attributes_of_missing_classic_elb(boto3_client, aws_error):
    with aws_error("LoadBalancerNotFound", None):
        boto3_client("elb").describe_load_balancer_attributes(LoadBalancerName="no-such-clb")


def test_new_classic_elb_has_default_health_check(boto3_client):
    elb = boto3_client("elb")
    name = f"hc-{uuid.uuid4().hex[:8]}"
    elb.create_load_balancer(
        LoadBalancerName=name,
        AvailabilityZones=["us-east-1a"],
        Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 8080}],
    )
    (description,) = elb.describe_load_balancers(LoadBalancerNames=[name])["LoadBalancerDescriptions"]
    assert description["HealthCheck"] == {
        "Target": "TCP:8080",
        "Interval": 30,
        "Timeout": 5,
        "UnhealthyThreshold": 2,
        "HealthyThreshold": 10,
    }


@pytest.fixture
def auto_scaling_group(boto3_client):
    name = f"fix-{uuid.uuid4().hex[:8]}"
    boto3_client("ec2").create_launch_template(
        LaunchTemplateName=name, LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"}
    )
    boto3_client("autoscaling").create_auto_scaling_group(
        AutoScalingGroupName=name,
        MinSize=0,
        MaxSize=1,
        DesiredCapacity=0,
        AvailabilityZones=["us-east-1a"],
        LaunchTemplate={"LaunchTemplateName": name},
    )
    return name


def test_auto_scaling_calls_made_on_update(boto3_client, auto_scaling_group):
    autoscaling = boto3_client("autoscaling")
    topic = boto3_client("sns").create_topic(Name=f"asg-{uuid.uuid4().hex[:8]}")["TopicArn"]
    autoscaling.enable_metrics_collection(
        AutoScalingGroupName=auto_scaling_group, Granularity="1Minute", Metrics=["GroupMinSize", "GroupMaxSize"]
    )
    autoscaling.disable_metrics_collection(AutoScalingGroupName=auto_scaling_group, Metrics=["GroupMinSize"])
    (group,) = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[auto_scaling_group])["AutoScalingGroups"]
    assert [m["Metric"] for m in group["EnabledMetrics"]] == ["GroupMaxSize"]
    autoscaling.disable_metrics_collection(AutoScalingGroupName=auto_scaling_group)
    (group,) = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[auto_scaling_group])["AutoScalingGroups"]
    assert group.get("EnabledMetrics", []) == []
    autoscaling.put_notification_configuration(
        AutoScalingGroupName=auto_scaling_group, TopicARN=topic, NotificationTypes=["autoscaling:EC2_INSTANCE_LAUNCH"]
    )
    autoscaling.delete_notification_configuration(AutoScalingGroupName=auto_scaling_group, TopicARN=topic)


def test_calls_are_counted_per_service_and_operation(lab, boto3_client, unique_name):
    before = lab.calls()
    s3 = boto3_client("s3")
    bucket = unique_name("calls")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="a.zip", Body=b"x")
    s3.put_object(Bucket=bucket, Key="b.zip", Body=b"y")
    s3.get_object(Bucket=bucket, Key="a.zip")
    codedeploy = boto3_client("codedeploy")
    codedeploy.list_applications()
    boto3_client("cloudwatch").describe_alarms()
    boto3_client("elbv2").describe_load_balancers()
    after = lab.calls()

    def delta(service: str, operation: str) -> int:
        return after.get(service, {}).get(operation, 0) - before.get(service, {}).get(operation, 0)

    assert delta("s3", "CreateBucket") == 1
    assert delta("s3", "PutObject") == 2
    assert delta("s3", "GetObject") == 1
    assert delta("codedeploy", "ListApplications") == 1
    assert delta("codedeploy", "UpdateDeploymentGroup") == 0
    assert delta("cloudwatch", "DescribeAlarms") == 1
    assert delta("elbv2", "DescribeLoadBalancers") == 1
