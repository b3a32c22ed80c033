"""Helpers for tests that need a running lab: a real, separate lab process started through the CLI."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import typing as t
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import boto3

from .lab import TOKEN_HEADER
from .lab import read_control_token

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def lab_command(*args: str) -> list[str]:
    """The ``codedeploy-lab`` command line run with this interpreter (works installed or from a checkout)."""
    return [sys.executable, "-m", "codedeploy_lab.cli", *args]


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    return env


def run_cli(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(lab_command(*args), capture_output=True, text=True, env=_environment(), timeout=timeout)
    if check and result.returncode != 0:
        raise RuntimeError(
            f"codedeploy-lab {' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
        )
    return result


@dataclass
class RunningLab:
    endpoint: str
    state_dir: Path
    pid: int
    port: int
    token: str  # the control token (``<state>/control-token``) that /_lab/ and /moto-api need

    @classmethod
    def from_state_dir(cls, state_dir: Path | str) -> RunningLab:
        """The lab that ``codedeploy-lab up`` started in ``state_dir``, as its lab.json and control token say."""
        state = Path(state_dir).resolve()
        info = json.loads((state / "lab.json").read_text())
        token = read_control_token(state)
        assert token, f"the lab in {state} wrote no control token"
        return cls(
            endpoint=info["endpoint"], state_dir=state, pid=int(info["pid"]), port=int(info["port"]), token=token
        )

    def request(self, method: str, path: str, body: t.Any = None, timeout: float = 30) -> urllib.request.Request:
        """A request to the lab's own endpoints with the control token (JSON ``body`` if given)."""
        headers = {TOKEN_HEADER: self.token}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        elif method in ("POST", "PUT"):
            data = b""
        return urllib.request.Request(f"{self.endpoint}{path}", data=data, method=method, headers=headers)

    def get(self, path: str) -> t.Any:
        with urllib.request.urlopen(self.request("GET", path), timeout=10) as response:
            return json.loads(response.read())

    def post(self, path: str, body: t.Any = None) -> t.Any:
        with urllib.request.urlopen(self.request("POST", path, body), timeout=30) as response:
            return json.loads(response.read())

    def calls(self) -> dict[str, dict[str, int]]:
        return t.cast(dict, self.get("/_lab/calls"))

    def client(self, service: str, **kwargs: t.Any) -> t.Any:
        return boto3.client(service, endpoint_url=self.endpoint, **{**CREDENTIALS, **kwargs})

    def env(self) -> dict[str, str]:
        """Environment variables that point AWS clients (boto3, the AWS CLI, Ansible) at this lab."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
            "AWS_DEFAULT_REGION": CREDENTIALS["region_name"],
            "AWS_REGION": CREDENTIALS["region_name"],
        }


def start_lab(state_dir: Path | str, port: int = 0, time_factor: float | None = None, **opts: t.Any) -> RunningLab:
    """``codedeploy-lab up`` (a separate process); stop it with ``stop_lab``.

    Extra ``opts`` become ``--<name>`` options of ``up`` (underscores turn into dashes); ``True`` is a bare flag
    (``enforce_iam=True`` is ``--enforce-iam``).
    """
    state = Path(state_dir).resolve()
    args = ["up", "--state-dir", str(state), "--port", str(port)]
    if time_factor is not None:
        args += ["--time-factor", str(time_factor)]
    for name, value in opts.items():
        args += [f"--{name.replace('_', '-')}"] if value is True else [f"--{name.replace('_', '-')}", str(value)]
    run_cli(*args)
    return RunningLab.from_state_dir(state)


def stop_lab(lab: RunningLab) -> None:
    """``codedeploy-lab down``: stops the lab by the PID recorded in its state directory."""
    run_cli("down", "--state-dir", str(lab.state_dir), check=False)


@contextlib.contextmanager
def running_lab(
    state_dir: Path | str, port: int = 0, time_factor: float | None = None, **opts: t.Any
) -> t.Iterator[RunningLab]:
    """Start a lab with ``codedeploy-lab up`` (a separate process), yield it, stop it by its PID."""
    lab = start_lab(state_dir, port, time_factor, **opts)
    try:
        yield lab
    finally:
        stop_lab(lab)
