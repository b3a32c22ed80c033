# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Following through an endpoint that goes away for a while: real boto3 calls to a real local HTTP endpoint.

The endpoint (conftest's local_codedeploy) refuses connections until it is opened, then drops the first requests,
then answers as CodeDeploy does. Time is a fake clock, and the sleeps between retries are what moves the endpoint
from one phase to the next, so nothing waits and nothing depends on timing.
"""

from __future__ import annotations

import functools
import typing as t

import pytest
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_runs import DeploymentTaskFailed
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_runs import Handoff
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_runs import run
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.following import UNREACHABLE_FOR_AT_MOST
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.following import EndpointUnreachable
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.following import OutageRetry
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.following import take_snapshot
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.following import through_outages

SUCCEEDED = {"deploymentInfo": {"deploymentId": "d-X", "status": "Succeeded", "deploymentOverview": {"Succeeded": 2}}}


@pytest.fixture
def endpoint(local_codedeploy: t.Any) -> t.Any:
    local_codedeploy.answers["GetDeployment"] = (200, SUCCEEDED)
    return local_codedeploy


def poll(client: t.Any) -> t.Callable[[], t.Any]:
    return functools.partial(take_snapshot, client, "d-X")


class Clock:
    """Fake time; each sleep may also run the next step of a scenario (opening the endpoint, say)."""

    def __init__(self, steps: list[t.Callable[[], None]] | None = None) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self.steps = list(steps or [])

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if self.steps:
            self.steps.pop(0)()


@pytest.mark.parametrize(
    "attempt, unreachable_for, delay",
    [
        (0, 0.0, 2.0),
        (1, 2.0, 4.0),
        (3, 14.0, 16.0),
        (4, 30.0, 30.0),  # doubling stops at the ceiling
        (9, 280.0, 20.0),  # the last wait ends at the budget
        (10, 300.0, None),  # the budget is spent
        (11, 301.0, None),
    ],
)
def test_retry_delays_double_to_a_ceiling_within_the_budget(attempt, unreachable_for, delay):
    assert OutageRetry().delay(attempt, unreachable_for) == delay


def test_retry_budget_is_the_documented_five_minutes():
    assert OutageRetry().budget == UNREACHABLE_FOR_AT_MOST == 300.0


def test_refused_then_dropped_then_answered(endpoint):
    client = endpoint.client()
    clock = Clock(steps=[lambda: endpoint.open(drops=1)])
    lines: list[str] = []
    snapshot = through_outages(poll(client), OutageRetry(), clock.time, clock.sleep, lines.append)
    assert snapshot.status == "Succeeded"
    assert endpoint.seen == ["dropped:GetDeployment", "GetDeployment"]
    assert clock.sleeps == [2.0, 4.0]
    assert len(lines) == 3
    assert lines[0].startswith("endpoint unreachable (Could not connect to the endpoint URL")
    assert lines[0].endswith("retrying in 2 s, for up to 300 s more")
    assert lines[1].startswith("endpoint unreachable (Connection was closed before we received a valid response")
    assert lines[1].endswith("retrying in 4 s, for up to 298 s more")
    assert lines[2] == "endpoint reachable again after 6 s"


def test_an_endpoint_that_stays_away_is_given_up_at_the_budget(endpoint):
    client = endpoint.client()
    clock = Clock()
    lines: list[str] = []
    with pytest.raises(EndpointUnreachable) as caught:
        through_outages(poll(client), OutageRetry(), clock.time, clock.sleep, lines.append)
    assert sum(clock.sleeps) == UNREACHABLE_FOR_AT_MOST  # bounded: it stops at the budget, not a wait past it
    assert clock.sleeps[:5] == [2.0, 4.0, 8.0, 16.0, 30.0]
    assert caught.value.unreachable_for == UNREACHABLE_FOR_AT_MOST
    assert "Could not connect to the endpoint URL" in str(caught.value)
    assert len(lines) == len(clock.sleeps)


def test_other_errors_are_not_retried(endpoint):
    endpoint.answers["GetDeployment"] = (400, {"__type": "InvalidDeploymentIdException", "message": "bad id"})
    endpoint.open()
    clock = Clock()
    client = endpoint.client()
    with pytest.raises(AnsibleAWSError, match="Failed to get deployment"):
        through_outages(poll(client), OutageRetry(), clock.time, clock.sleep, [].append)
    assert clock.sleeps == [] and endpoint.seen == ["GetDeployment"]


def following(client: t.Any, clock: Clock, lines: list[str]) -> dict[str, t.Any]:
    """A run that resumes following d-X (as the action plugin's handoff does), the deployment it created."""
    params = dict(state="present", wait_timeout=3600, follow_rollback=True)
    params.update(application_name="app", deployment_group_name="web")
    plan = {"action": "create", "deployment_id": "d-X"}
    handoff = {"deployment_id": "d-X", "purpose": "ours", "started": 0.0, "changed": True, "plan": plan}
    return run(
        client,
        params,
        check_mode=False,
        clients=lambda _service: None,  # following reads CodeDeploy only
        handoff=Handoff.from_dict(handoff),
        on_line=lines.append,
        clock=clock.time,
        sleep=clock.sleep,
    )


def test_following_rides_out_an_outage_and_reports_it(endpoint):
    endpoint.answers["ListDeploymentTargets"] = (200, {"targetIds": []})
    clock = Clock(steps=[lambda: None, lambda: endpoint.open(drops=2)])
    lines: list[str] = []
    result = following(endpoint.client(), clock, lines)
    assert result["deployment_id"] == "d-X" and result["deployment"]["status"] == "Succeeded"
    assert [line.split(" (")[0] for line in lines] == [
        *["endpoint unreachable"] * 4,  # refused twice (the first sleep leaves it closed), then dropped twice
        "endpoint reachable again after 30 s",
        "d-X: Succeeded, 2/2 succeeded",
    ]
    assert result["progress"] == lines


def test_following_gives_up_with_the_deployment_id_and_how_to_attach_again(endpoint):
    clock = Clock()
    with pytest.raises(DeploymentTaskFailed) as caught:
        following(endpoint.client(), clock, [])
    message = caught.value.message
    assert message.startswith("lost the CodeDeploy endpoint while following d-X: the endpoint did not answer for 300 s")
    assert "The deployment continues on AWS: run the task again to attach to it" in message
    assert "codedeploy_deployment_info (deployment_id: d-X)" in message
    assert caught.value.result["deployment_id"] == "d-X"
    assert len(caught.value.result["progress"]) == 13  # one line per wait: 2, 4, 8, 16, then nine of 30 s (300 s)
    assert all(line.startswith("endpoint unreachable (Could not connect") for line in caught.value.result["progress"])
    assert caught.value.result["deployment"] == {"deployment_id": "d-X", "revision_description": "(no revision)"}


def test_an_aws_error_after_the_deployment_is_known_carries_its_id(endpoint):
    endpoint.answers["ListDeploymentTargets"] = (400, {"__type": "InvalidDeploymentIdException", "message": "gone"})
    endpoint.open()
    with pytest.raises(AnsibleAWSError) as caught:
        following(endpoint.client(), Clock(), [])
    assert caught.value.kwargs == {"deployment_id": "d-X"}
    assert endpoint.seen == ["GetDeployment", "ListDeploymentTargets"]
