"""`codedeploy-lab status` lists every lab host with the addresses a user needs: EC2's private IP and Auto Scaling
group, the web server's unix socket, and the host's health in each load balancer."""

from __future__ import annotations

import json

from codedeploy_lab.testing import RunningLab
from codedeploy_lab.testing import run_cli

IMAGE = "ami-03cf127a"  # one of moto's default Amazon Linux AMIs


def _status(lab: RunningLab, *flags: str) -> str:
    return run_cli("status", *flags, "--state-dir", str(lab.state_dir)).stdout


def test_status_lists_hosts_with_their_addresses_in_every_region(lab: RunningLab) -> None:
    ec2 = lab.client("ec2")
    elb = lab.client("elb")
    autoscaling = lab.client("autoscaling")
    ireland = lab.client("ec2", region_name="eu-west-1")
    alone = ec2.run_instances(ImageId=IMAGE, MinCount=1, MaxCount=1)["Instances"][0]
    far = ireland.run_instances(ImageId=ireland.describe_images()["Images"][0]["ImageId"], MinCount=1, MaxCount=1)[
        "Instances"
    ][0]
    elb.create_load_balancer(
        LoadBalancerName="status-elb",
        AvailabilityZones=["us-east-1a"],
        Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80}],
    )
    elb.register_instances_with_load_balancer(
        LoadBalancerName="status-elb", Instances=[{"InstanceId": alone["InstanceId"]}]
    )
    autoscaling.create_launch_configuration(LaunchConfigurationName="status-lc", ImageId=IMAGE, InstanceType="t3.micro")
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="status-asg",
        LaunchConfigurationName="status-lc",
        MinSize=1,
        MaxSize=1,
        AvailabilityZones=["us-east-1a"],
    )
    grouped = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["status-asg"])["AutoScalingGroups"][0][
        "Instances"
    ][0]["InstanceId"]
    try:
        hosts = {host["instance_id"]: host for host in json.loads(_status(lab, "--json"))["hosts"]}
        text = _status(lab)
    finally:
        autoscaling.delete_auto_scaling_group(AutoScalingGroupName="status-asg", ForceDelete=True)
        elb.delete_load_balancer(LoadBalancerName="status-elb")
        ec2.terminate_instances(InstanceIds=[alone["InstanceId"], grouped])
        ireland.terminate_instances(InstanceIds=[far["InstanceId"]])

    assert hosts[alone["InstanceId"]]["private_ip"] == alone["PrivateIpAddress"]
    assert hosts[far["InstanceId"]]["private_ip"] == far["PrivateIpAddress"]
    assert hosts[grouped]["auto_scaling_group"] == "status-asg"
    assert hosts[alone["InstanceId"]]["auto_scaling_group"] is None
    assert hosts[alone["InstanceId"]]["web_socket"].endswith(f"/sockets/{alone['InstanceId']}/web.sock")
    assert set(hosts[alone["InstanceId"]]["load_balancers"]) == {"status-elb"}
    assert hosts[grouped]["load_balancers"] == {}
    line = next(line for line in text.splitlines() if alone["InstanceId"] in line)
    assert alone["PrivateIpAddress"] in line and "status-elb" in line
