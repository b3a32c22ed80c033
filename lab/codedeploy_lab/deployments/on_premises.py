"""On-premises targets: which registered instances a deployment group selects, and the lab host that runs each.

A group selects registered on-premises instances by ``onPremisesInstanceTagFilters`` (any filter) or
``onPremisesTagSet`` (some filter of every list), beside its EC2 tag filters and Auto Scaling groups
(https://docs.aws.amazon.com/codedeploy/latest/userguide/instances-on-premises.html,
docs/codedeploy-behavior.md#on-premises-instances). A deregistered instance is
never selected. A target is the instance's name; the lab host that runs its events is the one whose agent is
configured with the instance's IAM ARN (``fleet/on_premises.py``), looked up when the target starts, as a real
agent polls with its IAM identity. When no agent asks for the command within AWS's five minutes (lab clock), the
event fails with the message AWS gives for an agent that never received it.
"""

from __future__ import annotations

import time
import typing as t

from ..faults.model import AGENT_MESSAGE
from ..faults.model import AGENT_TIMEOUT_MINUTES
from ..fleet.on_premises import host_for
from ..rooms import LabHost
from ..service.models import CodeDeployBackend
from ..service.records import DeploymentGroup
from ..service.records import OnPremisesInstance
from . import planning
from .run import DeploymentRun
from .run import Diagnostics
from .run import failure

POLL_SECONDS = 0.5


def select(backend: CodeDeployBackend, group: DeploymentGroup) -> dict[str, OnPremisesInstance]:
    """Registered instances the group's on-premises tag filters or tag set select, by name."""
    settings = group.settings
    tag_filters = settings.get("onPremisesInstanceTagFilters") or []
    tag_set = (settings.get("onPremisesTagSet") or {}).get("onPremisesTagSetList") or []
    if not tag_filters and not tag_set:
        return {}
    return {
        name: instance
        for name, instance in sorted(backend.on_premises_instances.items())
        if instance.registered
        and (
            (tag_filters and planning.matches_any(tag_filters, instance.tags))
            or (tag_set and planning.matches_tag_set(tag_set, instance.tags))
        )
    }


def iam_arn(instance: OnPremisesInstance) -> str:
    return t.cast(str, instance.iam_session_arn or instance.iam_user_arn)


def wait_for_agent(run: DeploymentRun, instance: OnPremisesInstance) -> tuple[LabHost | None, Diagnostics | None]:
    """(host, None) once a host's agent is configured as the instance, or (None, diagnostics) after the wait."""
    deadline = time.monotonic() + run.clock.minutes(AGENT_TIMEOUT_MINUTES)
    while True:
        host = host_for(run.fleet, run.backend.region, iam_arn(instance))
        if host is not None:
            return host, None
        if time.monotonic() >= deadline or run.stop_requested.wait(POLL_SECONDS):
            return None, failure(AGENT_MESSAGE)
