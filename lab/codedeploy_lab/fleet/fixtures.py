"""pytest fixtures for tests that drive hosts and the agent directly: ``fleet``, ``launch`` and ``upload``.

A test module that uses them names this module, ``pytest_plugins = ["codedeploy_lab.fleet.fixtures"]``, and
imports nothing from it (so pytest loads it as a plugin, with its asserts rewritten). The helpers are in ``testing.py``.
"""

from __future__ import annotations

import secrets
import typing as t

import pytest

from ..agent import S3Revision
from ..testing import RunningLab
from . import Fleet
from .host import Host
from .testing import new_identity


@pytest.fixture(scope="module")
def fleet(lab: RunningLab, tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[Fleet]:
    """A fleet in the test process (own /_lab/hosts server) whose hosts talk to the session lab's AWS APIs."""
    problem = Fleet.sandbox_problem_here()
    if problem:
        pytest.skip(f"lab hosts need a sandbox: {problem}")
    local = Fleet(tmp_path_factory.mktemp("fleet"), endpoint_url=lab.endpoint)
    yield local
    local.shutdown()


@pytest.fixture
def launch(fleet: Fleet) -> t.Iterator[t.Callable[..., Host]]:
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
def upload(lab: RunningLab) -> t.Callable[..., S3Revision]:
    """``upload(bundle_bytes, "zip")`` -> the S3Revision of a new object in the session lab's S3."""
    s3 = lab.client("s3")
    bucket = f"revisions-{secrets.token_hex(6)}"
    s3.create_bucket(Bucket=bucket)

    def _upload(data: bytes, bundle_type: str = "zip") -> S3Revision:
        key = f"app/{secrets.token_hex(6)}.{bundle_type}"
        etag = s3.put_object(Bucket=bucket, Key=key, Body=data)["ETag"].strip('"')
        return S3Revision(bucket=bucket, key=key, bundle_type=bundle_type, etag=etag)

    return _upload
