# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.common import AnsibleCodeDeployError
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.on_premises import instance_to_ansible
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.on_premises import plan
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.on_premises import plan_absent
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.on_premises import plan_present
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.on_premises import registration

SESSION = "arn:aws:sts::123456789012:assumed-role/onprem/web-1"
USER = "arn:aws:iam::123456789012:user/web-1"
REGISTERED = {"instance_name": "web-1", "iam_session_arn": SESSION, "tags": {"site": "berlin", "role": "web"}}
DEREGISTERED = {**REGISTERED, "deregister_time": "2026-12-06T23:00:00+00:00"}


def params(**overrides):
    return {
        "name": "web-1",
        "iam_session_arn": SESSION,
        "iam_user_arn": None,
        "tags": None,
        "purge_tags": True,
        **overrides,
    }


@pytest.mark.parametrize(
    "current, given, register, to_remove, to_add, tags_after",
    [
        # not known, or deregistered: register, then tag
        ({}, params(tags={"site": "berlin"}), True, {}, {"site": "berlin"}, {"site": "berlin"}),
        (DEREGISTERED, params(), True, {}, {}, {}),
        # registered: tags None leaves them alone
        (REGISTERED, params(), False, {}, {}, REGISTERED["tags"]),
        (REGISTERED, params(tags={"site": "berlin", "role": "web"}), False, {}, {}, REGISTERED["tags"]),
        # purge removes the tags not given, with their current values (RemoveTags matches key and value)
        (REGISTERED, params(tags={"site": "berlin"}), False, {"role": "web"}, {}, {"site": "berlin"}),
        (
            REGISTERED,
            params(tags={"canary": 1}, purge_tags=False),
            False,
            {},
            {"canary": "1"},
            {"site": "berlin", "role": "web", "canary": "1"},
        ),
        # a changed value: the old pair is removed and the new one added
        (
            REGISTERED,
            params(tags={"site": "paris", "role": "web"}),
            False,
            {"site": "berlin"},
            {"site": "paris"},
            {"site": "paris", "role": "web"},
        ),
    ],
)
def test_plan_present(current, given, register, to_remove, to_add, tags_after):
    plan = plan_present(current, given)
    assert (plan.register, plan.deregister, plan.tags_to_remove, plan.tags_to_add) == (
        register,
        False,
        to_remove,
        to_add,
    )
    assert plan.after == {"iam_session_arn": SESSION, "tags": tags_after}
    assert plan.changed == bool(register or to_remove or to_add)


@pytest.mark.parametrize(
    "given, option",
    [
        (params(iam_session_arn="arn:aws:sts::123456789012:assumed-role/onprem/other"), "iam_session_arn"),
        (params(iam_session_arn=None, iam_user_arn=USER), "iam_user_arn"),
    ],
)
def test_plan_present_refuses_another_arn(given, option):
    with pytest.raises(AnsibleCodeDeployError) as caught:
        plan_present(REGISTERED, given)
    message = caught.value.message
    assert message.startswith(f"{option}: on-premises instance 'web-1' is registered with iam_session_arn {SESSION}")
    assert "Deregister it first (state: absent)" in message


def test_plan_present_refuses_empty_arns():
    with pytest.raises(AnsibleCodeDeployError) as caught:
        plan_present({}, params(iam_session_arn=""))
    assert caught.value.message.startswith("iam_session_arn, iam_user_arn: give the ARN")


def test_plan_present_takes_any_partition():
    arn = "arn:aws-us-gov:iam::123456789012:user/web-1"
    plan = plan_present({}, params(iam_session_arn=None, iam_user_arn=arn))
    assert plan.register and plan.after == {"iam_user_arn": arn, "tags": {}}


@pytest.mark.parametrize(
    "current, deregister, to_remove",
    [
        ({}, False, {}),
        (DEREGISTERED, False, {}),
        (REGISTERED, True, REGISTERED["tags"]),
        ({**REGISTERED, "tags": {}}, True, {}),
    ],
)
def test_plan_absent(current, deregister, to_remove):
    plan = plan_absent(current)
    assert (plan.register, plan.deregister, plan.tags_to_remove, plan.tags_to_add) == (False, deregister, to_remove, {})
    assert plan.changed == deregister


def test_registration_is_what_diff_shows():
    assert registration(REGISTERED) == {"iam_session_arn": SESSION, "tags": REGISTERED["tags"]}
    assert registration(DEREGISTERED) == {}
    assert registration({}) == {}


def test_instance_to_ansible_keeps_tag_keys():
    info = {"instanceName": "web-1", "iamUserArn": USER, "tags": [{"Key": "SiteName", "Value": "Berlin"}]}
    assert instance_to_ansible(info) == {"instance_name": "web-1", "iam_user_arn": USER, "tags": {"SiteName": "Berlin"}}
    assert instance_to_ansible(None) == {}


def test_the_plan_follows_the_state():
    assert plan(REGISTERED, params(state="present", tags={})) == plan_present(REGISTERED, params(tags={}))
    assert plan(REGISTERED, params(state="absent")) == plan_absent(REGISTERED)
