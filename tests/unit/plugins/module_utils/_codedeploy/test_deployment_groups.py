# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
import yaml
from ansible_collections.rollout.codedeploy.plugins.doc_fragments.ec2_deployment_options import ModuleDocFragment
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.common import AnsibleCodeDeployError
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_groups import FIELDS
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_groups import api_members
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_groups import comparable
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_groups import create_request
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_groups import (
    ec2_deployment_options_spec,
)
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_groups import new_group
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_groups import plan_group
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_groups import predict
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_groups import (
    retry_on_role_propagation,
)
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_groups import (
    substitute_copied_groups,
)
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.transformations import to_ansible_resource
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/CodeDeployServiceRole"


def params(**options):
    """Module params as AnsibleModule hands them over: every option present, unset ones None."""
    result = {option: None for option in FIELDS}
    result.update(application_name="DemoApp", name="demo-group", accept_copied_auto_scaling_groups=True)
    result.update(options)
    return result


def sub(**suboptions):
    """A dict option whose suboptions the task leaves unset are None, as AnsibleModule fills them."""
    return suboptions


# What GetDeploymentGroup answers for the console tutorial's demo-group.
DEMO_GROUP = {
    "applicationName": "DemoApp",
    "deploymentGroupId": "3c1e0a1b-2d3e-4f5a-8b7c-9d0e1f2a3b4c",
    "deploymentGroupName": "demo-group",
    "deploymentConfigName": "CodeDeployDefault.OneAtATime",
    "ec2TagFilters": [],
    "onPremisesInstanceTagFilters": [],
    "autoScalingGroups": [
        {"name": "demo-asg", "hook": "CodeDeploy-managed-automatic-launch-deployment-hook-demo-group-1"}
    ],
    "serviceRoleArn": ROLE,
    "triggerConfigurations": [],
    "autoRollbackConfiguration": {"enabled": False},
    "deploymentStyle": {"deploymentType": "IN_PLACE", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
    "outdatedInstancesStrategy": "UPDATE",
    "loadBalancerInfo": {"elbInfoList": [{"name": "demo-clb"}]},
    "onPremisesTagSet": {"onPremisesTagSetList": []},
    "computePlatform": "Server",
    "terminationHookEnabled": False,
}

DEMO_PARAMS = dict(
    service_role_arn=ROLE,
    deployment_config_name="CodeDeployDefault.OneAtATime",
    deployment_style=sub(deployment_type="IN_PLACE", deployment_option="WITH_TRAFFIC_CONTROL"),
    auto_scaling_groups=["demo-asg"],
    load_balancer_info=sub(
        elb_info_list=[{"name": "demo-clb"}], target_group_info_list=None, target_group_pair_info_list=None
    ),
)


def group(**changes):
    result = dict(DEMO_GROUP)
    result.update(changes)
    return result


def test_create_sends_what_the_task_sets_and_nothing_else():
    plan = plan_group(None, params(**DEMO_PARAMS))
    request = create_request("DemoApp", "demo-group", plan, {"team": "web"})
    assert request == {
        "applicationName": "DemoApp",
        "deploymentGroupName": "demo-group",
        "serviceRoleArn": ROLE,
        "deploymentStyle": {"deploymentType": "IN_PLACE", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        "autoScalingGroups": ["demo-asg"],
        "loadBalancerInfo": {"elbInfoList": [{"name": "demo-clb"}], "targetGroupInfoList": []},
        "tags": [{"Key": "team", "Value": "web"}],
    }


def test_same_task_again_plans_no_request():
    plan = plan_group(DEMO_GROUP, params(**DEMO_PARAMS))
    assert plan.request == {}
    assert not plan.differences


def test_unset_options_are_left_alone():
    plan = plan_group(DEMO_GROUP, params(deployment_config_name="CodeDeployDefault.AllAtOnce"))
    assert plan.request == {"deploymentConfigName": "CodeDeployDefault.AllAtOnce"}
    assert plan.differences.names == ["deployment_config_name"]


@pytest.mark.parametrize(
    "current, options",
    [
        ({"autoScalingGroups": [{"name": "b"}, {"name": "a"}]}, {"auto_scaling_groups": ["a", "b"]}),
        (
            {
                "alarmConfiguration": {
                    "enabled": True,
                    "ignorePollAlarmFailure": False,
                    "alarms": [{"name": "y"}, {"name": "x"}],
                }
            },
            {
                "alarm_configuration": sub(
                    enabled=None, ignore_poll_alarm_failure=None, alarms=[{"name": "x"}, {"name": "y"}]
                )
            },
        ),
        (
            {"ec2TagFilters": [{"Key": "b", "Value": "2", "Type": "KEY_AND_VALUE"}, {"Key": "a", "Type": "KEY_ONLY"}]},
            {"ec2_tag_filters": [{"key": "a", "value": None, "type": None}, {"key": "b", "value": "2", "type": None}]},
        ),
        (
            {
                "triggerConfigurations": [
                    {
                        "triggerName": "t",
                        "triggerTargetArn": "arn:sns",
                        "triggerEvents": ["DeploymentSuccess", "DeploymentFailure"],
                    }
                ]
            },
            {
                "trigger_configurations": [
                    {
                        "trigger_name": "t",
                        "trigger_target_arn": "arn:sns",
                        "trigger_events": ["DeploymentFailure", "DeploymentSuccess"],
                    }
                ]
            },
        ),
        (
            {
                "autoRollbackConfiguration": {
                    "enabled": True,
                    "events": ["DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_FAILURE"],
                }
            },
            {
                "auto_rollback_configuration": sub(
                    enabled=True, events=["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]
                )
            },
        ),
    ],
)
def test_unordered_lists_compare_as_sets(current, options):
    assert plan_group(group(**current), params(**options)).request == {}


@pytest.mark.parametrize(
    "current, options, expected",
    [
        (
            {"alarmConfiguration": {"enabled": True, "ignorePollAlarmFailure": True, "alarms": [{"name": "x"}]}},
            {"alarm_configuration": sub(enabled=None, ignore_poll_alarm_failure=None, alarms=None)},
            {"alarmConfiguration": {"enabled": False, "ignorePollAlarmFailure": False, "alarms": []}},
        ),
        (
            {"autoRollbackConfiguration": {"enabled": True, "events": ["DEPLOYMENT_FAILURE"]}},
            {"auto_rollback_configuration": sub(enabled=None, events=None)},
            {"autoRollbackConfiguration": {"enabled": False, "events": []}},
        ),
        ({}, {"auto_scaling_groups": []}, {"autoScalingGroups": []}),
        (
            {"triggerConfigurations": [{"triggerName": "t", "triggerTargetArn": "arn:sns", "triggerEvents": []}]},
            {"trigger_configurations": []},
            {"triggerConfigurations": []},
        ),
        (
            {"ec2TagSet": {"ec2TagSetList": [[{"Key": "a", "Type": "KEY_ONLY"}]]}},
            {"ec2_tag_set": sub(ec2_tag_set_list=None)},
            {"ec2TagSet": {"ec2TagSetList": []}},
        ),
        (
            {"ec2TagFilters": [{"Key": "a", "Type": "KEY_ONLY"}]},
            {"ec2_tag_filters": []},
            {"ec2TagFilters": []},
        ),
        (
            {"deploymentStyle": {"deploymentType": "IN_PLACE", "deploymentOption": "WITHOUT_TRAFFIC_CONTROL"}},
            {
                "load_balancer_info": sub(
                    elb_info_list=None, target_group_info_list=None, target_group_pair_info_list=None
                )
            },
            {"loadBalancerInfo": {"elbInfoList": [], "targetGroupInfoList": []}},
        ),
        (
            {"ec2DeploymentOptions": {"autoScalingGroupProcessesToSuspend": ["Terminate"]}},
            {"ec2_deployment_options": sub(auto_scaling_group_processes_to_suspend=None)},
            {"ec2DeploymentOptions": {"autoScalingGroupProcessesToSuspend": []}},
        ),
    ],
)
def test_explicit_empty_sends_the_empty_or_disabled_value(current, options, expected):
    assert plan_group(group(**current), params(**options)).request == expected


def test_removing_what_is_already_absent_changes_nothing():
    options = dict(
        alarm_configuration=sub(enabled=None, ignore_poll_alarm_failure=None, alarms=None),
        auto_rollback_configuration=sub(enabled=None, events=None),
        trigger_configurations=[],
        ec2_tag_filters=[],
        ec2_tag_set=sub(ec2_tag_set_list=[]),
        on_premises_tag_set=sub(on_premises_tag_set_list=None),
        ec2_deployment_options=sub(auto_scaling_group_processes_to_suspend=[]),
        blue_green_deployment_configuration=sub(
            deployment_ready_option=None,
            green_fleet_provisioning_option=None,
            terminate_blue_instances_on_deployment_success=None,
        ),
    )
    assert plan_group(DEMO_GROUP, params(**options)).request == {}


def test_suboptions_left_unset_keep_the_current_value():
    current = group(
        deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        blueGreenDeploymentConfiguration={
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 60},
            "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0},
            "greenFleetProvisioningOption": {"action": "COPY_AUTO_SCALING_GROUP"},
        },
    )
    options = {
        "blue_green_deployment_configuration": sub(
            deployment_ready_option=None,
            green_fleet_provisioning_option=None,
            terminate_blue_instances_on_deployment_success=sub(action=None, termination_wait_time_in_minutes=0),
        )
    }
    plan = plan_group(current, params(**options))
    assert plan.request == {
        "blueGreenDeploymentConfiguration": {
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 0},
            "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0},
            "greenFleetProvisioningOption": {"action": "COPY_AUTO_SCALING_GROUP"},
        }
    }


@pytest.mark.parametrize(
    "options, enabled",
    [
        ({"alarm_configuration": sub(enabled=None, ignore_poll_alarm_failure=None, alarms=[{"name": "x"}])}, True),
        ({"alarm_configuration": sub(enabled=False, ignore_poll_alarm_failure=None, alarms=[{"name": "x"}])}, False),
    ],
)
def test_new_alarm_configuration_is_enabled_unless_told_otherwise(options, enabled):
    assert plan_group(DEMO_GROUP, params(**options)).request["alarmConfiguration"]["enabled"] is enabled


def test_alarm_enabled_setting_is_kept_when_alarms_change():
    current = group(alarmConfiguration={"enabled": False, "ignorePollAlarmFailure": False, "alarms": [{"name": "x"}]})
    options = {"alarm_configuration": sub(enabled=None, ignore_poll_alarm_failure=None, alarms=[{"name": "y"}])}
    assert plan_group(current, params(**options)).request["alarmConfiguration"]["enabled"] is False


BLUE_GREEN = group(
    deploymentGroupName="demo-blue-green",
    deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
    blueGreenDeploymentConfiguration={
        "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 0},
        "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT"},
        "greenFleetProvisioningOption": {"action": "COPY_AUTO_SCALING_GROUP"},
    },
    # CodeDeploy swapped the Auto Scaling group for its copy after a blue/green deployment.
    autoScalingGroups=[{"name": "CodeDeploy_demo-blue-green_d-HQU3QSJWA", "hook": "hook-2"}],
)


def test_copied_auto_scaling_group_stands_in_for_the_named_one():
    plan = plan_group(BLUE_GREEN, params(name="demo-blue-green", auto_scaling_groups=["demo-asg"]))
    assert plan.request == {}


def test_copied_auto_scaling_group_is_kept_when_the_list_changes():
    # An in-place group that once ran a blue/green deployment still deploys to the copy.
    current = group(autoScalingGroups=[{"name": "CodeDeploy_demo-group_d-HQU3QSJWA", "hook": "hook-2"}])
    plan = plan_group(current, params(auto_scaling_groups=["demo-asg", "extra-asg"]))
    assert plan.request == {"autoScalingGroups": ["CodeDeploy_demo-group_d-HQU3QSJWA", "extra-asg"]}


def test_copied_auto_scaling_group_replaced_when_not_accepted():
    plan = plan_group(
        BLUE_GREEN,
        params(name="demo-blue-green", auto_scaling_groups=["demo-asg"], accept_copied_auto_scaling_groups=False),
    )
    assert plan.request == {"autoScalingGroups": ["demo-asg"]}


@pytest.mark.parametrize(
    "current, desired, result",
    [
        (["CodeDeploy_g_d-HQU3QSJWA"], ["asg"], ["CodeDeploy_g_d-HQU3QSJWA"]),
        (["CodeDeploy_g_d-HQU3QSJWA", "other"], ["asg", "other"], ["CodeDeploy_g_d-HQU3QSJWA", "other"]),
        (["CodeDeploy_g_d-HQU3QSJWA"], ["asg", "new"], ["CodeDeploy_g_d-HQU3QSJWA", "new"]),
        (["CodeDeploy_other_d-HQU3QSJWA"], ["asg"], ["asg"]),  # a copy made for another group
        (["CodeDeploy_g_d-short"], ["asg"], ["asg"]),  # not a deployment id
        (["asg"], ["asg"], ["asg"]),
        (["CodeDeploy_g_d-HQU3QSJWA"], [], []),  # [] still removes
    ],
)
def test_substitute_copied_groups(current, desired, result):
    assert substitute_copied_groups(current, desired, "g") == result


def test_copy_in_a_group_whose_name_has_regex_characters():
    assert substitute_copied_groups(["CodeDeploy_a.b_d-ABCDEFGH1"], ["asg"], "a.b") == ["CodeDeploy_a.b_d-ABCDEFGH1"]
    assert substitute_copied_groups(["CodeDeploy_axb_d-ABCDEFGH1"], ["asg"], "a.b") == ["asg"]


@pytest.mark.parametrize(
    "current, options, option_named",
    [
        (None, {"auto_scaling_groups": ["demo-asg"]}, "service_role_arn"),
        (None, {"service_role_arn": "CodeDeployServiceRole"}, "service_role_arn"),
        (
            None,
            {
                "service_role_arn": ROLE,
                "ec2_tag_filters": [{"key": "a", "value": "1", "type": None}],
                "ec2_tag_set": sub(ec2_tag_set_list=[[{"key": "b", "value": "2"}]]),
            },
            "ec2_tag_filters and ec2_tag_set",
        ),
        (
            {"ec2TagFilters": [{"Key": "a", "Type": "KEY_ONLY"}]},
            {"ec2_tag_set": sub(ec2_tag_set_list=[[{"key": "b", "value": "2"}]])},
            "Set ec2_tag_filters: []",
        ),
        (
            None,
            {
                "service_role_arn": ROLE,
                "on_premises_instance_tag_filters": [{"key": "a", "value": "1", "type": None}],
                "on_premises_tag_set": sub(on_premises_tag_set_list=[[{"key": "b"}]]),
            },
            "on_premises_instance_tag_filters and on_premises_tag_set",
        ),
        (None, {"service_role_arn": ROLE, "ec2_tag_set": sub(ec2_tag_set_list=[[{"key": "a"}]] * 4)}, "ec2_tag_set"),
        (
            None,
            {"service_role_arn": ROLE, "ec2_tag_set": sub(ec2_tag_set_list=[{"key": "a"}])},
            "ec2_tag_set.ec2_tag_set_list",
        ),
        (
            None,
            {"service_role_arn": ROLE, "ec2_tag_set": sub(ec2_tag_set_list=[[{"name": "a"}]])},
            "ec2_tag_set.ec2_tag_set_list",
        ),
        (
            None,
            {
                "service_role_arn": ROLE,
                "deployment_style": sub(deployment_type="BLUE_GREEN", deployment_option="WITH_TRAFFIC_CONTROL"),
            },
            "load_balancer_info",
        ),
        (
            {"deploymentStyle": {"deploymentType": "IN_PLACE", "deploymentOption": "WITHOUT_TRAFFIC_CONTROL"}},
            {"deployment_style": sub(deployment_type="BLUE_GREEN", deployment_option=None)},
            "deployment_style",
        ),
        (
            {},
            {
                "load_balancer_info": sub(
                    elb_info_list=[], target_group_info_list=None, target_group_pair_info_list=None
                )
            },
            "load_balancer_info",  # in place WITH_TRAFFIC_CONTROL without a load balancer
        ),
        (
            BLUE_GREEN,
            {"auto_scaling_groups": ["demo-asg", "extra-asg"], "accept_copied_auto_scaling_groups": False},
            "auto_scaling_groups",
        ),
        (
            {},
            {"alarm_configuration": sub(enabled=True, ignore_poll_alarm_failure=None, alarms=[])},
            "alarm_configuration.alarms",
        ),
        (
            {},
            {"auto_rollback_configuration": sub(enabled=True, events=None)},
            "auto_rollback_configuration.events",
        ),
    ],
)
def test_bad_input_fails_naming_the_option(current, options, option_named):
    info = None if current is None else group(**current) if current is not BLUE_GREEN else BLUE_GREEN
    name = "demo-blue-green" if current is BLUE_GREEN else "demo-group"
    with pytest.raises(AnsibleCodeDeployError) as error:
        plan_group(info, params(name=name, **options))
    assert option_named in error.value.message


def test_replacing_tag_filters_by_a_tag_set_in_one_task():
    current = group(ec2TagFilters=[{"Key": "a", "Type": "KEY_ONLY"}])
    options = {"ec2_tag_filters": [], "ec2_tag_set": sub(ec2_tag_set_list=[[{"key": "b", "value": "2"}]])}
    assert plan_group(current, params(**options)).request == {
        "ec2TagFilters": [],
        "ec2TagSet": {"ec2TagSetList": [[{"Key": "b", "Value": "2", "Type": "KEY_AND_VALUE"}]]},
    }


def test_predict_applies_changes_in_the_returned_shape():
    current = {
        "deployment_group_name": "demo-group",
        "auto_scaling_groups": [{"name": "demo-asg", "hook": "hook-1"}],
        "alarm_configuration": {"enabled": True, "ignore_poll_alarm_failure": False, "alarms": [{"name": "x"}]},
        "load_balancer_info": {"elb_info_list": [{"name": "demo-clb"}]},
        "ec2_tag_set": {"ec2_tag_set_list": [[{"key": "a", "type": "KEY_ONLY"}]]},
        "auto_rollback_configuration": {"enabled": True, "events": ["DEPLOYMENT_FAILURE"]},
    }
    changes = {
        "autoScalingGroups": ["demo-asg", "new-asg"],
        "alarmConfiguration": {"enabled": False, "ignorePollAlarmFailure": False, "alarms": []},
        "loadBalancerInfo": {},
        "ec2TagSet": {"ec2TagSetList": []},
        "autoRollbackConfiguration": {"enabled": False, "events": []},
        "ec2TagFilters": [{"Key": "a", "Type": "KEY_ONLY"}],
    }
    assert predict(current, changes) == {
        "deployment_group_name": "demo-group",
        "auto_scaling_groups": [{"name": "demo-asg", "hook": "hook-1"}, {"name": "new-asg"}],
        "alarm_configuration": {"enabled": False, "ignore_poll_alarm_failure": False, "alarms": []},
        "auto_rollback_configuration": {"enabled": False},
        "ec2_tag_filters": [{"key": "a", "type": "KEY_ONLY"}],
    }


def test_predicted_new_group_shows_what_codedeploy_shows_for_unset_members():
    plan = plan_group(None, params(**DEMO_PARAMS))
    predicted = predict(new_group("DemoApp", "demo-group"), {field: plan.effective[field] for field in plan.request})
    assert predicted == {
        "application_name": "DemoApp",
        "deployment_group_name": "demo-group",
        "service_role_arn": ROLE,
        "deployment_config_name": "CodeDeployDefault.OneAtATime",
        "deployment_style": {"deployment_type": "IN_PLACE", "deployment_option": "WITH_TRAFFIC_CONTROL"},
        "auto_scaling_groups": [{"name": "demo-asg"}],
        "ec2_tag_filters": [],
        "on_premises_instance_tag_filters": [],
        "trigger_configurations": [],
        "on_premises_tag_set": {"on_premises_tag_set_list": []},
        "auto_rollback_configuration": {"enabled": False},
        "outdated_instances_strategy": "UPDATE",
        "termination_hook_enabled": False,
        "load_balancer_info": {"elb_info_list": [{"name": "demo-clb"}]},
    }


def test_plan_predicts_the_new_group_and_knows_it_creates_it():
    plan = plan_group(None, params(**DEMO_PARAMS))
    assert plan.creating
    assert plan.predicted({}) == predict(
        new_group("DemoApp", "demo-group"), {field: plan.effective[field] for field in plan.request}
    )
    assert not plan_group(DEMO_GROUP, params(**DEMO_PARAMS)).creating


def test_plan_predicts_an_update_from_the_returned_group():
    current = to_ansible_resource(DEMO_GROUP, {"team": "web"})
    plan = plan_group(DEMO_GROUP, params(deployment_config_name="CodeDeployDefault.AllAtOnce"))
    assert plan.predicted(current) == dict(current, deployment_config_name="CodeDeployDefault.AllAtOnce")


# Every kind of member, with tag filters whose Key, Value and Type snake_case would lower.
EVERY_MEMBER = group(
    ec2TagSet={
        "ec2TagSetList": [
            [{"Key": "role", "Value": "web", "Type": "KEY_AND_VALUE"}],
            [{"Key": "site", "Type": "KEY_ONLY"}],
        ]
    },
    ec2TagFilters=[],
    onPremisesInstanceTagFilters=[{"Value": "berlin", "Type": "VALUE_ONLY"}],
    autoScalingGroups=[{"name": "demo-asg", "hook": "hook-1", "terminationHook": "hook-2"}],
    loadBalancerInfo={
        "targetGroupPairInfoList": [
            {
                "targetGroups": [{"name": "blue"}, {"name": "green"}],
                "prodTrafficRoute": {
                    "listenerArns": ["arn:aws:elasticloadbalancing:eu-central-1:123456789012:listener/x"]
                },
            }
        ]
    },
    blueGreenDeploymentConfiguration={
        "deploymentReadyOption": {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 30},
        "terminateBlueInstancesOnDeploymentSuccess": {"action": "KEEP_ALIVE", "terminationWaitTimeInMinutes": 0},
    },
    alarmConfiguration={"enabled": True, "ignorePollAlarmFailure": False, "alarms": [{"name": "errors"}]},
    triggerConfigurations=[
        {
            "triggerName": "t",
            "triggerTargetArn": "arn:aws:sns:eu-central-1:123456789012:t",
            "triggerEvents": ["DeploymentFailure"],
        }
    ],
    ec2DeploymentOptions={"autoScalingGroupProcessesToSuspend": ["AZRebalance"]},
    ecsServices=[{"serviceName": "web", "clusterName": "main"}],
    autoRollbackConfiguration={"enabled": True, "events": ["DEPLOYMENT_FAILURE"]},
)


@pytest.mark.parametrize("answered", [DEMO_GROUP, EVERY_MEMBER], ids=["demo-group", "every-member"])
def test_the_returned_group_compares_as_the_api_answer(answered):
    returned = to_ansible_resource(answered, {"team": "web"})
    assert comparable(api_members(returned)) == comparable(answered)


def test_no_returned_group_is_none():
    assert api_members({}) is None


def invalid_role() -> ClientError:
    return ClientError({"Error": {"Code": "InvalidRoleException", "Message": "not assumable"}}, "CreateDeploymentGroup")


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_role_propagation_retries_until_the_role_is_accepted():
    clock = FakeClock()
    answers = [invalid_role(), invalid_role(), {"deploymentGroupId": "id"}]

    def call():
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert retry_on_role_propagation(call, 120, sleep=clock.sleep, clock=clock.time) == {"deploymentGroupId": "id"}
    assert clock.sleeps == [2.0, 4.0]


def test_role_propagation_gives_up_after_the_timeout():
    clock = FakeClock()

    def call():
        raise invalid_role()

    with pytest.raises(ClientError):
        retry_on_role_propagation(call, 30, sleep=clock.sleep, clock=clock.time)
    assert sum(clock.sleeps) <= 30
    assert clock.sleeps == [2.0, 4.0, 8.0, 15.0]


def test_role_propagation_does_not_retry_other_errors():
    calls = []

    def call():
        calls.append(1)
        raise ClientError({"Error": {"Code": "InvalidEC2TagException", "Message": "bad"}}, "CreateDeploymentGroup")

    with pytest.raises(ClientError):
        retry_on_role_propagation(call, 120, sleep=lambda seconds: None)
    assert len(calls) == 1


def test_partial_blue_green_configuration_matches_what_codedeploy_completes():
    # CodeDeploy fills in the members a task leaves out; the same task again must not differ.
    current = group(
        deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        blueGreenDeploymentConfiguration={
            "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0},
            "greenFleetProvisioningOption": {"action": "COPY_AUTO_SCALING_GROUP"},
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 0},
        },
    )
    options = {
        "blue_green_deployment_configuration": sub(
            deployment_ready_option=None,
            green_fleet_provisioning_option=sub(action="COPY_AUTO_SCALING_GROUP"),
            terminate_blue_instances_on_deployment_success=None,
        )
    }
    assert plan_group(current, params(**options)).request == {}


def test_blue_green_configuration_of_defaults_only_equals_none():
    current = group(
        blueGreenDeploymentConfiguration={
            "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0},
            "greenFleetProvisioningOption": {"action": "DISCOVER_EXISTING"},
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 0},
        },
    )
    options = {
        "blue_green_deployment_configuration": sub(
            deployment_ready_option=None,
            green_fleet_provisioning_option=None,
            terminate_blue_instances_on_deployment_success=None,
        )
    }
    assert plan_group(current, params(**options)).request == {}


def test_new_group_request_leaves_out_what_equals_codedeploy_defaults():
    options = dict(
        service_role_arn=ROLE,
        outdated_instances_strategy="UPDATE",
        termination_hook_enabled=False,
        auto_scaling_groups=[],
        deployment_config_name="CodeDeployDefault.OneAtATime",
    )
    plan = plan_group(None, params(**options))
    assert plan.request == {"serviceRoleArn": ROLE}


def test_the_ec2_deployment_options_fragment_documents_the_spec():
    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    spec = ec2_deployment_options_spec()
    assert sorted(documented) == ["ec2_deployment_options"]
    suboptions = documented["ec2_deployment_options"]["suboptions"]
    assert sorted(suboptions) == sorted(spec["options"])
    for name, documentation in suboptions.items():
        assert documentation["type"] == spec["options"][name]["type"]
        assert documentation.get("elements") == spec["options"][name].get("elements")
        assert documentation.get("choices") == spec["options"][name].get("choices")


def test_each_ec2_deployment_options_spec_is_a_copy():
    first = ec2_deployment_options_spec()
    first["options"]["auto_scaling_group_processes_to_suspend"]["choices"].append("Launch")
    assert (
        "Launch" not in ec2_deployment_options_spec()["options"]["auto_scaling_group_processes_to_suspend"]["choices"]
    )
