# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_planning import group_runs
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_planning import is_rollback
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_planning import plan_continued
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_planning import plan_present
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_planning import plan_rolled_back
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_planning import plan_stopped
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_planning import (
    rollback_description,
)
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_planning import rolled_back_from


def s3(key: str, e_tag: str | None = None) -> dict:
    location = {"bucket": "bundles", "key": key, "bundleType": "zip"}
    if e_tag:
        location["eTag"] = e_tag
    return {"revisionType": "S3", "s3Location": location}


def deployment(deployment_id: str, revision: dict, status: str = "Succeeded", created: float = 0, **extra) -> dict:
    return {"deploymentId": deployment_id, "revision": revision, "status": status, "createTime": created, **extra}


R1, R2, R3 = s3("app-1.zip", "e1"), s3("app-2.zip", "e2"), s3("app-3.zip", "e3")


def group_with(last_success: dict | None, last_attempt: dict | None = None) -> dict:
    group: dict = {}
    if last_success:
        group["lastSuccessfulDeployment"] = {"deploymentId": last_success["deploymentId"], "status": "Succeeded", "createTime": last_success["createTime"]}
    attempt = last_attempt or last_success
    if attempt:
        group["lastAttemptedDeployment"] = {"deploymentId": attempt["deploymentId"], "status": attempt["status"], "createTime": attempt["createTime"]}
    return group


class TestPlanPresent:
    def test_group_running_the_revision_needs_nothing(self):
        d1 = deployment("d-1", R1, created=1)
        plan = plan_present(R1, group_with(d1), [], d1, force=False, when_busy="wait")
        assert plan.action == "none"
        assert "d-1" in plan.reason

    def test_force_deploys_again(self):
        d1 = deployment("d-1", R1, created=1)
        plan = plan_present(R1, group_with(d1), [], d1, force=True, when_busy="wait")
        assert (plan.action, plan.revision) == ("create", R1)
        assert plan.reason.startswith("force")

    def test_other_revision_is_deployed(self):
        d1 = deployment("d-1", R1, created=1)
        plan = plan_present(R2, group_with(d1), [], d1, force=False, when_busy="wait")
        assert (plan.action, plan.revision) == ("create", R2)

    def test_first_deployment_of_a_group(self):
        plan = plan_present(R1, {}, [], None, force=False, when_busy="wait")
        assert plan.action == "create"

    def test_same_revision_in_flight_is_attached_to(self):
        in_flight = deployment("d-2", R2, status="InProgress", created=2)
        plan = plan_present(R2, {}, [in_flight], None, force=False, when_busy="fail")
        assert (plan.action, plan.deployment["deploymentId"]) == ("attach", "d-2")

    def test_attach_even_with_force(self):
        # force means "deploy again", not "start a second deployment beside the running one" (CodeDeploy refuses that).
        in_flight = deployment("d-2", R2, status="Created", created=2)
        assert plan_present(R2, {}, [in_flight], None, force=True, when_busy="wait").action == "attach"

    @pytest.mark.parametrize("when_busy, action", [("wait", "wait_for_other"), ("stop", "stop_other"), ("fail", "fail")])
    def test_other_revision_in_flight_follows_when_busy(self, when_busy, action):
        in_flight = deployment("d-3", R3, status="InProgress", created=3)
        plan = plan_present(R2, {}, [in_flight], None, force=False, when_busy=when_busy)
        assert plan.action == action
        assert plan.deployment["deploymentId"] == "d-3"
        assert "d-3" in plan.reason and "app-3.zip" in plan.reason

    def test_failed_attempt_after_last_success_redeploys(self):
        # d-2 (R2) failed after d-1 (R1) succeeded: instances may be half on R2, so R1 is deployed again.
        d1 = deployment("d-1", R1, created=1)
        d2 = deployment("d-2", R2, status="Failed", created=2)
        assert not group_runs(R1, group_with(d1, d2), d1)
        assert plan_present(R1, group_with(d1, d2), [], d1, force=False, when_busy="wait").action == "create"

    def test_later_successful_attempt_still_counts(self):
        d1 = deployment("d-1", R1, created=1)
        launch = deployment("d-9", R1, status="Succeeded", created=5)
        assert group_runs(R1, group_with(d1, launch), d1)

    def test_unpinned_revision_matches_by_location(self):
        d1 = deployment("d-1", s3("app-1.zip", "e1"), created=1)
        assert group_runs(s3("app-1.zip"), group_with(d1), d1)
        assert not group_runs(s3("app-1.zip", "other"), group_with(d1), d1)


class TestPlanRolledBack:
    def test_goes_back_to_the_previous_revision(self):
        d1, d2 = deployment("d-1", R1, created=1), deployment("d-2", R2, created=2)
        plan = plan_rolled_back([], d2, None, [d2, d1], "wait", None)
        assert (plan.action, plan.revision, plan.extra["rollback_target"]["deploymentId"]) == ("create", R1, "d-1")

    def test_skips_redeploys_of_the_same_revision(self):
        d1, d2, d3 = deployment("d-1", R1, created=1), deployment("d-2", R2, created=2), deployment("d-3", R2, created=3)
        assert plan_rolled_back([], d3, None, [d3, d2, d1], "wait", None).revision == R1

    def test_after_a_failed_deployment_goes_back_to_the_last_good_one(self):
        d1, d2 = deployment("d-1", R1, created=1), deployment("d-2", R2, created=2)
        d3 = deployment("d-3", R3, status="Failed", created=3)
        assert plan_rolled_back([], d3, None, [d2, d1], "wait", None).revision == R2

    def test_our_successful_rollback_is_not_rolled_back_again(self):
        d1, d2 = deployment("d-1", R1, created=1), deployment("d-2", R2, created=2)
        d3 = deployment("d-3", R1, created=3, description=rollback_description(d2, d1, None))
        plan = plan_rolled_back([], d3, None, [d3, d2, d1], "wait", None)
        assert plan.action == "none"
        assert "d-3" in plan.reason

    def test_automatic_rollback_counts_as_rolled_back(self):
        d1 = deployment("d-1", R1, created=1)
        auto = deployment("d-4", R1, created=4, creator="codeDeployRollback", rollbackInfo={"rollbackTriggeringDeploymentId": "d-3"})
        assert plan_rolled_back([], auto, None, [auto, d1], "wait", None).action == "none"

    def test_failed_rollback_is_retried_from_the_deployment_it_undid(self):
        d1, d2 = deployment("d-1", R1, created=1), deployment("d-2", R2, created=2)
        failed_rollback = deployment("d-3", R1, status="Failed", created=3, description=rollback_description(d2, d1, "oops"))
        assert rolled_back_from(failed_rollback) == "d-2"
        plan = plan_rolled_back([], failed_rollback, d2, [d2, d1], "wait", None)
        assert (plan.action, plan.revision) == ("create", R1)

    def test_nothing_to_roll_back_to(self):
        d1 = deployment("d-1", R1, created=1)
        plan = plan_rolled_back([], d1, None, [d1], "wait", None)
        assert plan.action == "fail"
        assert "nothing to roll back to" in plan.reason

    def test_no_deployments_at_all(self):
        assert plan_rolled_back([], None, None, [], "wait", None).action == "fail"

    def test_rollback_description_carries_the_marker_and_the_user_text(self):
        text = rollback_description({"deploymentId": "d-2"}, {"deploymentId": "d-1"}, "incident 42")
        assert is_rollback({"description": text})
        assert text.endswith("incident 42")
        assert not is_rollback({"description": "release 1.2", "creator": "user"})


class TestStopAndContinue:
    @pytest.mark.parametrize("status", ["Created", "Queued", "InProgress", "Ready"])
    def test_stop_in_flight(self, status):
        assert plan_stopped(deployment("d-1", R1, status=status)).action == "stop"

    @pytest.mark.parametrize("status", ["Succeeded", "Failed", "Stopped"])
    def test_nothing_to_stop(self, status):
        plan = plan_stopped(deployment("d-1", R1, status=status))
        assert plan.action == "none"
        assert status in plan.reason

    def test_nothing_in_flight(self):
        assert plan_stopped(None).action == "none"
        assert plan_continued(None).action == "none"

    def test_ready_is_continued_with_ready_wait(self):
        plan = plan_continued(deployment("d-1", R1, status="Ready"))
        assert (plan.action, plan.extra["wait_type"]) == ("continue", "READY_WAIT")

    def test_termination_wait_is_ended(self):
        plan = plan_continued(deployment("d-1", R1, status="InProgress", instanceTerminationWaitTimeStarted=True))
        assert (plan.action, plan.extra["wait_type"]) == ("continue", "TERMINATION_WAIT")

    def test_in_progress_without_wait_is_left_alone(self):
        assert plan_continued(deployment("d-1", R1, status="InProgress")).action == "none"
