"""The predefined deployment configurations (docs/codedeploy-behavior.md#applications-configurations-and-groups)."""

from __future__ import annotations

import typing as t
import uuid
from datetime import UTC
from datetime import datetime

from .records import DeploymentConfig

BUILTIN_CREATE_TIME = datetime(2014, 11, 12, tzinfo=UTC)


def _builtin(
    name: str,
    number: int,
    platform: str = "Server",
    hosts: dict[str, t.Any] | None = None,
    routing: dict[str, t.Any] | None = None,
) -> DeploymentConfig:
    config_id = (
        f"00000000-0000-0000-0000-{number:012d}"
        if platform == "Server"
        else str(uuid.uuid5(uuid.NAMESPACE_URL, f"codedeploy-lab:{name}"))
    )
    return DeploymentConfig(
        name=name,
        config_id=config_id,
        compute_platform=platform,
        minimum_healthy_hosts=hosts,
        traffic_routing_config=routing,
        create_time=BUILTIN_CREATE_TIME,
        builtin=True,
    )


def _canary(percent: int, minutes: int) -> dict[str, t.Any]:
    return {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": percent, "canaryInterval": minutes}}


def _linear(percent: int, minutes: int) -> dict[str, t.Any]:
    return {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": percent, "linearInterval": minutes}}


BUILTIN_CONFIGS: dict[str, DeploymentConfig] = {
    c.name: c
    for c in [
        # OneAtATime really reports MOST_CONCURRENCY (outside the public enum) and id ...0001 (API reference sample).
        _builtin("CodeDeployDefault.OneAtATime", 1, hosts={"type": "MOST_CONCURRENCY", "value": 1}),
        _builtin("CodeDeployDefault.HalfAtATime", 2, hosts={"type": "FLEET_PERCENT", "value": 50}),
        _builtin("CodeDeployDefault.AllAtOnce", 3, hosts={"type": "HOST_COUNT", "value": 0}),
        *[
            _builtin(f"CodeDeployDefault.LambdaCanary10Percent{m}Minutes", 0, "Lambda", routing=_canary(10, m))
            for m in (5, 10, 15, 30)
        ],
        *[
            _builtin(
                f"CodeDeployDefault.LambdaLinear10PercentEvery{m}Minute{'s' if m > 1 else ''}",
                0,
                "Lambda",
                routing=_linear(10, m),
            )
            for m in (1, 2, 3, 10)
        ],
        _builtin("CodeDeployDefault.LambdaAllAtOnce", 0, "Lambda", routing={"type": "AllAtOnce"}),
        *[
            _builtin(f"CodeDeployDefault.ECSLinear10PercentEvery{m}Minutes", 0, "ECS", routing=_linear(10, m))
            for m in (1, 3)
        ],
        *[
            _builtin(f"CodeDeployDefault.ECSCanary10Percent{m}Minutes", 0, "ECS", routing=_canary(10, m))
            for m in (5, 15)
        ],
        _builtin("CodeDeployDefault.ECSAllAtOnce", 0, "ECS", routing={"type": "AllAtOnce"}),
    ]
}
