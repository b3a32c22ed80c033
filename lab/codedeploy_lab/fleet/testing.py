"""Helpers for tests that drive hosts and the agent directly (in the test process, against real sandboxes); their
pytest fixtures are in ``fixtures.py``."""

from __future__ import annotations

import secrets
import subprocess
import typing as t
from dataclasses import replace

from ..agent import Agent
from ..agent import AgentCommand
from ..agent import EventOutcome
from ..agent import S3Revision
from ..deployments.planning import IN_PLACE_EVENTS
from .host import Host
from .metadata import InstanceIdentity


def new_identity(user_data: bytes | None = None, region: str = "us-east-1") -> InstanceIdentity:
    return InstanceIdentity(
        instance_id=f"i-{secrets.token_hex(8)}", region=region, availability_zone=f"{region}a", user_data=user_data
    )


def run_lifecycle(
    agent: Agent,
    host: Host,
    *,
    deployment_group_id: str,
    revision: S3Revision,
    events: t.Sequence[str] = IN_PLACE_EVENTS,
    deployment_id: str | None = None,
    application_name: str = "app",
    deployment_group_name: str = "group",
    file_exists_behavior: str | None = None,
) -> dict[str, EventOutcome]:
    """Run ``events`` in order on one host, stopping after the first failure (as the service does)."""
    command = AgentCommand(
        event="",
        deployment_id=deployment_id or f"d-{secrets.token_hex(5).upper()[:9]}",
        application_name=application_name,
        deployment_group_name=deployment_group_name,
        deployment_group_id=deployment_group_id,
        revision=revision,
        file_exists_behavior=file_exists_behavior,
    )
    outcomes: dict[str, EventOutcome] = {}
    for event in events:
        outcome = agent.run_event(host, replace(command, event=event))
        outcomes[event] = outcome
        if not outcome.succeeded:
            break
    return outcomes


def sh(host: Host, script: str, timeout: float = 60) -> tuple[int, str]:
    """Run a shell snippet as root inside the host; (exit code, stdout+stderr)."""
    process = host.run(
        ["/bin/sh", "-c", script], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    out, _ = process.communicate(timeout=timeout)
    return process.returncode, out.decode("utf-8", "replace")
