# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The decisions of a codedeploy_deployment run, against a scripted stand-in for the CodeDeploy API.

What a real deployment does (hooks, the agent, the lab's engine) is tested by the integration target; here only
which calls the run decides to make, and what it reports, are checked.
"""

from __future__ import annotations

import itertools
import re
import typing as t

import pytest
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_planning import ROLLBACK_MARKER
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_runs import DeploymentTaskFailed
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_runs import Handoff
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_runs import create_request
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_runs import run
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.following import HEARTBEAT
from botocore.exceptions import ClientError

R1 = {"revisionType": "S3", "s3Location": {"bucket": "b", "key": "r1.zip", "bundleType": "zip", "eTag": "e1"}}
R2 = {"revisionType": "S3", "s3Location": {"bucket": "b", "key": "r2.zip", "bundleType": "zip", "eTag": "e2"}}
R2_OPTION = {
    "revision_type": "S3",
    "s3_location": {"bucket": "b", "key": "r2.zip", "bundle_type": "zip", "e_tag": "e2"},
}


class Pages:
    def __init__(self, key: str, items: list[str]) -> None:
        self.key, self.items = key, items

    def paginate(self, **_kwargs: t.Any) -> Pages:
        return self

    def build_full_result(self) -> dict[str, list[str]]:
        return {self.key: self.items}

    def __iter__(self) -> t.Iterator[dict[str, t.Any]]:
        return iter([{self.key: self.items}])


class FakeCodeDeploy:
    """Deployments advance one status per GetDeployment; calls are recorded."""

    def __init__(self) -> None:
        self.deployments: dict[str, dict[str, t.Any]] = {}
        self.scripts: dict[str, list[str]] = {}
        self.calls: list[tuple[str, dict[str, t.Any]]] = []
        self.group: dict[str, t.Any] = {
            "deploymentGroupName": "web",
            "applicationName": "app",
            "ec2TagFilters": [{"Key": "app", "Value": "web", "Type": "KEY_AND_VALUE"}],
        }
        self.targets: dict[str, list[dict[str, t.Any]]] = {}
        self.next_script: list[str] = ["Created", "InProgress", "Succeeded"]
        self.next_overview: dict[str, int] = {"Succeeded": 0}
        self.on_failure_rollback: str | None = None

    def add(
        self,
        deployment_id: str,
        revision: dict,
        status: str,
        created: float,
        script: list[str] | None = None,
        **extra: t.Any,
    ) -> dict:
        info = {
            "deploymentId": deployment_id,
            "revision": revision,
            "status": status,
            "createTime": created,
            "applicationName": "app",
            "deploymentGroupName": "web",
            "deploymentOverview": {"Succeeded": 0},
            **extra,
        }
        self.deployments[deployment_id] = info
        self.scripts[deployment_id] = list(script or [])
        return info

    def succeeded(self, deployment_id: str, revision: dict, created: float) -> None:
        self.add(deployment_id, revision, "Succeeded", created)
        self.group["lastSuccessfulDeployment"] = {
            "deploymentId": deployment_id,
            "status": "Succeeded",
            "createTime": created,
        }
        self.group["lastAttemptedDeployment"] = {
            "deploymentId": deployment_id,
            "status": "Succeeded",
            "createTime": created,
        }

    # --- the API surface the run uses ---
    def get_deployment_group(self, **kwargs: t.Any) -> dict:
        self.calls.append(("get_deployment_group", kwargs))
        return {"deploymentGroupInfo": self.group}

    def get_paginator(self, name: str) -> Pages:
        if name == "list_deployments":
            return _ListDeployments(self)
        if name == "list_deployment_targets":
            return _ListTargets(self)
        return Pages("instanceNames", [])

    def get_deployment(self, deploymentId: str) -> dict:
        self.calls.append(("get_deployment", {"deploymentId": deploymentId}))
        info = self.deployments[deploymentId]
        if self.scripts.get(deploymentId):
            info["status"] = self.scripts[deploymentId].pop(0)
            if info["status"] == "Failed" and self.on_failure_rollback:
                info["rollbackInfo"] = {"rollbackDeploymentId": self.on_failure_rollback}
        return {"deploymentInfo": dict(info)}

    def batch_get_deployments(self, deploymentIds: list[str]) -> dict:
        return {"deploymentsInfo": [dict(self.deployments[i]) for i in deploymentIds]}

    def list_deployment_targets(self, **kwargs: t.Any) -> dict:
        return {"targetIds": []}

    def batch_get_deployment_targets(self, deploymentId: str, targetIds: list[str]) -> dict:
        by_id = {target["targetId"]: target for target in self.targets.get(deploymentId, [])}
        return {"deploymentTargets": [{"instanceTarget": by_id[target_id]} for target_id in targetIds]}

    def create_deployment(self, **request: t.Any) -> dict:
        self.calls.append(("create_deployment", request))
        deployment_id = f"d-NEW{len(self.deployments)}"
        last = (self.group.get("lastSuccessfulDeployment") or {}).get("deploymentId")
        self.add(
            deployment_id,
            request.get("revision") or self.deployments[last]["revision"],  # a RESTART has none
            "Created",
            100 + len(self.deployments),
            list(self.next_script),
            description=request.get("description"),
            deploymentOverview=dict(self.next_overview),
        )
        return {"deploymentId": deployment_id}

    def stop_deployment(self, **kwargs: t.Any) -> dict:
        self.calls.append(("stop_deployment", kwargs))
        self.scripts[kwargs["deploymentId"]] = ["Stopped"]
        return {"status": "Succeeded"}

    def continue_deployment(self, **kwargs: t.Any) -> None:
        self.calls.append(("continue_deployment", kwargs))

    def created(self) -> list[dict[str, t.Any]]:
        return [request for name, request in self.calls if name == "create_deployment"]


class _ListDeployments(Pages):
    def __init__(self, fake: FakeCodeDeploy) -> None:
        super().__init__("deployments", [])
        self.fake = fake

    def paginate(self, **kwargs: t.Any) -> Pages:
        statuses = kwargs.get("includeOnlyStatuses")
        ids = [i for i, info in self.fake.deployments.items() if not statuses or info["status"] in statuses]
        return Pages("deployments", ids)


class _ListTargets(Pages):
    def __init__(self, fake: FakeCodeDeploy) -> None:
        super().__init__("targetIds", [])
        self.fake = fake

    def paginate(self, **kwargs: t.Any) -> Pages:
        statuses = (kwargs.get("targetFilters") or {}).get("TargetStatus")
        targets = self.fake.targets.get(kwargs["deploymentId"], [])
        return Pages(
            "targetIds", [target["targetId"] for target in targets if not statuses or target["status"] in statuses]
        )


class OtherServices:
    """The S3, EC2 and Auto Scaling the pre-flight reads: objects by key (their ETag), instances by tag, Auto Scaling
    groups' InService instances; a service in denied answers as AWS does to a caller it does not allow."""

    def __init__(self) -> None:
        self.objects: dict[str, str] = {"r1.zip": '"e1"', "r2.zip": '"e2"'}
        self.instances: dict[str, dict[str, str]] = {f"i-{n}": {"app": "web"} for n in range(3)}
        self.auto_scaling_groups: dict[str, list[str]] = {}
        self.denied: set[str] = set()
        self.calls: list[str] = []

    def __call__(self, service: str) -> _ServiceClient:
        return _ServiceClient(self, service)


class _ServiceClient:
    def __init__(self, world: OtherServices, service: str) -> None:
        self.world, self.service = world, service

    def _call(self, operation: str) -> None:
        self.world.calls.append(operation)
        if self.service in self.world.denied:
            code = "403" if self.service == "s3" else "UnauthorizedOperation"
            raise ClientError({"Error": {"Code": code, "Message": "denied"}}, operation)

    def head_object(self, Bucket: str, Key: str, **_kwargs: t.Any) -> dict:
        self._call("HeadObject")
        if Key not in self.world.objects:
            raise ClientError({"Error": {"Code": "404", "Message": "Not Found"}}, "HeadObject")
        return {"ETag": self.world.objects[Key]}

    def get_paginator(self, name: str) -> _ServiceClient:
        self.operation = name
        return self

    def paginate(self, **kwargs: t.Any) -> list[dict[str, t.Any]]:
        world = self.world
        if self.operation == "describe_instances":
            self._call("DescribeInstances")
            tag_filter = kwargs["Filters"][0]
            key = tag_filter["Name"].removeprefix("tag:")
            found = [{"InstanceId": i} for i, tags in world.instances.items() if tags.get(key) in tag_filter["Values"]]
            return [{"Reservations": [{"Instances": found}]}]
        self._call("DescribeAutoScalingGroups")
        groups = [
            {"Instances": [{"InstanceId": i, "LifecycleState": "InService"} for i in world.auto_scaling_groups[name]]}
            for name in kwargs["AutoScalingGroupNames"]
            if name in world.auto_scaling_groups
        ]
        return [{"AutoScalingGroups": groups}]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def params(**overrides: t.Any) -> dict[str, t.Any]:
    base = dict(
        application_name="app",
        deployment_group_name="web",
        state="present",
        revision=R2_OPTION,
        s3_bucket=None,
        github_repository=None,
        deployment_config_name=None,
        description=None,
        file_exists_behavior=None,
        ignore_application_stop_failures=None,
        update_outdated_instances_only=None,
        deployment_mode=None,
        auto_rollback_configuration=None,
        override_alarm_configuration=None,
        ec2_deployment_options=None,
        target_instances=None,
        force=False,
        when_busy="wait",
        deployment_id=None,
        rollback_on_stop=None,
        wait=True,
        wait_timeout=600,
        follow_rollback=True,
        return_all_targets=False,
    )
    return {**base, **overrides}


def run_task(
    fake: FakeCodeDeploy,
    check_mode: bool = False,
    handoff: dict | None = None,
    clock: Clock | None = None,
    others: OtherServices | None = None,
    warnings: list[str] | None = None,
    **overrides: t.Any,
) -> dict:
    """One run of the task; handoff is what the action plugin passes (a dict, as on the wire)."""
    clock = clock or Clock()
    return run(
        fake,
        params(**overrides),
        check_mode=check_mode,
        clients=others or OtherServices(),
        warn=(warnings if warnings is not None else []).append,
        handoff=Handoff.from_dict(handoff),
        clock=clock.time,
        sleep=clock.sleep,
    )


def states(lines: list[str]) -> list[str]:
    """Progress lines without the time elapsed they end with."""
    return [re.sub(r" \([0-9hms]+\)$", "", line) for line in lines]


def run_in_slices(fake: FakeCodeDeploy, handoffs: list[dict] | None = None, **overrides: t.Any) -> dict:
    """The task run as the action plugin runs it on a remote host: again with each hand-off until none comes back,
    the progress lines of every slice in the last result (a failure's too). handoffs collects those on the way."""
    clock, handoff, lines = Clock(), {"window": 1.0}, []
    handoffs = [] if handoffs is None else handoffs
    while True:
        try:
            result = run_task(fake, handoff=handoff, clock=clock, **overrides)
        except DeploymentTaskFailed as failure:
            lines.extend(failure.result["progress"])
            raise DeploymentTaskFailed(failure.message, {**failure.result, "progress": lines}) from failure
        lines.extend(result["progress"])
        if "progress_handoff" not in result:
            return {**result, "progress": lines}
        handoff = result.pop("progress_handoff")
        handoffs.append(handoff)


def test_deploys_a_new_revision_and_follows_it():
    fake = FakeCodeDeploy()
    fake.succeeded("d-1", R1, 1)
    result = run_task(fake, file_exists_behavior="OVERWRITE", deployment_config_name="CodeDeployDefault.AllAtOnce")
    assert result["changed"] is True
    request = fake.created()[0]
    assert request["revision"] == R2
    assert (request["fileExistsBehavior"], request["deploymentConfigName"]) == (
        "OVERWRITE",
        "CodeDeployDefault.AllAtOnce",
    )
    assert "ignoreApplicationStopFailures" not in request  # unset options are left to the group
    assert result["deployment"]["status"] == "Succeeded"
    assert states(result["progress"]) == ["d-NEW1: Created", "d-NEW1: InProgress", "d-NEW1: Succeeded"]


def test_same_revision_twice_creates_nothing():
    fake = FakeCodeDeploy()
    fake.succeeded("d-1", R2, 1)
    result = run_task(fake)
    assert result["changed"] is False
    assert fake.created() == []
    assert result["plan"]["action"] == "none"
    assert result["deployment"]["deployment_id"] == "d-1"


def test_attaches_to_the_same_revision_in_flight():
    fake = FakeCodeDeploy()
    fake.succeeded("d-1", R1, 1)
    fake.add("d-2", R2, "InProgress", 2, ["InProgress", "Succeeded"])
    result = run_task(fake)
    assert fake.created() == []
    assert (result["plan"]["action"], result["deployment"]["deployment_id"], result["changed"]) == (
        "attach",
        "d-2",
        True,
    )


def test_check_mode_creates_nothing_and_counts_targets():
    fake = FakeCodeDeploy()
    fake.succeeded("d-1", R1, 1)
    result = run_task(fake, check_mode=True)
    assert fake.created() == []
    assert result["changed"] is True
    assert result["plan"]["target_count"] == 3
    assert "to 3 targets" in result["msg"]


def test_when_busy_stop_stops_the_other_deployment_then_deploys():
    fake = FakeCodeDeploy()
    fake.succeeded("d-1", R1, 1)
    fake.add("d-2", R1, "InProgress", 2, ["InProgress"])
    result = run_task(fake, when_busy="stop")
    assert ("stop_deployment", {"deploymentId": "d-2", "autoRollbackEnabled": False}) in fake.calls
    assert len(fake.created()) == 1
    assert result["deployment"]["status"] == "Succeeded"


def test_when_busy_fail_changes_nothing():
    fake = FakeCodeDeploy()
    fake.add("d-2", R1, "InProgress", 2)
    with pytest.raises(DeploymentTaskFailed) as failure:
        run_task(fake, when_busy="fail")
    assert "d-2" in failure.value.message
    assert fake.created() == []


def test_failure_follows_the_automatic_rollback_and_reports_it():
    fake = FakeCodeDeploy()
    fake.succeeded("d-1", R1, 1)
    fake.next_script = ["InProgress", "Failed"]
    fake.on_failure_rollback = "d-RB"
    fake.add("d-RB", R1, "Created", 50, ["InProgress", "Succeeded"], creator="codeDeployRollback")
    with pytest.raises(DeploymentTaskFailed) as failure:
        run_task(fake)
    assert "failed" in failure.value.message
    assert failure.value.message.endswith(
        "automatic rollback d-RB succeeded: the group runs s3://b/r1.zip (zip, etag e1) again"
    )
    assert failure.value.result["rollback_deployment"]["deployment_id"] == "d-RB"


def test_timeout_fails_with_the_deployment_id():
    fake = FakeCodeDeploy()
    fake.next_script = ["InProgress"] * 10000
    with pytest.raises(DeploymentTaskFailed) as failure:
        run_task(fake, wait_timeout=30)
    assert "timed out after 30 s" in failure.value.message
    assert failure.value.result["deployment"]["deployment_id"].startswith("d-NEW")


def test_handoff_returns_on_progress_and_resumes():
    fake = FakeCodeDeploy()
    fake.succeeded("d-1", R1, 1)
    fake.next_script = ["Created", "InProgress", "InProgress", "InProgress", "InProgress", "InProgress", "Succeeded"]
    first = run_task(fake, handoff={"window": 1.0})
    handoff = first["progress_handoff"]
    assert handoff["deployment_id"].startswith("d-NEW") and first["changed"] is True
    assert first["progress"]
    second = run_task(fake, handoff=handoff)
    assert len(fake.created()) == 1  # resuming never creates again
    assert second["changed"] is True
    assert second["deployment"]["status"] == "Succeeded"


def test_rolled_back_redeploys_the_previous_revision_with_the_marker():
    fake = FakeCodeDeploy()
    fake.succeeded("d-1", R1, 1)
    fake.succeeded("d-2", R2, 2)
    result = run_task(fake, state="rolled_back", revision=None)
    request = fake.created()[0]
    assert request["revision"] == R1
    assert request["description"].startswith(f"{ROLLBACK_MARKER} d-2 to the revision of d-1")
    assert result["changed"] is True


def test_wait_false_returns_after_creating():
    fake = FakeCodeDeploy()
    result = run_task(fake, wait=False)
    assert result["deployment"]["status"] == "Created"
    assert "not waiting" in result["msg"]


def test_stopped_with_nothing_in_flight():
    fake = FakeCodeDeploy()
    fake.succeeded("d-1", R1, 1)
    result = run_task(fake, state="stopped", revision=None)
    assert result["changed"] is False
    assert not any(call[0] == "stop_deployment" for call in fake.calls)


def test_create_request_converts_overrides():
    request = create_request(
        params(
            auto_rollback_configuration={"enabled": True, "events": ["DEPLOYMENT_FAILURE"]},
            target_instances={
                "tag_filters": [{"key": "Name", "value": "green"}],
                "auto_scaling_groups": None,
                "ec2_tag_set": None,
            },
            ignore_application_stop_failures=True,
        ),
        R2,
        "release",
    )
    assert request["autoRollbackConfiguration"] == {"enabled": True, "events": ["DEPLOYMENT_FAILURE"]}
    assert request["targetInstances"] == {"tagFilters": [{"Key": "Name", "Value": "green", "Type": "KEY_AND_VALUE"}]}
    assert (request["ignoreApplicationStopFailures"], request["description"]) == (True, "release")


def test_create_request_converts_every_other_create_deployment_member():
    request = create_request(
        params(
            override_alarm_configuration={
                "enabled": False,
                "ignore_poll_alarm_failure": True,
                "alarms": [{"name": "web-5xx"}],
            },
            ec2_deployment_options={"auto_scaling_group_processes_to_suspend": ["AZRebalance", "Terminate"]},
            target_instances={
                "tag_filters": None,
                "auto_scaling_groups": None,
                "ec2_tag_set": {"ec2_tag_set_list": [[{"key": "role", "value": "green"}], [{"key": "env"}]]},
            },
            deployment_mode="STANDARD",
        ),
        R2,
        None,
    )
    assert request["overrideAlarmConfiguration"] == {
        "enabled": False,
        "ignorePollAlarmFailure": True,
        "alarms": [{"name": "web-5xx"}],
    }
    assert request["ec2DeploymentOptions"] == {"autoScalingGroupProcessesToSuspend": ["AZRebalance", "Terminate"]}
    assert request["targetInstances"] == {
        "ec2TagSet": {
            "ec2TagSetList": [
                [{"Key": "role", "Value": "green", "Type": "KEY_AND_VALUE"}],
                [{"Key": "env", "Type": "KEY_ONLY"}],
            ]
        }
    }
    assert (request["deploymentMode"], request["revision"]) == ("STANDARD", R2)
    assert "description" not in request


def test_create_request_of_a_restart_has_no_revision():
    request = create_request(params(deployment_mode="RESTART", revision=None), R1, None)
    assert request == {"applicationName": "app", "deploymentGroupName": "web", "deploymentMode": "RESTART"}


# ---- pre-flight ---------------------------------------------------------------------------------------------------


def test_a_missing_s3_object_fails_before_any_deployment_naming_the_bucket_and_key():
    fake, others = FakeCodeDeploy(), OtherServices()
    del others.objects["r2.zip"]
    with pytest.raises(DeploymentTaskFailed) as failure:
        run_task(fake, others=others)
    assert failure.value.message == "revision: s3://b/r2.zip does not exist in bucket b. No deployment was created."
    assert fake.created() == []
    assert failure.value.result["changed"] is False
    assert failure.value.result["plan"]["problems"] == ["revision: s3://b/r2.zip does not exist in bucket b"]


def test_an_s3_object_with_another_etag_fails_before_any_deployment():
    fake, others = FakeCodeDeploy(), OtherServices()
    others.objects["r2.zip"] = '"changed"'
    with pytest.raises(DeploymentTaskFailed) as failure:
        run_task(fake, others=others)
    assert "s3://b/r2.zip has ETag changed, not the e_tag given (e2)" in failure.value.message
    assert fake.created() == []


def test_a_group_that_selects_no_instance_fails_naming_the_group_and_its_selectors():
    fake, others = FakeCodeDeploy(), OtherServices()
    fake.group["autoScalingGroups"] = [{"name": "web-asg", "hook": "h"}]
    others.instances = {}
    with pytest.raises(DeploymentTaskFailed) as failure:
        run_task(fake, others=others)
    assert failure.value.message == (
        "group 'web' of application 'app' selects no instance (EC2 tag filters app=web; Auto Scaling groups web-asg "
        "(InService instances)): there is nothing to deploy to. No deployment was created."
    )
    assert fake.created() == []


def test_instances_of_the_groups_auto_scaling_group_are_enough():
    fake, others = FakeCodeDeploy(), OtherServices()
    fake.group = {**fake.group, "ec2TagFilters": [], "autoScalingGroups": [{"name": "web-asg"}]}
    others.instances, others.auto_scaling_groups = {}, {"web-asg": ["i-asg"]}
    run_task(fake, others=others)
    assert len(fake.created()) == 1


def test_an_ec2_tag_set_needs_a_match_in_every_tag_group():
    fake, others = FakeCodeDeploy(), OtherServices()
    both = [[{"Key": "app", "Value": "web", "Type": "KEY_AND_VALUE"}], [{"Key": "env", "Value": "prod"}]]
    fake.group = {**fake.group, "ec2TagFilters": [], "ec2TagSet": {"ec2TagSetList": both}}
    with pytest.raises(DeploymentTaskFailed, match=r"EC2 tag set \(app=web\) and \(env=prod\)"):
        run_task(fake, others=others)
    others.instances["i-0"]["env"] = "prod"
    run_task(fake, others=others)
    assert len(fake.created()) == 1


def test_target_instances_that_select_no_instance_fail_too():
    fake, others = FakeCodeDeploy(), OtherServices()
    green = {"tag_filters": [{"key": "fleet", "value": "green"}], "auto_scaling_groups": None, "ec2_tag_set": None}
    with pytest.raises(DeploymentTaskFailed, match="target_instances selects no instance .EC2 tag filters fleet=green"):
        run_task(fake, others=others, target_instances=green)
    assert fake.created() == []


def test_a_pre_flight_the_caller_may_not_make_is_a_warning_and_the_deployment_goes_ahead():
    fake, others, warnings = FakeCodeDeploy(), OtherServices(), []
    others.denied = {"s3", "ec2"}
    result = run_task(fake, others=others, warnings=warnings)
    assert len(fake.created()) == 1 and result["deployment"]["status"] == "Succeeded"
    assert warnings[0].startswith("could not count the instances group 'web' of application 'app' selects")
    assert warnings[1].startswith("could not check that s3://b/r2.zip exists before deploying it")


def test_check_mode_runs_the_pre_flight_and_warns_of_its_problems():
    fake, others, warnings = FakeCodeDeploy(), OtherServices(), []
    del others.objects["r2.zip"]
    result = run_task(fake, check_mode=True, others=others, warnings=warnings)
    assert fake.created() == [] and result["changed"] is True
    assert result["plan"]["problems"] == ["revision: s3://b/r2.zip does not exist in bucket b"]
    assert warnings == [
        "revision: s3://b/r2.zip does not exist in bucket b (check mode: an earlier task may make it right; "
        "a real run fails here)"
    ]


def test_no_pre_flight_when_nothing_is_created():
    fake, others = FakeCodeDeploy(), OtherServices()
    fake.succeeded("d-1", R2, 1)
    run_task(fake, others=others)
    assert others.calls == []


# ---- check mode of a first rollout: the group does not exist yet ----------------------------------------------------


class NoGroup(FakeCodeDeploy):
    def get_deployment_group(self, **kwargs: t.Any) -> dict:
        error = {"Error": {"Code": "ApplicationDoesNotExistException", "Message": "No application found for name: app"}}
        raise ClientError(error, "GetDeploymentGroup")


def test_check_mode_predicts_a_deployment_to_a_group_an_earlier_task_would_create():
    fake, others, warnings = NoGroup(), OtherServices(), []
    result = run_task(fake, check_mode=True, others=others, warnings=warnings)
    assert result["changed"] is True
    assert (result["plan"]["action"], result["plan"]["target_count"]) == ("create", None)
    assert (
        result["msg"] == "would deploy s3://b/r2.zip (zip, etag e2) to the targets of app/web, which does not exist yet"
    )
    assert warnings == [
        "deployment_group_name: group 'web' of application 'app' does not exist; in check mode an earlier task may "
        "create it (rollout.codedeploy.codedeploy_deployment_group)"
    ]
    assert others.calls == [] and fake.created() == []


@pytest.mark.parametrize("state", ["rolled_back", "stopped", "continued"])
def test_check_mode_of_other_states_on_a_group_that_does_not_exist_yet_changes_nothing(state):
    warnings: list[str] = []
    result = run_task(NoGroup(), check_mode=True, warnings=warnings, state=state, revision=None)
    assert result["changed"] is False and len(warnings) == 1


def test_a_group_that_does_not_exist_fails_outside_check_mode():
    with pytest.raises(AnsibleAWSError, match="group 'web' of application 'app' does not exist; create it first"):
        run_task(NoGroup())


# ---- deployment_mode=RESTART ---------------------------------------------------------------------------------------


def test_restart_runs_the_last_successful_revision_again_every_time():
    fake = FakeCodeDeploy()
    fake.succeeded("d-1", R1, 1)
    result = run_task(fake, deployment_mode="RESTART", revision=None)
    assert fake.created()[0] == {"applicationName": "app", "deploymentGroupName": "web", "deploymentMode": "RESTART"}
    assert result["plan"]["reason"] == "restart s3://b/r1.zip (zip, etag e1) (the revision of d-1)"
    assert result["changed"] is True


def test_restart_attaches_to_a_restart_in_flight():
    fake = FakeCodeDeploy()
    fake.succeeded("d-1", R1, 1)
    fake.add("d-2", R1, "InProgress", 2, ["Succeeded"], deploymentMode="RESTART")
    result = run_task(fake, deployment_mode="RESTART", revision=None)
    assert fake.created() == [] and result["plan"]["action"] == "attach"


def test_restart_without_a_successful_deployment_fails():
    with pytest.raises(DeploymentTaskFailed, match="the group has no successful deployment"):
        run_task(FakeCodeDeploy(), deployment_mode="RESTART", revision=None)


# ---- what a failed deployment's result holds -----------------------------------------------------------------------


def failed_fleet(return_all_targets: bool) -> DeploymentTaskFailed:
    fake = FakeCodeDeploy()
    fake.next_script = ["InProgress", "Failed"]
    fake.next_overview = {"Failed": 1, "Succeeded": 1, "Skipped": 2}
    fake.targets["d-NEW0"] = [
        {
            "targetId": "i-0",
            "status": "Failed",
            "lifecycleEvents": [{"lifecycleEventName": "Install", "status": "Failed"}],
        },
        {"targetId": "i-1", "status": "Succeeded", "lifecycleEvents": []},
        {"targetId": "i-2", "status": "Skipped", "lifecycleEvents": []},
        {"targetId": "i-3", "status": "Skipped", "lifecycleEvents": []},
    ]
    with pytest.raises(DeploymentTaskFailed) as failure:
        run_task(fake, return_all_targets=return_all_targets)
    return failure.value


def test_a_failed_deployment_lists_its_failed_targets_in_full_and_counts_the_others():
    result = failed_fleet(return_all_targets=False).result
    assert [target["target_id"] for target in result["deployment"]["targets"]] == ["i-0"]
    assert result["deployment"]["targets"][0]["lifecycle_events"][0]["lifecycle_event_name"] == "Install"
    assert result["deployment"]["omitted_targets"] == {"Succeeded": 1, "Skipped": 2}
    assert [failure["target_id"] for failure in result["failures"]] == ["i-0"]


def test_return_all_targets_lists_every_target_of_a_failed_deployment():
    result = failed_fleet(return_all_targets=True).result
    assert [target["target_id"] for target in result["deployment"]["targets"]] == ["i-0", "i-1", "i-2", "i-3"]
    assert "omitted_targets" not in result["deployment"]


# ---- the heartbeat across slices -----------------------------------------------------------------------------------


def test_a_long_wait_without_change_shows_a_line_each_heartbeat_in_slices_too():
    fake = FakeCodeDeploy()
    fake.next_script = ["Created"] + ["InProgress"] * 60 + ["Succeeded"]
    handoffs: list[dict] = []
    result = run_in_slices(fake, handoffs)
    assert states(result["progress"]) == [
        "d-NEW0: Created",
        "d-NEW0: InProgress",
        *["d-NEW0: InProgress"] * (len(result["progress"]) - 3),
        "d-NEW0: Succeeded",
    ]
    shown = [handoff["last_shown"] for handoff in handoffs]
    assert len(shown) > 3
    assert all(later - earlier <= HEARTBEAT + 1e-6 for earlier, later in itertools.pairwise(shown))


def waiting_for_another() -> FakeCodeDeploy:
    fake = FakeCodeDeploy()
    fake.succeeded("d-1", R1, 1)
    fake.add("d-2", R1, "InProgress", 2, ["InProgress", "InProgress", "InProgress", "Succeeded"])
    fake.next_script = ["Created", "InProgress", "InProgress", "InProgress", "Succeeded"]
    return fake


def failing_with_a_rollback() -> FakeCodeDeploy:
    fake = FakeCodeDeploy()
    fake.succeeded("d-1", R1, 1)
    fake.next_script = ["InProgress", "InProgress", "InProgress", "Failed"]
    fake.on_failure_rollback = "d-RB"
    # CodeDeploy creates the rollback when ours fails; until then no listing may show it (nor the task wait for it).
    fake.add("d-RB", R1, "(not created yet)", 50, ["InProgress"] * 4 + ["Succeeded"], creator="codeDeployRollback")
    return fake


def outcome(run_it: t.Callable[[], dict]) -> tuple[str | None, dict]:
    """The message and result of a run, its progress lines without their elapsed times (a run in slices polls at
    other moments than a whole run)."""
    try:
        message, result = None, run_it()
    except DeploymentTaskFailed as failure:
        message, result = failure.message, failure.result
    return message, {**result, "progress": states(result["progress"])}


@pytest.mark.parametrize("scenario", [waiting_for_another, failing_with_a_rollback])
def test_a_run_in_slices_ends_as_one_run_does(scenario):
    whole_fake, sliced_fake = scenario(), scenario()
    whole = outcome(lambda: run_task(whole_fake))
    sliced = outcome(lambda: run_in_slices(sliced_fake))
    assert sliced == whole
    assert sliced_fake.calls == whole_fake.calls


def test_the_handoff_keeps_the_plan_while_it_waits_for_another_deployment_then_follows_ours():
    handoffs: list[dict] = []
    run_in_slices(waiting_for_another(), handoffs)
    purposes = [(handoff["deployment_id"], handoff["purpose"]) for handoff in handoffs]
    assert ("d-2", "other") in purposes and ("d-NEW2", "ours") in purposes
    waiting = next(handoff for handoff in handoffs if handoff["purpose"] == "other")
    assert (waiting["changed"], waiting["plan"]["action"], waiting["plan"]["deployment_id"]) == (
        True,
        "wait_for_other",
        "d-2",
    )
    assert all(handoff["deadline"] == waiting["deadline"] for handoff in handoffs)  # one wait_timeout for the task


def test_the_handoff_names_the_failed_deployment_while_its_rollback_is_followed():
    handoffs: list[dict] = []
    with pytest.raises(DeploymentTaskFailed):
        run_in_slices(failing_with_a_rollback(), handoffs)
    following_rollback = [handoff for handoff in handoffs if handoff["purpose"] == "rollback"]
    assert following_rollback
    assert all(handoff["failed_deployment_id"] == "d-NEW2" for handoff in following_rollback)


def test_an_aws_error_after_creating_carries_the_new_deployments_id():
    class Refusing(FakeCodeDeploy):
        def get_deployment(self, deploymentId: str) -> dict:
            error = {"Error": {"Code": "InvalidDeploymentIdException", "Message": "no"}}
            raise ClientError(error, "GetDeployment")

    with pytest.raises(AnsibleAWSError) as caught:
        run_task(Refusing(), wait=False)
    assert caught.value.kwargs == {"deployment_id": "d-NEW0"}


def test_an_aws_error_before_any_deployment_is_known_carries_none():
    class Refusing(FakeCodeDeploy):
        def get_deployment_group(self, **kwargs: t.Any) -> dict:
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetDeploymentGroup")

    with pytest.raises(AnsibleAWSError) as caught:
        run_task(Refusing())
    assert "deployment_id" not in caught.value.kwargs


def test_stopping_reports_the_stop_and_the_deployment_it_stopped():
    fake = FakeCodeDeploy()
    fake.add("d-2", R2, "InProgress", 2)
    result = run_task(fake, state="stopped", revision=None, rollback_on_stop=False)
    assert ("stop_deployment", {"deploymentId": "d-2", "autoRollbackEnabled": False}) in fake.calls
    assert (result["changed"], result["plan"]["action"], result["plan"]["stop_status"]) == (True, "stop", "Succeeded")
    assert result["msg"] == "d-2 stopped; no automatic rollback started"
    assert result["deployment"]["status"] == "Stopped"


def test_check_mode_says_it_would_wait_for_the_other_deployment():
    fake = waiting_for_another()
    result = run_task(fake, check_mode=True)
    assert (
        result["msg"] == "deployment d-2 of s3://b/r1.zip (zip, etag e1) is in flight: would wait for it, then deploy"
    )
    assert result["changed"] is True and fake.created() == []
