"""The lab's CodeDeploy host agent.

Interface for the deployment engine (one call per lifecycle event per host; BlockTraffic and AllowTraffic are the
engine's own)::

    from codedeploy_lab.agent import AgentCommand, S3Revision

    command = AgentCommand(
        event="BeforeInstall",                 # ApplicationStop, DownloadBundle, BeforeInstall, Install, AfterInstall,
                                               # ApplicationStart, ValidateService, BeforeBlockTraffic,
                                               # AfterBlockTraffic, BeforeAllowTraffic, AfterAllowTraffic
        deployment_id="d-ABCDEFGHI", application_name="app", deployment_group_name="dg",
        deployment_group_id="<group uuid>",
        revision=S3Revision.from_api(revision["s3Location"]),
        file_exists_behavior="DISALLOW",       # CreateDeployment's value (or None); the appspec's value wins
        stop_requested=run.stop_requested,     # optional threading.Event: set, it ends running hooks
        hour_limit_seconds=clock.minutes(60),  # optional: lab seconds after which the service fails the event
    )
    outcome = lab.fleet.agent.run_event(host, command)   # EventOutcome
    outcome.status        # "Succeeded" | "Failed"
    outcome.diagnostics() # {"errorCode", "scriptName", "message", "logTail"} as the API shows them
    outcome.started_at, outcome.ended_at, outcome.noop

``run_event`` never raises for deployment problems: every failure is an outcome with the agent's error code and
message. It waits for the host to finish booting (user data) and runs one event at a time per host.

What a revision may do is bounded: files.source and hook locations resolve inside the archive (a leading ``/`` is the
archive's root), unpacking never writes through a link, and ``MAX_UNPACKED_BYTES``, ``MAX_RATIO`` and ``MAX_ENTRIES``
(environment variables ``CODEDEPLOY_LAB_MAX_*``) bound what a bundle unpacks to. Bundles stream from S3 into the host.
"""

from __future__ import annotations

from .agent import AGENT_EVENTS
from .agent import DEPLOYMENT_ROOT
from .agent import PREVIOUS_REVISION_EVENTS
from .agent import SCRIPT_EVENTS
from .agent import Agent
from .agent import AgentCommand
from .agent import EventOutcome
from .agent import S3Revision
from .agent import event_outcome
from .appspec import AppSpec
from .appspec import AppSpecValidationError
from .appspec import parse_appspec

__all__ = [
    "AGENT_EVENTS",
    "DEPLOYMENT_ROOT",
    "PREVIOUS_REVISION_EVENTS",
    "SCRIPT_EVENTS",
    "Agent",
    "AgentCommand",
    "AppSpec",
    "AppSpecValidationError",
    "EventOutcome",
    "event_outcome",
    "S3Revision",
    "parse_appspec",
]
