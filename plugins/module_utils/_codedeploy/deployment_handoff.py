# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This package is private to rollout.codedeploy: import from module_utils/codedeploy.py instead.

"""The hand-off between runs of one codedeploy_deployment task: the one contract between the module and its action
plugin.

A run that follows a deployment may return before the deployment ends (when the action plugin asks, so that it can
print the lines seen so far); the next run carries on from the hand-off the previous one returned. The action plugin
starts the first hand-off (with window) and passes back what the module returned; every other field is the module's.

The plugin hands it to the module in the environment of the module's execution (Handoff.VARIABLE), not as a module
option, so that users see only their own options; ansible-core passes an async task's directory to its module the
same way (ANSIBLE_ASYNC_DIR). The module returns the next one in its result (progress_handoff), a dict: to_dict() and
from_dict(). When the module runs in the plugin's process, Handoff.PROGRESS_FILE_VARIABLE names the file the module
appends each progress line to, which the plugin prints while the module runs.

Only the standard library here: the action plugin imports this file on the controller, where boto3 may be missing.
"""

from __future__ import annotations

import base64
import json
import typing as t
from dataclasses import dataclass
from dataclasses import field
from dataclasses import fields
from dataclasses import replace
from enum import Enum


class Purpose(str, Enum):
    """What the end of a followed deployment means to the task."""

    OTHER = "other"  # a deployment in the way: once it ended, the task decides again
    OURS = "ours"  # the task's deployment (created, attached to, stopped or continued): its end is reported
    ROLLBACK = "rollback"  # the automatic rollback of the task's deployment that failed (failed_deployment_id)


@dataclass(frozen=True)
class Handoff:
    # The environment variables the action plugin sets for the module's execution.
    VARIABLE: t.ClassVar[str] = "ROLLOUT_CODEDEPLOY_HANDOFF"
    PROGRESS_FILE_VARIABLE: t.ClassVar[str] = "ROLLOUT_CODEDEPLOY_PROGRESS_FILE"

    # Set by the action plugin: return once the progress changed and this many seconds passed (None: follow to the end).
    window: float | None = None
    # Clock time at which following gives up (wait_timeout after following first began).
    deadline: float | None = None
    # Seconds the group's last successful deployment took: when the next one is expected to end (the poll schedule).
    expected_duration: float | None = None
    # The task's result so far: whether it changed anything, and its plan summary.
    changed: bool = False
    plan: dict[str, t.Any] = field(default_factory=dict)
    # The deployment being followed, why, since when (clock time), and the last progress line shown for it.
    deployment_id: str | None = None
    purpose: Purpose | None = None
    started: float | None = None
    last_line: str | None = None
    # When (clock time) that line was shown: another is shown after a heartbeat even when nothing changed.
    last_shown: float | None = None
    # While the automatic rollback is followed: the task's deployment that failed.
    failed_deployment_id: str | None = None

    @property
    def following(self) -> bool:
        return self.deployment_id is not None

    def follow(self, deployment_id: str, purpose: Purpose, now: float) -> Handoff:
        """Follow deployment_id from now on, unless this hand-off already follows it (a run that resumes)."""
        if self.deployment_id == deployment_id:
            return self
        return replace(self, deployment_id=deployment_id, purpose=purpose, started=now, last_line=None, last_shown=None)

    def followed(self) -> Handoff:
        """The followed deployment ended: nothing is followed any more."""
        return replace(self, deployment_id=None, purpose=None, started=None, last_line=None, last_shown=None)

    def to_dict(self) -> dict[str, t.Any]:
        """The fields that are set, as JSON values (the purpose by its name)."""
        values = {item.name: getattr(self, item.name) for item in fields(self)}
        values["purpose"] = self.purpose.value if self.purpose else None
        return {name: value for name, value in values.items() if value is not None}

    @classmethod
    def from_dict(cls, values: t.Mapping[str, t.Any] | None) -> Handoff:
        """A hand-off from what to_dict() gave (an absent field takes its default; an unknown one is ignored)."""
        values = values or {}

        def number(name: str) -> float | None:
            value = values.get(name)
            return None if value is None else float(value)

        purpose = values.get("purpose")
        return cls(
            window=number("window"),
            deadline=number("deadline"),
            expected_duration=number("expected_duration"),
            changed=bool(values.get("changed")),
            plan=dict(values.get("plan") or {}),
            deployment_id=values.get("deployment_id"),
            purpose=Purpose(purpose) if purpose else None,
            started=number("started"),
            last_line=values.get("last_line"),
            last_shown=number("last_shown"),
            failed_deployment_id=values.get("failed_deployment_id"),
        )

    def to_environment(self) -> dict[str, str]:
        """The environment that hands this over: VARIABLE, the dict as JSON, base64-encoded (ansible-core before 2.19
        templates a task's environment values, and JSON holding user text, a plan's reason, could look like one)."""
        return {self.VARIABLE: base64.b64encode(json.dumps(self.to_dict()).encode("utf-8")).decode("ascii")}

    @classmethod
    def from_environment(cls, environ: t.Mapping[str, str]) -> Handoff:
        """The hand-off to_environment() set; an empty one (follow to the end) when VARIABLE is unset or empty."""
        value = environ.get(cls.VARIABLE)
        if not value:
            return cls()
        return cls.from_dict(json.loads(base64.b64decode(value.encode("ascii"))))
