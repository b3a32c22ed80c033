"""The API model the service loads from botocore: the member defaults it applies, and the type checks."""

from __future__ import annotations

import pytest

from codedeploy_lab.service import api_model
from codedeploy_lab.service import exceptions as exc

PYTHON_TYPES = {"boolean": bool, "integer": int, "long": int}


@pytest.mark.parametrize(("structure", "member"), sorted(api_model.MEMBER_DEFAULTS))
def test_every_default_names_a_member_of_botocores_model_with_its_type(structure, member):
    shape = api_model.shape(structure)
    assert member in shape.members
    default = api_model.MEMBER_DEFAULTS[(structure, member)]
    assert type(default) is PYTHON_TYPES[shape.members[member].type_name]


def test_omitted_members_of_given_structures_get_their_defaults():
    params = api_model.request(
        "CreateDeploymentGroup",
        {
            "applicationName": "app",
            "deploymentGroupName": "group",
            "blueGreenDeploymentConfiguration": {"terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE"}},
            "alarmConfiguration": {"alarms": [{"name": "alarm"}]},
        },
    )
    blue_green = params["blueGreenDeploymentConfiguration"]
    assert blue_green["terminateBlueInstancesOnDeploymentSuccess"] == {
        "action": "TERMINATE",
        "terminationWaitTimeInMinutes": 0,
    }
    assert "deploymentReadyOption" not in blue_green  # a default belongs to a member of a given structure
    assert params["alarmConfiguration"] == {
        "alarms": [{"name": "alarm"}],
        "enabled": False,
        "ignorePollAlarmFailure": False,
    }
    assert "autoRollbackConfiguration" not in params


def test_given_members_keep_their_values_and_lists_are_filled_item_by_item():
    params = api_model.request(
        "CreateDeploymentConfig",
        {
            "deploymentConfigName": "config",
            "minimumHealthyHosts": {"type": "HOST_COUNT"},
            "zonalConfig": {"minimumHealthyHostsPerZone": {"type": "FLEET_PERCENT", "value": 10}},
        },
    )
    assert params["minimumHealthyHosts"] == {"type": "HOST_COUNT", "value": 0}
    assert params["zonalConfig"]["minimumHealthyHostsPerZone"] == {"type": "FLEET_PERCENT", "value": 10}
    deployment = api_model.request(
        "CreateDeployment", {"applicationName": "app", "ignoreApplicationStopFailures": True}
    )
    assert deployment["ignoreApplicationStopFailures"] is True
    assert deployment["updateOutdatedInstancesOnly"] is False


def test_a_value_of_the_wrong_type_is_a_serialization_error():
    with pytest.raises(exc.Serialization, match=r"CreateDeploymentGroup.autoScalingGroups\[0\]: expected string"):
        api_model.request("CreateDeploymentGroup", {"autoScalingGroups": [5]})
