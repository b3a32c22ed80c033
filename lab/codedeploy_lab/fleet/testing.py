"""Helpers for tests that drive hosts and the agent directly (in the test process, against real sandboxes)."""

from __future__ import annotations

import secrets
import subprocess
import typing as t
from dataclasses import replace

from ..agent import AgentCommand, EventOutcome, S3Revision
from .metadata import InstanceIdentity

if t.TYPE_CHECKING:
    from ..agent import Agent
    from .host import Host

IN_PLACE_EVENTS = ("ApplicationStop", "DownloadBundle", "BeforeInstall", "Install", "AfterInstall",
                   "ApplicationStart", "ValidateService")


def new_identity(user_data: bytes | None = None, region: str = "us-east-1") -> InstanceIdentity:
    return InstanceIdentity(instance_id=f"i-{secrets.token_hex(8)}", region=region,
                            availability_zone=f"{region}a", user_data=user_data)


def run_lifecycle(agent: Agent, host: Host, *, deployment_group_id: str, revision: S3Revision,
                  events: t.Sequence[str] = IN_PLACE_EVENTS, deployment_id: str | None = None,
                  application_name: str = "app", deployment_group_name: str = "group",
                  file_exists_behavior: str | None = None) -> dict[str, EventOutcome]:
    """Run ``events`` in order on one host, stopping after the first failure (as the service does)."""
    command = AgentCommand(event="", deployment_id=deployment_id or f"d-{secrets.token_hex(5).upper()[:9]}",
                           application_name=application_name, deployment_group_name=deployment_group_name,
                           deployment_group_id=deployment_group_id, revision=revision,
                           file_exists_behavior=file_exists_behavior)
    outcomes: dict[str, EventOutcome] = {}
    for event in events:
        outcome = agent.run_event(host, replace(command, event=event))
        outcomes[event] = outcome
        if not outcome.succeeded:
            break
    return outcomes


def sh(host: Host, script: str, timeout: float = 60) -> tuple[int, str]:
    """Run a shell snippet as root inside the host; (exit code, stdout+stderr)."""
    process = host.run(["/bin/sh", "-c", script], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    out, _ = process.communicate(timeout=timeout)
    return process.returncode, out.decode("utf-8", "replace")


# -- pytest fixtures (import them into a test module: ``from codedeploy_lab.fleet.testing import fleet, launch``) --

try:
    import pytest
except ImportError:  # pragma: no cover - only tests use the fixtures
    pytest = None  # type: ignore[assignment]

if pytest is not None:

    @pytest.fixture(scope="module")
    def fleet(lab: t.Any, tmp_path_factory: t.Any) -> t.Iterator[t.Any]:
        """A fleet in the test process (own /_lab/hosts server) whose hosts talk to the session lab's AWS APIs."""
        from . import Fleet

        problem = Fleet.sandbox_problem_here()
        if problem:
            pytest.skip(f"lab hosts need a sandbox: {problem}")
        local = Fleet(tmp_path_factory.mktemp("fleet"), endpoint_url=lab.endpoint)
        yield local
        local.shutdown()

    @pytest.fixture
    def launch(fleet: t.Any) -> t.Iterator[t.Callable[..., Host]]:
        """``launch(user_data=b"#!/bin/sh ...")`` -> a booted host, terminated after the test."""
        launched: list[Host] = []

        def _launch(user_data: bytes | None = None) -> Host:
            host = fleet.launch(new_identity(user_data))
            launched.append(host)
            assert host.wait_booted(120), f"{host.instance_id} did not boot"
            assert host.sandbox_error is None, host.sandbox_error
            return host

        yield _launch
        for host in launched:
            fleet.terminate(host.instance_id)

    @pytest.fixture(scope="module")
    def upload(lab: t.Any) -> t.Callable[..., S3Revision]:
        """``upload(bundle_bytes, "zip")`` -> the S3Revision of a new object in the session lab's S3."""
        s3 = lab.client("s3")
        bucket = f"revisions-{secrets.token_hex(6)}"
        s3.create_bucket(Bucket=bucket)

        def _upload(data: bytes, bundle_type: str = "zip") -> S3Revision:
            key = f"app/{secrets.token_hex(6)}.{bundle_type}"
            etag = s3.put_object(Bucket=bucket, Key=key, Body=data)["ETag"].strip('"')
            return S3Revision(bucket=bucket, key=key, bundle_type=bundle_type, etag=etag)

        return _upload
