"""Fixtures shared by the lab's tests: one lab process per test session, and boto3 clients pointed at it."""

from __future__ import annotations

import os
import typing as t
import uuid
from concurrent.futures import Future
from concurrent.futures import ThreadPoolExecutor

import machine_guard
import pytest
from botocore.exceptions import ClientError

from codedeploy_lab.testing import RunningLab
from codedeploy_lab.testing import start_lab
from codedeploy_lab.testing import stop_lab


def pytest_sessionstart(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):  # the controller watches the whole run, xdist or not
        session.config.stash[_MACHINE_BEFORE] = machine_guard.snapshot()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    before = session.config.stash.get(_MACHINE_BEFORE, None)
    if before is None:
        return
    leaked = machine_guard.changes(before, machine_guard.snapshot())
    if leaked:
        session.config.get_terminal_writer().line(
            "MACHINE CHANGED during the lab tests (a host wrote outside its sandbox?):\n  " + "\n  ".join(leaked),
            red=True,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


_MACHINE_BEFORE = pytest.StashKey[dict]()

_SESSION_LABS = {"lab": {}, "control_plane_lab": {"rooms": "none"}}


@pytest.fixture(scope="session")
def _session_labs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> t.Iterator[t.Callable[[str], Future[RunningLab]]]:
    """Session labs, started on first use and stopped at the end.

    In a plain run every session lab that a collected test uses starts at once, in parallel; under pytest-xdist a
    worker cannot know which tests it will get, so each lab starts when a test of that worker first asks for it.
    """
    pool = ThreadPoolExecutor(max_workers=len(_SESSION_LABS))
    futures: dict[str, Future[RunningLab]] = {}

    def start(name: str) -> Future[RunningLab]:
        if name not in futures:
            futures[name] = pool.submit(
                start_lab, tmp_path_factory.mktemp(name) / "state", port=0, **_SESSION_LABS[name]
            )
        return futures[name]

    if "PYTEST_XDIST_WORKER" not in os.environ:
        for name in _SESSION_LABS:
            if any(name in getattr(item, "fixturenames", ()) for item in request.session.items):
                start(name)
    try:
        yield start
    finally:
        for future in futures.values():
            try:
                stop_lab(future.result())
            except Exception:  # a lab that failed to start has nothing to stop
                pass
        pool.shutdown()


@pytest.fixture(scope="session")
def lab(_session_labs: t.Callable[[str], Future[RunningLab]]) -> RunningLab:
    """The full lab (every room), started with ``codedeploy-lab up --port 0`` in a private state directory."""
    return _session_labs("lab").result()


@pytest.fixture(scope="session")
def control_plane_lab(_session_labs: t.Callable[[str], Future[RunningLab]]) -> RunningLab:
    """A lab with the CodeDeploy control plane and moto only (``--rooms none``): no hosts, no load balancers and
    no deployment engine, so a new deployment stays ``Created`` (the stub behaviour the engine replaces)."""
    return _session_labs("control_plane_lab").result()


@pytest.fixture
def boto3_client(lab: RunningLab) -> t.Callable[..., t.Any]:
    """``boto3_client("codedeploy")``: a client for the session lab (us-east-1, credentials "testing")."""
    return lab.client


@pytest.fixture
def unique_name() -> t.Callable[[str], str]:
    """``unique_name("app")`` -> ``"app-1a2b3c4d"``: names that never collide across tests sharing the lab."""
    return lambda prefix: f"{prefix}-{uuid.uuid4().hex[:8]}"


class _ExpectedError:
    def __init__(self, code: str, message: str | None) -> None:
        self.code = code
        self.message = message
        self.error: t.Any = None

    def __enter__(self) -> _ExpectedError:
        return self

    def __exit__(self, kind: t.Any, error: t.Any, traceback: t.Any) -> bool:

        if error is None:
            raise AssertionError(f"expected {self.code}, but the call succeeded")
        if not isinstance(error, ClientError):
            return False
        self.error = error.response["Error"]
        assert self.error["Code"] == self.code, self.error
        if self.message is not None:
            assert self.message in self.error["Message"], self.error
        return True


@pytest.fixture
def aws_error() -> t.Callable[..., _ExpectedError]:
    """``with aws_error("ApplicationDoesNotExistException", "No application found"): client.get_application(...)``

    Asserts the error code exactly and that the message contains the given text.
    """
    return _ExpectedError


@pytest.fixture(scope="session")
def service_role(lab: RunningLab) -> str:
    """The ARN of an IAM role in the lab that deployment groups can use as their service role."""
    iam = lab.client("iam")
    name = f"codedeploy-service-{uuid.uuid4().hex[:8]}"
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument='{"Version": "2012-10-17", "Statement": []}')
    iam.attach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/service-role/AWSCodeDeployRole")
    return role["Role"]["Arn"]
