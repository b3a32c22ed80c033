"""Talking to a running lab from outside it: finding the lab of a state directory and calling its ``/_lab/`` endpoints.

The ``codedeploy-lab`` command and its subcommands (``fault``, ``host``) share these; the lab process imports none of
it.
"""

from __future__ import annotations

import argparse
import json
import os
import typing as t
import urllib.error
import urllib.request
from pathlib import Path

from .lab import TOKEN_HEADER
from .lab import read_control_token


class LabError(Exception):
    """A failure the user can act on; printed without a traceback."""


def read_lab_json(state_dir: Path) -> dict[str, t.Any] | None:
    try:
        return t.cast("dict[str, t.Any]", json.loads((state_dir / "lab.json").read_text()))
    except FileNotFoundError:
        return None
    except ValueError as error:
        raise LabError(
            f"{state_dir / 'lab.json'} is not valid JSON ({error}); remove it if no lab runs there"
        ) from None


def is_lab_process(pid: int) -> bool:
    """True if ``pid`` is alive and is a codedeploy-lab serve process (guards against a recycled PID)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return True  # no /proc: trust the PID we recorded ourselves
    return b"codedeploy_lab" in cmdline and b"serve" in cmdline


def running_lab(state_dir: Path) -> dict[str, t.Any] | None:
    """The recorded lab.json if its process is alive; removes a stale lab.json."""
    info = read_lab_json(state_dir)
    if info is None:
        return None
    if not is_lab_process(int(info.get("pid", 0))):
        (state_dir / "lab.json").unlink(missing_ok=True)
        return None
    return info


def required_lab(state_dir: str) -> tuple[str, str]:
    """``(endpoint, control token)`` of the lab running in ``state_dir`` (a subcommand's --state-dir), or LabError."""
    state = Path(state_dir).resolve()
    info = running_lab(state)
    if info is None:
        raise LabError(f"no lab running in {state}; start one with: codedeploy-lab up --state-dir {state_dir}")
    return str(info["endpoint"]), read_control_token(state) or ""


def request_lab(method: str, url: str, token: str, body: t.Any = None, timeout: float = 30.0) -> t.Any:
    """A JSON call to one of the lab's own endpoints with its control token; LabError with the lab's message."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {TOKEN_HEADER: token, **({"Content-Type": "application/json"} if data else {})}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        try:
            message = json.loads(error.read()).get("message") or error.reason
        except ValueError:
            message = error.reason
        raise LabError(f"{method} {url}: {message}") from None
    except (OSError, urllib.error.URLError) as error:
        raise LabError(f"the lab at {url} does not answer: {error}") from None


def subcommand_adder(
    actions: t.Any, default_state_dir: str, handler: t.Callable[[argparse.Namespace], int]
) -> t.Callable[[str, str], argparse.ArgumentParser]:
    """``add(name, help_text)``: a subcommand of a lab command (``fault``, ``host``) that takes ``--state-dir`` and
    runs ``handler``."""

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        parser = actions.add_parser(name, help=help_text, description=help_text)
        parser.add_argument(
            "--state-dir", default=default_state_dir, help=f"the lab's state directory (default: ./{default_state_dir})"
        )
        parser.set_defaults(handler=handler)
        return parser

    return add
