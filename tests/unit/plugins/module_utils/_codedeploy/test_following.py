# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import datetime
import itertools
from unittest.mock import MagicMock

import pytest
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.following import HEARTBEAT
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.following import PollSchedule
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.following import Snapshot
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.following import blue_green_outcome
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.following import deployment_to_ansible
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.following import elapsed_text
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.following import expected_duration
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.following import expected_end
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.following import explain_failure
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.following import explain_rollback
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.following import failed_events
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.following import follow
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.following import line_due
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.following import nearly_done
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.following import progress_line
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.following import take_snapshot

EVENTS = [
    "ApplicationStop",
    "DownloadBundle",
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "ApplicationStart",
    "ValidateService",
]


def target(target_id: str, at: str | None, status: str = "InProgress") -> dict:
    events = []
    reached = False
    for name in EVENTS:
        if name == at:
            events.append({"lifecycleEventName": name, "status": "InProgress"})
            reached = True
        else:
            events.append({"lifecycleEventName": name, "status": "Pending" if reached or at is None else "Succeeded"})
    return {"targetId": target_id, "status": status, "lifecycleEvents": events}


def overview(**counts: int) -> dict:
    return {"Pending": 0, "InProgress": 0, "Succeeded": 0, "Failed": 0, "Skipped": 0, "Ready": 0, **counts}


class TestPollSchedule:
    def test_fast_at_first(self):
        assert PollSchedule().delay(0) == 0.5
        assert PollSchedule().delay(5) == 0.5

    def test_backs_off_with_elapsed_time_up_to_the_ceiling(self):
        schedule = PollSchedule()
        assert schedule.delay(30) == pytest.approx(3.0)
        assert schedule.delay(3600) == 10.0

    def test_near_the_end_polls_fast_again(self):
        assert PollSchedule().delay(600, ending=True) == 1.0

    def test_a_long_deployment_costs_few_polls(self):
        schedule, elapsed, polls = PollSchedule(), 0.0, 0
        while elapsed < 1200:
            elapsed += schedule.delay(elapsed)
            polls += 1
        # About 150 polls for 20 minutes (a fixed 0.5 s would take 2400), while the first 5 s are watched every 0.5 s.
        assert polls < 200


class TestLearnedSchedule:
    """With an expected end (the group's last good deployment took as long), polls gather around that end."""

    def test_far_from_the_expected_end_it_sleeps_half_the_time_to_the_window_at_most_15_s_at_a_time(self):
        schedule = PollSchedule()
        assert schedule.delay(0, until_expected_end=60) == 15.0
        assert schedule.delay(55, until_expected_end=5) == pytest.approx(1.75)

    def test_around_the_expected_end_it_polls_closely_until_the_deployment_is_late(self):
        schedule = PollSchedule()
        assert schedule.delay(59, until_expected_end=1) == 0.5
        assert schedule.delay(64, until_expected_end=-4) == 0.5
        assert schedule.delay(66, until_expected_end=-6) == pytest.approx(6.6)  # late: the backoff again

    def test_a_one_minute_deployment_ending_on_time_costs_few_polls_and_is_seen_within_close(self):
        schedule, elapsed, polls, duration = PollSchedule(), 0.0, 0, 60.0
        while elapsed < duration:
            elapsed += schedule.delay(elapsed, until_expected_end=duration - elapsed)
            polls += 1
        assert elapsed - duration <= schedule.close
        assert polls <= 14  # the backoff alone polls 22 times in this minute

    def test_a_deployment_ending_well_before_the_expected_end_is_seen_soon(self):
        schedule, elapsed, expected, ends = PollSchedule(), 0.0, 10.0, 5.4
        while elapsed < ends:
            elapsed += schedule.delay(elapsed, until_expected_end=expected - elapsed)
        assert elapsed - ends <= (expected - ends) / 2

    @pytest.mark.parametrize(
        ("summary", "seconds"),
        [
            (
                {
                    "createTime": datetime.datetime(2026, 1, 1, 0, 0, 0),
                    "endTime": datetime.datetime(2026, 1, 1, 0, 1, 30),
                },
                90.0,
            ),
            ({"createTime": datetime.datetime(2026, 1, 1, 0, 0, 0)}, None),
            (None, None),
        ],
    )
    def test_the_expected_duration_is_the_last_good_deployments(self, summary, seconds):
        assert expected_duration(summary) == seconds

    def test_the_expected_end_counts_from_the_deployments_creation(self):
        created = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
        assert expected_end({"createTime": created}, 90.0) == created.timestamp() + 90.0
        assert expected_end({"createTime": created}, None) is None
        assert expected_end({}, 90.0) is None


class TestProgressLine:
    def test_counts_and_busy_instances(self):
        snapshot = Snapshot(
            {
                "deploymentId": "d-X",
                "status": "InProgress",
                "deploymentOverview": overview(Succeeded=2, InProgress=1, Pending=3),
            },
            [target("i-abc", "AfterInstall")],
        )
        assert progress_line(snapshot) == "d-X: InProgress, 2/6 succeeded, i-abc AfterInstall"

    def test_failures_and_many_busy_instances(self):
        busy = [target(f"i-{n}", "Install") for n in range(5)]
        snapshot = Snapshot(
            {"deploymentId": "d-X", "status": "InProgress", "deploymentOverview": overview(Failed=1, InProgress=5)},
            busy,
        )
        assert (
            progress_line(snapshot)
            == "d-X: InProgress, 0/6 succeeded, 1 failed, i-0 Install, i-1 Install, i-2 Install, +2 more in progress"
        )

    def test_created_has_no_counts(self):
        assert progress_line(Snapshot({"deploymentId": "d-X", "status": "Created"})) == "d-X: Created"


def test_nearly_done_when_every_busy_target_is_in_its_last_event():
    info = {"deploymentId": "d-X", "status": "InProgress", "deploymentOverview": overview(Succeeded=5, InProgress=1)}
    assert nearly_done(Snapshot(info, [target("i-1", "ValidateService")]))
    assert not nearly_done(Snapshot(info, [target("i-1", "Install")]))
    pending = {**info, "deploymentOverview": overview(Pending=1, InProgress=1)}
    assert not nearly_done(Snapshot(pending, [target("i-1", "ValidateService")]))


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def scripted(statuses: list[str], clock: FakeClock):
    """A deployment that moves through statuses, one per poll."""
    remaining = list(statuses)

    def take() -> Snapshot:
        status = remaining.pop(0) if len(remaining) > 1 else remaining[0]
        return Snapshot({"deploymentId": "d-X", "status": status})

    return take


class TestFollow:
    def test_follows_to_the_end_and_reports_each_change_once(self):
        clock = FakeClock()
        take = scripted(["Created", "InProgress", "InProgress", "Succeeded"], clock)
        outcome = follow(take, clock.now, clock.now + 60, clock=clock.time, sleep=clock.sleep)
        assert outcome.finished and not outcome.timed_out
        assert outcome.lines == ["d-X: Created (0s)", "d-X: InProgress (1s)", "d-X: Succeeded (2s)"]
        assert outcome.polls == 4
        assert clock.sleeps == [0.5, 0.5, 0.5]  # a short deployment is noticed within half a second

    def test_each_new_line_is_told_at_once(self):
        clock, told = FakeClock(), []
        take = scripted(["InProgress", "InProgress", "Succeeded"], clock)
        follow(
            take,
            clock.now,
            clock.now + 60,
            clock=clock.time,
            sleep=lambda seconds: told.append(f"slept {seconds}"),
            on_line=told.append,
        )
        assert told == ["d-X: InProgress (0s)", "slept 0.5", "slept 0.5", "d-X: Succeeded (0s)"]

    def test_a_blue_green_deployment_in_ready_ends_following_only_when_asked(self):
        clock = FakeClock()
        statuses = ["InProgress", "Ready", "Ready", "InProgress", "Succeeded"]
        outcome = follow(
            scripted(statuses, clock), clock.now, clock.now + 60, clock=clock.time, sleep=clock.sleep, until_ready=True
        )
        assert outcome.finished and outcome.snapshot.status == "Ready"
        outcome = follow(scripted(statuses, clock), clock.now, clock.now + 60, clock=clock.time, sleep=clock.sleep)
        assert outcome.finished and outcome.snapshot.status == "Succeeded"

    def test_times_out_at_the_deadline(self):
        clock = FakeClock()
        outcome = follow(
            scripted(["InProgress"], clock), clock.now, clock.now + 30, clock=clock.time, sleep=clock.sleep
        )
        assert outcome.timed_out and not outcome.finished
        assert clock.now == pytest.approx(1030.0)  # never sleeps past the deadline

    def test_returns_after_a_change_once_the_window_passed(self):
        clock = FakeClock()
        outcome = follow(
            scripted(["InProgress"], clock),
            clock.now,
            clock.now + 600,
            last_line="d-X: Created",
            return_on_change_after=2.0,
            clock=clock.time,
            sleep=clock.sleep,
        )
        assert not outcome.finished and not outcome.timed_out
        assert outcome.lines == ["d-X: InProgress (0s)"]
        assert clock.now - 1000.0 >= 2.0

    def test_no_change_keeps_following(self):
        clock = FakeClock()
        take = scripted(["InProgress"] * 10 + ["Succeeded"], clock)
        outcome = follow(
            take,
            clock.now,
            clock.now + 600,
            last_line="d-X: InProgress",
            return_on_change_after=2.0,
            clock=clock.time,
            sleep=clock.sleep,
        )
        assert outcome.finished
        assert clock.now - 1000.0 < HEARTBEAT  # no heartbeat fell due either
        assert outcome.lines == ["d-X: Succeeded (5s)"]

    def test_backoff_continues_from_when_following_began(self):
        clock = FakeClock()
        follow(
            scripted(["InProgress", "Succeeded"], clock),
            started=clock.now - 300,
            deadline=clock.now + 600,
            clock=clock.time,
            sleep=clock.sleep,
        )
        assert clock.sleeps == [10.0]

    def test_nothing_changing_for_long_still_shows_a_line_each_heartbeat_with_the_time_elapsed(self):
        clock = FakeClock()
        seen: list[tuple[float, str]] = []
        follow(
            scripted(["InProgress"] * 60 + ["Succeeded"], clock),
            clock.now,
            clock.now + 3600,
            clock=clock.time,
            sleep=clock.sleep,
            on_line=lambda line: seen.append((clock.now, line)),
        )
        times = [at for at, _line in seen]
        assert times[-1] - times[0] > 4 * HEARTBEAT  # a long wait, without a change until the end
        assert all(
            later - earlier == pytest.approx(HEARTBEAT) or later - earlier < HEARTBEAT
            for earlier, later in itertools.pairwise(times)
        )
        assert [line for _at, line in seen[:2]] == [
            "d-X: InProgress (0s)",
            f"d-X: InProgress ({elapsed_text(HEARTBEAT)})",
        ]

    def test_a_resumed_follow_keeps_the_heartbeat_of_the_line_shown_before(self):
        clock = FakeClock()
        outcome = follow(
            scripted(["InProgress"], clock),
            clock.now - 100,
            clock.now + 3600,
            last_line="d-X: InProgress",
            last_shown=clock.now - HEARTBEAT,
            return_on_change_after=2.0,
            clock=clock.time,
            sleep=clock.sleep,
        )
        assert outcome.lines == ["d-X: InProgress (1m40s)"]  # due at once, although nothing changed
        assert (outcome.last_state, outcome.last_shown) == ("d-X: InProgress", 1000.0)


class TestHeartbeat:
    def test_a_change_is_shown_at_once(self):
        assert line_due("d-X: InProgress, 1/2", "d-X: InProgress, 0/2", now=5.0, last_shown=4.0, heartbeat=HEARTBEAT)

    def test_no_change_is_shown_once_a_heartbeat_passed(self):
        assert line_due(
            "d-X: InProgress", "d-X: InProgress", now=10.0 + HEARTBEAT, last_shown=10.0, heartbeat=HEARTBEAT
        )

    def test_no_change_within_a_heartbeat_is_not_shown(self):
        assert not line_due(
            "d-X: InProgress", "d-X: InProgress", now=10.0 + HEARTBEAT / 2, last_shown=10.0, heartbeat=HEARTBEAT
        )

    @pytest.mark.parametrize(
        ("seconds", "text"), [(0, "0s"), (45.2, "45s"), (65, "1m05s"), (3600, "1h00m00s"), (3725, "1h02m05s")]
    )
    def test_elapsed_time_in_words(self, seconds, text):
        assert elapsed_text(seconds) == text


FAILED_TARGET = {
    "targetId": "i-abc",
    "status": "Failed",
    "lifecycleEvents": [
        {"lifecycleEventName": "AfterInstall", "status": "Succeeded", "diagnostics": {"errorCode": "Success"}},
        {
            "lifecycleEventName": "ValidateService",
            "status": "Failed",
            "diagnostics": {
                "errorCode": "ScriptFailed",
                "scriptName": "scripts/validate.sh",
                "message": "Script at specified location: scripts/validate.sh failed with exit code 1",
                "logTail": "LifecycleEvent - ValidateService\nScript - scripts/validate.sh\n[stdout]checking\n[stderr]curl: (7) refused\n",
            },
        },
        {"lifecycleEventName": "AfterAllowTraffic", "status": "Skipped"},
    ],
}


class TestExplainFailure:
    def test_message_names_instance_event_script_code_and_log(self):
        deployment = {
            "deploymentId": "d-X",
            "status": "Failed",
            "errorInformation": {"code": "HEALTH_CONSTRAINTS", "message": "too many failed"},
        }
        failures = failed_events([FAILED_TARGET, {"targetId": "i-ok", "status": "Succeeded"}])
        message = explain_failure(deployment, failures)
        assert message.startswith(
            "deployment d-X failed (HEALTH_CONSTRAINTS: too many failed): i-abc failed at ValidateService (ScriptFailed) in scripts/validate.sh"
        )
        assert "[stderr]curl: (7) refused" in message
        assert failures[0]["log_tail"].endswith("[stderr]curl: (7) refused")

    def test_instances_that_failed_the_same_way_are_named_together_with_the_first_ones_log_tail(self):
        targets = [{**FAILED_TARGET, "targetId": f"i-{n}"} for n in range(7)]
        message = explain_failure({"deploymentId": "d-X", "status": "Failed"}, failed_events(targets))
        assert message.startswith(
            "deployment d-X failed: i-0, i-1, i-2, i-3, i-4 and 2 more failed at ValidateService (ScriptFailed) "
            "in scripts/validate.sh: Script at specified location: scripts/validate.sh failed with exit code 1\n"
            "log tail of i-0:\n"
        )
        assert message.count("log tail of") == 1

    def test_other_ways_of_failing_are_named_then_counted(self):
        def failing_at(event: str, number: int) -> dict:
            failed = {**FAILED_TARGET["lifecycleEvents"][1], "lifecycleEventName": event}
            return {**FAILED_TARGET, "targetId": f"i-{number}", "lifecycleEvents": [failed]}

        events = ["ValidateService", "AfterInstall", "ApplicationStart", "BeforeInstall", "Install"]
        targets = [failing_at(event, number) for number, event in enumerate(events)]
        message = explain_failure({"deploymentId": "d-X", "status": "Failed"}, failed_events(targets))
        assert "i-1 failed at AfterInstall (ScriptFailed)" in message and "i-2 failed at ApplicationStart" in message
        assert "i-3" not in message
        assert message.endswith("2 more instances failed otherwise (see failures in the result)")

    def test_the_message_stays_short_whatever_the_fleet_and_its_logs(self):
        long_log = "\n".join(f"[stderr]{'x' * 400} line {n}" for n in range(50))
        failed = dict(FAILED_TARGET["lifecycleEvents"][1])
        failed["diagnostics"] = {**failed["diagnostics"], "message": "m" * 2000, "logTail": long_log}
        kinds = ["ValidateService", "AfterInstall", "ApplicationStart", "BeforeInstall"]
        targets = [
            {
                "targetId": f"i-{number:017x}",
                "status": "Failed",
                "lifecycleEvents": [{**failed, "lifecycleEventName": kinds[number % 4]}],
            }
            for number in range(500)
        ]
        deployment = {
            "deploymentId": "d-X",
            "status": "Failed",
            "errorInformation": {"code": "HEALTH_CONSTRAINTS", "message": "e" * 2000},
        }
        assert len(explain_failure(deployment, failed_events(targets))) < 2500

    def test_rollback_outcomes(self):
        revision = {"revisionType": "S3", "s3Location": {"bucket": "b", "key": "r1.zip", "bundleType": "zip"}}
        assert explain_rollback({"deploymentId": "d-Y", "status": "Succeeded", "revision": revision}, None, True) == (
            "automatic rollback d-Y succeeded: the group runs s3://b/r1.zip (zip) again"
        )
        assert explain_rollback({"deploymentId": "d-Y", "status": "Failed", "revision": revision}, None, True).endswith(
            "failed"
        )
        assert explain_rollback(None, {"rollbackMessage": "no previous successful deployment"}, True) == (
            "no automatic rollback (no previous successful deployment)"
        )


def test_durations_are_added_to_lifecycle_events():
    start = datetime.datetime(2026, 11, 27, 10, 0, 0, tzinfo=datetime.UTC)
    target_info = {
        "targetId": "i-1",
        "status": "Succeeded",
        "lifecycleEvents": [
            {
                "lifecycleEventName": "Install",
                "status": "Succeeded",
                "startTime": start,
                "endTime": start + datetime.timedelta(seconds=2.5),
            },
            {"lifecycleEventName": "ValidateService", "status": "Skipped", "endTime": start},
        ],
    }
    result = deployment_to_ansible(
        {"deploymentId": "d-X", "status": "Succeeded", "deploymentOverview": overview(Succeeded=1)}, [target_info]
    )
    events = result["targets"][0]["lifecycle_events"]
    assert [event["duration"] for event in events] == [2.5, None]
    assert result["deployment_overview"]["Succeeded"] == 1  # API status names are kept
    assert isinstance(events[0]["start_time"], str)


class TestBlueGreenOutcome:
    def test_in_place_has_none(self):
        assert blue_green_outcome({"deploymentStyle": {"deploymentType": "IN_PLACE"}}, [], None) is None

    def test_copy_auto_scaling_group_and_terminated_blue(self):
        deployment = {
            "deploymentId": "d-X",
            "deploymentGroupName": "web",
            "status": "Succeeded",
            "deploymentStyle": {"deploymentType": "BLUE_GREEN"},
            "instanceTerminationWaitTimeStarted": True,
            "blueGreenDeploymentConfiguration": {
                "greenFleetProvisioningOption": {"action": "COPY_AUTO_SCALING_GROUP"},
                "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 5},
            },
        }
        targets = [{"targetId": "i-new", "instanceLabel": "Green"}, {"targetId": "i-old", "instanceLabel": "Blue"}]
        group = {"autoScalingGroups": [{"name": "CodeDeploy_web_d-X"}]}
        outcome = blue_green_outcome(deployment, targets, group)
        assert outcome["replacement_auto_scaling_group"] == "CodeDeploy_web_d-X"
        assert (outcome["green_instance_ids"], outcome["blue_instance_ids"]) == (["i-new"], ["i-old"])
        assert outcome["blue_instances"] == "terminated after 5 minutes"
        assert outcome["termination_wait_started"] is True

    def test_keep_alive(self):
        deployment = {
            "status": "Succeeded",
            "deploymentStyle": {"deploymentType": "BLUE_GREEN"},
            "blueGreenDeploymentConfiguration": {"terminateBlueInstancesOnDeploymentSuccess": {"action": "KEEP_ALIVE"}},
        }
        assert blue_green_outcome(deployment, [], None)["blue_instances"].startswith("kept running")

    def test_ready_blue_still_serves(self):
        deployment = {"status": "Ready", "deploymentStyle": {"deploymentType": "BLUE_GREEN"}}
        assert blue_green_outcome(deployment, [], None)["blue_instances"].startswith(
            "serving until the deployment is continued"
        )


class TestTakeSnapshot:
    def client(self, counts: dict, busy: list[dict]) -> MagicMock:
        client = MagicMock()
        client.get_deployment.return_value = {
            "deploymentInfo": {"deploymentId": "d-X", "status": "InProgress", "deploymentOverview": counts}
        }
        client.list_deployment_targets.return_value = {"targetIds": [target["targetId"] for target in busy]}
        client.batch_get_deployment_targets.return_value = {
            "deploymentTargets": [{"instanceTarget": target} for target in busy]
        }
        return client

    def test_lists_busy_targets_first_then_reads_them_directly(self):
        counts = overview(InProgress=1, Pending=1)
        client = self.client(counts, [target("i-1", "Install")])
        first = take_snapshot(client, "d-X")
        second = take_snapshot(client, "d-X", first)
        assert client.list_deployment_targets.call_count == 1
        assert client.batch_get_deployment_targets.call_count == 2
        assert second.active_targets[0]["targetId"] == "i-1"

    def test_lists_again_when_the_counts_change(self):
        client = self.client(overview(InProgress=1, Pending=1), [target("i-1", "Install")])
        first = take_snapshot(client, "d-X")
        counts = overview(InProgress=1, Succeeded=1)
        client.get_deployment.return_value = {
            "deploymentInfo": {"deploymentId": "d-X", "status": "InProgress", "deploymentOverview": counts}
        }
        take_snapshot(client, "d-X", first)
        assert client.list_deployment_targets.call_count == 2

    def test_lists_again_when_a_busy_target_finished(self):
        client = self.client(overview(InProgress=1, Pending=1), [target("i-1", "Install")])
        finished = take_snapshot(client, "d-X")
        finished.active_targets[0]["status"] = "Succeeded"
        take_snapshot(client, "d-X", finished)
        assert client.list_deployment_targets.call_count == 2
