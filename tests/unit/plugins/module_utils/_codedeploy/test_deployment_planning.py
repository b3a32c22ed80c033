# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_handoff import Purpose
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_planning import ROLLBACK_MARKER
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_planning import Selection
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_planning import Selectors
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_planning import expects_rollback
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_planning import (
    follows_until_ready,
)
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_planning import group_runs
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_planning import is_rollback
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_planning import (
    plan_after_failure,
)
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_planning import plan_conclusion
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_planning import plan_continued
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_planning import plan_ended
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_planning import plan_present
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_planning import plan_restart
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_planning import plan_rolled_back
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_planning import plan_stopped
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_planning import (
    plan_without_group,
)
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_planning import (
    preflight_problems,
)
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_planning import (
    rollback_description,
)
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_planning import rolled_back_from
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_planning import (
    targets_to_report,
)


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
        group["lastSuccessfulDeployment"] = {
            "deploymentId": last_success["deploymentId"],
            "status": "Succeeded",
            "createTime": last_success["createTime"],
        }
    attempt = last_attempt or last_success
    if attempt:
        group["lastAttemptedDeployment"] = {
            "deploymentId": attempt["deploymentId"],
            "status": attempt["status"],
            "createTime": attempt["createTime"],
        }
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

    @pytest.mark.parametrize(
        "when_busy, action", [("wait", "wait_for_other"), ("stop", "stop_other"), ("fail", "fail")]
    )
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
        d1, d2, d3 = (
            deployment("d-1", R1, created=1),
            deployment("d-2", R2, created=2),
            deployment("d-3", R2, created=3),
        )
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
        auto = deployment(
            "d-4", R1, created=4, creator="codeDeployRollback", rollbackInfo={"rollbackTriggeringDeploymentId": "d-3"}
        )
        assert plan_rolled_back([], auto, None, [auto, d1], "wait", None).action == "none"

    def test_failed_rollback_is_retried_from_the_deployment_it_undid(self):
        d1, d2 = deployment("d-1", R1, created=1), deployment("d-2", R2, created=2)
        failed_rollback = deployment(
            "d-3", R1, status="Failed", created=3, description=rollback_description(d2, d1, "oops")
        )
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

    @pytest.mark.parametrize(
        ("when_busy", "action"), [("wait", "wait_for_other"), ("stop", "stop_other"), ("fail", "fail")]
    )
    def test_a_deployment_in_flight_is_waited_for_stopped_or_fails_the_task(self, when_busy, action):
        in_flight = deployment("d-9", R2, status="InProgress", created=9)
        plan = plan_rolled_back([in_flight], None, None, [], when_busy, None)
        assert (plan.action, plan.deployment) == (action, in_flight)
        assert plan.reason.startswith("deployment d-9 is in flight")
        if when_busy == "fail":
            assert plan.reason == "deployment d-9 is in flight (InProgress); wait for it, stop it, or set when_busy"

    def test_the_rollback_describes_itself_with_the_user_text(self):
        d1, d2 = deployment("d-1", R1, created=1), deployment("d-2", R2, created=2)
        plan = plan_rolled_back([], d2, None, [d2, d1], "wait", "incident 42")
        assert plan.extra["description"] == f"{ROLLBACK_MARKER} d-2 to the revision of d-1: incident 42"
        assert plan_rolled_back([], d2, None, [d2, d1], "wait", None).extra["description"] == (
            f"{ROLLBACK_MARKER} d-2 to the revision of d-1"
        )

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


class TestFollowing:
    @pytest.mark.parametrize(
        ("state", "purpose", "until_ready"),
        [
            ("present", Purpose.OURS, True),
            ("rolled_back", Purpose.OURS, True),
            ("continued", Purpose.OURS, False),  # continuing a Ready deployment waits for traffic to move
            ("stopped", Purpose.OURS, False),
            ("present", Purpose.OTHER, False),  # another deployment parked in Ready is still in the way
            ("present", Purpose.ROLLBACK, False),
        ],
    )
    def test_only_the_tasks_own_new_deployment_is_done_in_ready(self, state, purpose, until_ready):
        assert follows_until_ready(state, purpose) is until_ready


def failed(status: str = "Failed", events: list[str] | None = None, enabled: bool = True, **extra) -> dict:
    config = {"enabled": enabled, "events": events if events is not None else ["DEPLOYMENT_FAILURE"]}
    return deployment("d-5", R2, status=status, created=5, autoRollbackConfiguration=config, **extra)


class TestWhenTheDeploymentEnded:
    def test_success_is_reported(self):
        plan = plan_ended(deployment("d-5", R2, created=5))
        assert (plan.action, plan.reason) == (
            "report",
            "d-5 succeeded: the group runs s3://bundles/app-2.zip (zip, etag e2)",
        )

    def test_ready_is_reported_with_how_traffic_moves(self):
        plan = plan_ended(deployment("d-5", R2, status="Ready", created=5))
        assert plan.action == "report"
        assert plan.reason.startswith("d-5 is Ready: the green fleet runs s3://bundles/app-2.zip")
        assert "state=continued" in plan.reason

    @pytest.mark.parametrize("status", ["Failed", "Stopped"])
    def test_a_failed_or_stopped_deployment_has_its_rollback_looked_for(self, status):
        assert plan_ended(failed(status)).action == "look_for_rollback"

    @pytest.mark.parametrize(
        ("deployment_", "state", "rollback_on_stop", "expected"),
        [
            (failed(), "present", None, True),
            (failed(enabled=False), "present", None, False),
            (failed(events=["DEPLOYMENT_STOP_ON_REQUEST"]), "present", None, False),
            (failed("Stopped", ["DEPLOYMENT_STOP_ON_REQUEST"]), "present", None, True),
            (failed("Stopped", ["DEPLOYMENT_STOP_ON_ALARM"]), "present", None, True),
            (failed("Stopped", ["DEPLOYMENT_FAILURE"]), "present", None, False),
            # The task that stopped it said whether to roll back; its answer wins over the configuration.
            (failed("Stopped", ["DEPLOYMENT_STOP_ON_REQUEST"]), "stopped", False, False),
            (failed("Stopped", [], enabled=False), "stopped", True, True),
            (failed("Stopped", ["DEPLOYMENT_STOP_ON_REQUEST"]), "stopped", None, True),
            # rollback_on_stop speaks of stopping: a deployment that failed follows its configuration.
            (failed("Failed"), "stopped", False, True),
        ],
    )
    def test_a_rollback_is_expected_as_the_configuration_or_the_stop_says(
        self, deployment_, state, rollback_on_stop, expected
    ):
        assert expects_rollback(deployment_, state, rollback_on_stop) is expected

    def test_the_rollback_is_followed_when_there_is_one_and_it_is_asked_for(self):
        plan = plan_after_failure(failed(), "d-RB", follow_rollback=True)
        assert (plan.action, plan.extra["rollback_id"]) == ("follow_rollback", "d-RB")
        assert plan_after_failure(failed(), "d-RB", follow_rollback=False).action == "conclude"
        assert plan_after_failure(failed(), None, follow_rollback=True).action == "conclude"


class TestConclusion:
    FAILURE = {
        "target_id": "i-1",
        "lifecycle_event": "ValidateService",
        "error_code": "ScriptFailed",
        "script_name": "check.sh",
    }

    def test_a_failed_deployment_fails_the_task_with_the_instance_and_the_rollback(self):
        rollback = deployment("d-RB", R1, created=6)
        plan = plan_conclusion(failed(), rollback, True, [self.FAILURE], "present")
        assert plan.action == "fail"
        assert plan.reason.startswith("deployment d-5 failed: i-1 failed at ValidateService (ScriptFailed) in check.sh")
        assert plan.reason.endswith(
            "; automatic rollback d-RB succeeded: the group runs s3://bundles/app-1.zip (zip, etag e1) again"
        )

    def test_without_a_rollback_it_says_so_with_codedeploys_reason(self):
        plan = plan_conclusion(
            failed(rollbackInfo={"rollbackMessage": "no last known good"}), None, False, [], "present"
        )
        assert (plan.action, plan.reason) == (
            "fail",
            "deployment d-5 failed; no automatic rollback (no last known good)",
        )

    def test_the_deployment_the_task_stopped_is_reported(self):
        plan = plan_conclusion(failed("Stopped"), None, False, [], "stopped")
        assert (plan.action, plan.reason) == ("report", "d-5 stopped; no automatic rollback started")

    def test_the_stopped_deployments_rollback_that_failed_fails_the_task(self):
        rollback = deployment("d-RB", R1, status="Failed", created=6)
        plan = plan_conclusion(failed("Stopped"), rollback, True, [], "stopped")
        assert (plan.action, plan.reason) == (
            "fail",
            "d-5 stopped; automatic rollback d-RB to s3://bundles/app-1.zip (zip, etag e1) failed",
        )

    def test_a_rollback_not_followed_is_reported_as_it_was(self):
        rollback = deployment("d-RB", R1, status="InProgress", created=6)
        plan = plan_conclusion(failed("Stopped"), rollback, False, [], "stopped")
        assert plan.action == "report"
        assert plan.reason.endswith(
            "automatic rollback d-RB to s3://bundles/app-1.zip (zip, etag e1) is InProgress (not followed)"
        )

    def test_a_deployment_that_stopped_by_itself_fails_a_present_task(self):
        plan = plan_conclusion(failed("Stopped"), None, False, [], "present")
        assert (plan.action, plan.reason) == ("fail", "deployment d-5 stopped; no automatic rollback started")


class TestPreflight:
    GROUP = {
        "deploymentGroupName": "web",
        "applicationName": "app",
        "ec2TagFilters": [
            {"Key": "app", "Value": "web", "Type": "KEY_AND_VALUE"},
            {"Key": "canary", "Type": "KEY_ONLY"},
        ],
        "autoScalingGroups": [{"name": "web-asg", "hook": "CodeDeploy-managed-hook"}],
        "onPremisesTagSet": {"onPremisesTagSetList": [[{"Value": "rack-1", "Type": "VALUE_ONLY"}], []]},
    }

    def test_the_selectors_in_words(self):
        assert Selectors.of_group(self.GROUP).describe() == (
            "EC2 tag filters app=web or canary (any value); Auto Scaling groups web-asg (InService instances); "
            "on-premises tag set (any key=rack-1)"
        )
        assert Selectors.of_group({"deploymentGroupName": "empty"}).describe() == (
            "no tag filters, tag sets or Auto Scaling groups"
        )
        target_instances = {
            "ec2TagSet": {"ec2TagSetList": [[{"Key": "a", "Value": "1"}], [{"Key": "b", "Value": "2"}]]}
        }
        assert Selectors.of_target_instances(target_instances).describe() == "EC2 tag set (a=1) and (b=2)"

    def test_an_object_that_is_there_with_the_etag_given_and_instances_to_deploy_to_is_no_problem(self):
        selections = [Selection(Selectors.of_group(self.GROUP), 3)]
        assert preflight_problems(s3("app.zip", '"e1"')["s3Location"], {"ETag": '"e1"'}, selections) == []

    def test_what_could_not_be_read_is_no_problem(self):
        assert preflight_problems(None, None, [Selection(Selectors.of_group(self.GROUP), None)]) == []

    def test_a_missing_object_names_bucket_key_and_version(self):
        location = {**s3("app.zip")["s3Location"], "version": "v7"}
        assert preflight_problems(location, None, []) == [
            "revision: s3://bundles/app.zip (version v7) does not exist in bucket bundles"
        ]

    def test_an_object_with_another_etag(self):
        assert preflight_problems(s3("app.zip", "e1")["s3Location"], {"ETag": '"e2"'}, []) == [
            "revision: s3://bundles/app.zip has ETag e2, not the e_tag given (e1): the object changed since the "
            "revision was made"
        ]

    def test_each_set_of_selectors_that_picks_nothing_is_named(self):
        green = Selectors.of_target_instances({"autoScalingGroups": ["green-asg"]})
        problems = preflight_problems(None, None, [Selection(Selectors.of_group(self.GROUP), 2), Selection(green, 0)])
        assert problems == [
            "target_instances selects no instance (Auto Scaling groups green-asg (InService instances)): there is "
            "nothing to deploy to"
        ]


class TestTargetsToReport:
    TARGETS = [
        {"targetId": "i-1", "status": "Failed"},
        {"targetId": "i-2", "status": "Succeeded"},
        {"targetId": "i-3", "status": "Skipped"},
        {"targetId": "i-4", "status": "Skipped"},
    ]

    @pytest.mark.parametrize("status", ["Failed", "Stopped"])
    def test_a_deployment_that_failed_or_stopped_lists_its_failed_targets_and_counts_the_others(self, status):
        assert targets_to_report({"status": status}, self.TARGETS, False) == (
            [self.TARGETS[0]],
            {"Succeeded": 1, "Skipped": 2},
        )

    def test_every_target_when_asked(self):
        assert targets_to_report({"status": "Failed"}, self.TARGETS, True) == (self.TARGETS, {})

    @pytest.mark.parametrize("status", ["Succeeded", "Ready", "InProgress"])
    def test_any_other_deployment_lists_every_target(self, status):
        assert targets_to_report({"status": status}, self.TARGETS, False) == (self.TARGETS, {})


class TestRestart:
    def test_restarts_the_last_successful_revision(self):
        plan = plan_restart([], deployment("d-1", s3("r1.zip")), "wait")
        assert (plan.action, plan.revision, plan.extra) == ("create", s3("r1.zip"), {"restart": True})

    def test_attaches_to_a_restart_in_flight_and_waits_for_anything_else(self):
        restart = deployment("d-2", s3("r1.zip"), "InProgress", deploymentMode="RESTART")
        other = deployment("d-3", s3("r2.zip"), "InProgress")
        assert plan_restart([restart], None, "wait").action == "attach"
        assert plan_restart([other], None, "wait").action == "wait_for_other"
        assert plan_restart([other], None, "stop").action == "stop_other"
        assert plan_restart([other], None, "fail").action == "fail"

    def test_fails_without_a_successful_deployment(self):
        assert plan_restart([], None, "wait").action == "fail"


def test_without_the_group_check_mode_predicts_the_deployment_or_nothing():
    plan = plan_without_group(s3("r1.zip"), "app", "web")
    assert (plan.action, plan.revision, plan.extra) == ("create", s3("r1.zip"), {"group_missing": True})
    assert plan_without_group(None, "app", "web").action == "none"
