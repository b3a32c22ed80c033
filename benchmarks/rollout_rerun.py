#!/usr/bin/env python3
# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Rerun benchmark: `playbooks/rollout.yml` with nothing changed against a one-task playbook (Ansible's floor).

Starts its own lab (codedeploy-lab up on a free port, state in a temporary directory), builds the environment
(`playbooks/lab_environment.yml`: lab hosts behind a load balancer) and rolls version 1 out once. Then, --repeat
times, in turn: a one-task playbook (`ansible.builtin.ping` on localhost, the same interpreter) and the unchanged
rerun of `rollout.yml`, each timed from start to exit. For every rerun it checks what the goal asks: the play
reports changed=0, the site was checked through the load balancer, and the lab counted no mutating call (any
operation that is not Get*, List*, Describe*, BatchGet* or Head*).

Prints medians and the ratio (rerun / one-task playbook), and writes the numbers as JSON to benchmarks/results/.
Run with the project's venv:

    .venv/bin/python benchmarks/rollout_rerun.py [--quick] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import typing as t
from pathlib import Path

from benchlab import BIN, CREDENTIALS, REPO, collections_tree, lab_calls, start_lab, stop_lab, write_results

READ_ONLY = ("Get", "List", "Describe", "BatchGet", "Head")
RECAP = re.compile(r"localhost\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")
SITE_CHECKED = "Check that this many answers in a row are good"
ONE_TASK = """\
- name: One task, Ansible's floor
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Answer
      ansible.builtin.ping:
"""


def mutating_calls(before: dict[str, t.Any], after: dict[str, t.Any]) -> dict[str, int]:
    """Operations the lab counted between two readings that change something, by service.operation."""
    calls = {}
    for service, operations in after.items():
        if not isinstance(operations, dict):
            continue
        for operation, count in operations.items():
            made = count - before.get(service, {}).get(operation, 0)
            if made and not operation.startswith(READ_ONLY):
                calls[f"{service}.{operation}"] = made
    return calls


def playbook(command_env: dict[str, str], path: Path, *extra: str) -> tuple[float, str]:
    """Wall seconds and output of one ansible-playbook run; exits the benchmark when it fails."""
    command = [str(BIN / "ansible-playbook"), "-i", "localhost,", str(path), *extra]
    started = time.perf_counter()
    run = subprocess.run(command, env=command_env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if run.returncode != 0:
        sys.exit(f"{path.name} failed:\n{run.stdout[-6000:]}\n{run.stderr[-2000:]}")
    return elapsed, run.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 lab host and 2 reruns instead of 3 hosts and 5")
    parser.add_argument("--repeat", type=int, help="reruns (and one-task runs) to time (default 5, --quick 2)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory and leave the lab up")
    args = parser.parse_args()
    repeat = args.repeat or (2 if args.quick else 5)
    capacity = 1 if args.quick else 3

    work = Path(tempfile.mkdtemp(prefix="rollout-rerun-bench-"))
    state_dir = work / "lab"
    lab_started = False
    try:
        tree = collections_tree(work)
        endpoint = start_lab(state_dir)
        lab_started = True
        print(f"lab: {endpoint}")
        variables = {
            "aws_endpoint_url": endpoint, "aws_region": "us-east-1", "aws_access_key": "testing",
            "aws_secret_key": "testing", "codedeploy_capacity": capacity, "ansible_python_interpreter": sys.executable,
            "codedeploy_file_exists_behavior": "OVERWRITE",
        }
        (work / "lab.json").write_text(json.dumps(variables))
        (work / "one.yml").write_text(ONE_TASK)
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(tree), **CREDENTIALS)
        env.pop("AWS_ENDPOINT_URL", None)
        lab_vars = ("-e", f"@{work / 'lab.json'}")
        setup, _output = playbook(env, REPO / "playbooks" / "lab_environment.yml", *lab_vars)
        first, _output = playbook(env, REPO / "playbooks" / "rollout.yml", *lab_vars)
        print(f"setup: environment of {capacity} lab host(s) {setup:.1f} s, first rollout {first:.1f} s")

        floors: list[float] = []
        reruns: list[float] = []
        checks: list[dict[str, t.Any]] = []
        for run in range(repeat):
            floor, _output = playbook(env, work / "one.yml", "-c", "local", "-e", f"ansible_python_interpreter={sys.executable}")
            before = lab_calls(endpoint)
            rerun, output = playbook(env, REPO / "playbooks" / "rollout.yml", *lab_vars)
            mutations = mutating_calls(before, lab_calls(endpoint))
            recap = RECAP.search(output)
            check = {"changed": int(recap.group(2)) if recap else None, "site_checked": SITE_CHECKED in output,
                     "mutating_calls": mutations}
            floors.append(floor)
            reruns.append(rerun)
            checks.append(check)
            print(f"run {run + 1}: one-task {floor:6.2f} s, rerun {rerun:6.2f} s, changed={check['changed']}, "
                  f"site checked: {check['site_checked']}, mutating calls: {mutations or 'none'}, "
                  f"load {os.getloadavg()[0]:.1f}")

        summary = {"one_task_s": statistics.median(floors), "rerun_s": statistics.median(reruns)}
        summary["ratio_rerun_to_one_task"] = summary["rerun_s"] / summary["one_task_s"]
        all_good = all(c["changed"] == 0 and c["site_checked"] and not c["mutating_calls"] for c in checks)
        print(f"\nmedians of {repeat} runs, {capacity} lab host(s) (ratio = rerun / one-task playbook; goal: at most 4)")
        print(f"one-task playbook {summary['one_task_s']:6.2f} s, rollout.yml rerun {summary['rerun_s']:6.2f} s, "
              f"ratio {summary['ratio_rerun_to_one_task']:.2f}")
        print(f"every rerun changed=0, checked the site and sent no mutating call: {all_good}")
        results = {"repeat": repeat, "capacity": capacity, "summary": summary, "one_task": floors, "reruns": reruns,
                   "checks": checks, "load_average_end": os.getloadavg()}
        print(f"results: {write_results('rollout_rerun', results)}")
        return 0 if all_good else 1
    finally:
        if args.keep:
            print(f"kept {work} (lab state in {state_dir}; stop it with codedeploy-lab down --state-dir {state_dir})")
        else:
            if lab_started:
                stop_lab(state_dir)
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
