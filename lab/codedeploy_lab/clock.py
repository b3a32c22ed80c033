"""The lab clock: AWS durations scaled to lab seconds.

CodeDeploy speaks in minutes (blue/green wait and termination times, hook timeouts); a lab run should not take
that long. ``LabClock(seconds_per_aws_minute=1.0)`` makes one AWS minute last one lab second, so a 60-minute
termination wait takes a minute. Everything that waits on an AWS duration (deployment engine, load-balancer health
checks) converts through the one clock of its lab.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class LabClock:
    seconds_per_aws_minute: float = 1.0

    def __post_init__(self) -> None:
        if self.seconds_per_aws_minute <= 0:
            raise ValueError(f"seconds_per_aws_minute must be positive, got {self.seconds_per_aws_minute!r}")

    @property
    def factor(self) -> float:
        """Lab seconds per AWS second."""
        return self.seconds_per_aws_minute / 60.0

    def minutes(self, aws_minutes: float) -> float:
        """Lab seconds that stand for ``aws_minutes`` AWS minutes."""
        return aws_minutes * self.seconds_per_aws_minute

    def seconds(self, aws_seconds: float) -> float:
        """Lab seconds that stand for ``aws_seconds`` AWS seconds."""
        return aws_seconds * self.factor

    def to_aws_seconds(self, lab_seconds: float) -> float:
        """AWS seconds that ``lab_seconds`` lab seconds stand for."""
        return lab_seconds / self.factor

    def sleep_aws_seconds(self, aws_seconds: float) -> None:
        time.sleep(self.seconds(aws_seconds))

    def sleep_aws_minutes(self, aws_minutes: float) -> None:
        time.sleep(self.minutes(aws_minutes))

    def monotonic(self) -> float:
        """Lab time (seconds, monotonic); compare with ``seconds()``/``minutes()`` results."""
        return time.monotonic()
