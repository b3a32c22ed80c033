"""Fixtures shared by the lab's tests: one lab process per test session, and boto3 clients pointed at it."""

from __future__ import annotations

import typing as t
import uuid

import pytest

from codedeploy_lab.testing import RunningLab, running_lab


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[RunningLab]:
    """A lab started with ``codedeploy-lab up --port 0`` in a private state directory; stopped at session end."""
    with running_lab(tmp_path_factory.mktemp("lab") / "state", port=0) as running:
        yield running


@pytest.fixture
def boto3_client(lab: RunningLab) -> t.Callable[..., t.Any]:
    """``boto3_client("codedeploy")``: a client for the session lab (us-east-1, credentials "testing")."""
    return lab.client


@pytest.fixture
def unique_name() -> t.Callable[[str], str]:
    """``unique_name("app")`` -> ``"app-1a2b3c4d"``: names that never collide across tests sharing the lab."""
    return lambda prefix: f"{prefix}-{uuid.uuid4().hex[:8]}"
