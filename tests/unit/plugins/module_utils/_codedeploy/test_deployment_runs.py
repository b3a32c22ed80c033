# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The decisions of a codedeploy_deployment run, against a scripted stand-in for the CodeDeploy API.

What a real deployment does (hooks, the agent, the lab's engine) is tested by the integration target; here only
which calls the run decides to make, and what it reports, are checked.
"""

from __future__ import annotations

import typing as t

import pytest
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_planning import ROLLBACK_MARKER
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_runs import DeploymentTaskFailed
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_runs import Handoff
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_runs import create_request
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_runs import run
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


class FakeCodeDeploy:
    """Deployments advance one status per GetDeployment; calls are recorded."""

    def __init__(self) -> None:
        self.deployments: dict[str, dict[str, t.Any]] = {}
        self.scripts: dict[str, list[str]] = {}
        self.calls: list[tuple[str, dict[str, t.Any]]] = []
        self.group: dict[str, t.Any] = {"deploymentGroupName": "web", "applicationName": "app"}
        self.next_script: list[str] = ["Created", "InProgress", "Succeeded"]
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
        return Pages("targetIds", [])

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

    def batch_get_deployment_targets(self, **kwargs: t.Any) -> dict:
        return {"deploymentTargets": []}

    def create_deployment(self, **request: t.Any) -> dict:
        self.calls.append(("create_deployment", request))
        deployment_id = f"d-NEW{len(self.deployments)}"
        self.add(
            deployment_id,
            request["revision"],
            "Created",
            100 + len(self.deployments),
            list(self.next_script),
            description=request.get("description"),
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
        auto_rollback=None,
        target_instances=None,
        force=False,
        when_busy="wait",
        deployment_id=None,
        rollback_on_stop=None,
        wait=True,
        wait_timeout=600,
        follow_rollback=True,
        progress_handoff=None,
    )
    return {**base, **overrides}


def run_task(
    fake: FakeCodeDeploy,
    check_mode: bool = False,
    handoff: dict | None = None,
    clock: Clock | None = None,
    **overrides: t.Any,
) -> dict:
    """One run of the task; handoff is what the action plugin passes (a dict, as on the wire)."""
    clock = clock or Clock()
    return run(
        fake,
        params(**overrides),
        check_mode=check_mode,
        count_targets=lambda group, target_instances: 3,
        handoff=Handoff.from_dict(handoff),
        clock=clock.time,
        sleep=clock.sleep,
    )


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
    assert result["progress"] == ["d-NEW1: Created", "d-NEW1: InProgress", "d-NEW1: Succeeded"]


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
            auto_rollback={"enabled": True, "events": ["DEPLOYMENT_FAILURE"]},
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
    try:
        return None, run_it()
    except DeploymentTaskFailed as failure:
        return failure.message, failure.result


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
