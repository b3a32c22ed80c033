# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What every benchmark needs: a private lab, a collections tree for ansible-playbook, and a place for results."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import typing as t
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def _lab_command() -> list[str]:
    if (BIN / "codedeploy-lab").exists():
        return [str(BIN / "codedeploy-lab")]
    return [sys.executable, "-m", "codedeploy_lab.cli"]


def _lab_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "lab"), env.get("PYTHONPATH")]))
    return env


# The control token of each lab this run started, by endpoint: /_lab/calls needs it (header X-Lab-Token).
_TOKENS: dict[str, str] = {}


def start_lab(state_dir: Path, *options: str) -> str:
    """``codedeploy-lab up`` (a free port) with these options; its endpoint. Exits the benchmark when it fails."""
    up = subprocess.run(_lab_command() + ["up", "--state-dir", str(state_dir), *options],
                        env=_lab_env(), capture_output=True, text=True, check=False)
    if up.returncode != 0:
        sys.exit(f"codedeploy-lab up failed:\n{up.stdout}\n{up.stderr}")
    endpoint = up.stdout.strip().splitlines()[-1]
    _TOKENS[endpoint] = (state_dir / "control-token").read_text().strip()
    return endpoint


def stop_lab(state_dir: Path) -> None:
    """``codedeploy-lab down``: stops the lab of that state directory by its PID."""
    subprocess.run(_lab_command() + ["down", "--state-dir", str(state_dir)], env=_lab_env(), capture_output=True,
                   check=False)


def lab_calls(endpoint: str, method: str = "GET") -> dict[str, t.Any]:
    """The lab's API call counts (``GET /_lab/calls``); ``DELETE`` clears them."""
    request = urllib.request.Request(f"{endpoint}/_lab/calls", method=method,
                                     headers={"X-Lab-Token": _TOKENS[endpoint]})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


def collections_tree(work: Path) -> Path:
    """An ansible_collections tree holding this checkout and amazon.aws, for ansible-playbook."""
    amazon = REPO / ".build" / "ansible_collections" / "amazon" / "aws"
    if not (amazon / "plugins").is_dir():
        sys.exit("amazon.aws not found: run `make venv` first")
    tree = work / "collections"
    (tree / "ansible_collections" / "rollout").mkdir(parents=True)
    (tree / "ansible_collections" / "amazon").mkdir(parents=True)
    (tree / "ansible_collections" / "rollout" / "codedeploy").symlink_to(REPO)
    (tree / "ansible_collections" / "amazon" / "aws").symlink_to(amazon)
    return tree


def write_results(name: str, results: t.Any) -> Path:
    """``benchmarks/results/<name>-<time>.json`` (git-ignored)."""
    directory = REPO / "benchmarks" / "results"
    directory.mkdir(exist_ok=True)
    output = directory / f"{name}-{time.strftime('%Y%m%dT%H%M%S')}.json"
    output.write_text(json.dumps(results, indent=2) + "\n")
    return output
