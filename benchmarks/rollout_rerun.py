#!/usr/bin/env python3

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

import json
import os
import re
import sys
import typing as t

from benchlab import REPO
from benchlab import arguments
from benchlab import calls_between
from benchlab import collections_tree
from benchlab import lab_of_its_own
from benchlab import median
from benchlab import one_task
from benchlab import run_playbook
from benchlab import tool_env
from benchlab import workspace
from benchlab import write_results

READ_ONLY = ("Get", "List", "Describe", "BatchGet", "Head")
RECAP = re.compile(r"localhost\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")
SITE_CHECKED = "Check that this many answers in a row are good"


def mutating(calls: dict[str, int]) -> dict[str, int]:
    """Of the calls counted (``service:Operation`` -> count), those that change something."""
    return {name: count for name, count in calls.items() if not name.split(":", 1)[1].startswith(READ_ONLY)}


def main() -> int:
    parser = arguments(
        __doc__,
        quick="1 lab host and 2 reruns instead of 3 hosts and 5",
        keep="keep the temporary directory and leave the lab up",
    )
    parser.add_argument("--repeat", type=int, help="reruns (and one-task runs) to time (default 5, --quick 2)")
    args = parser.parse_args()
    repeat = args.repeat or (2 if args.quick else 5)
    capacity = 1 if args.quick else 3

    with workspace("rollout-rerun-bench-", args.keep) as work, lab_of_its_own(work, leave_up=args.keep) as lab:
        tree = collections_tree(work)
        print(f"lab: {lab.endpoint}")
        variables = {
            "aws_endpoint_url": lab.endpoint,
            "aws_region": "us-east-1",
            "aws_access_key": "testing",
            "aws_secret_key": "testing",
            "codedeploy_capacity": capacity,
            "ansible_python_interpreter": sys.executable,
            "codedeploy_file_exists_behavior": "OVERWRITE",
        }
        (work / "lab.json").write_text(json.dumps(variables))
        env = tool_env(tree, lab)
        lab_vars = ("-e", f"@{work / 'lab.json'}")
        rollout = REPO / "playbooks" / "rollout.yml"
        setup, _cpu, _output = run_playbook(REPO / "playbooks" / "lab_environment.yml", env, *lab_vars)
        first, _cpu, _output = run_playbook(rollout, env, *lab_vars)
        print(f"setup: environment of {capacity} lab host(s) {setup:.1f} s, first rollout {first:.1f} s")

        floors: list[float] = []
        reruns: list[float] = []
        checks: list[dict[str, t.Any]] = []
        for run in range(repeat):
            floor, _cpu = one_task(work, env)
            before = lab.calls()
            rerun, _cpu, output = run_playbook(rollout, env, *lab_vars)
            mutations = mutating(calls_between(before, lab.calls()))
            recap = RECAP.search(output)
            check = {
                "changed": int(recap.group(2)) if recap else None,
                "site_checked": SITE_CHECKED in output,
                "mutating_calls": mutations,
            }
            floors.append(floor)
            reruns.append(rerun)
            checks.append(check)
            print(
                f"run {run + 1}: one-task {floor:6.2f} s, rerun {rerun:6.2f} s, changed={check['changed']}, "
                f"site checked: {check['site_checked']}, mutating calls: {mutations or 'none'}, "
                f"load {os.getloadavg()[0]:.1f}"
            )

        summary = {"one_task_s": median(floors), "rerun_s": median(reruns)}
        summary["ratio_rerun_to_one_task"] = summary["rerun_s"] / summary["one_task_s"]
        all_good = all(c["changed"] == 0 and c["site_checked"] and not c["mutating_calls"] for c in checks)
        print(
            f"\nmedians of {repeat} runs, {capacity} lab host(s) (ratio = rerun / one-task playbook; goal: at most 4)"
        )
        print(
            f"one-task playbook {summary['one_task_s']:6.2f} s, rollout.yml rerun {summary['rerun_s']:6.2f} s, "
            f"ratio {summary['ratio_rerun_to_one_task']:.2f}"
        )
        print(f"every rerun changed=0, checked the site and sent no mutating call: {all_good}")
        results = {
            "repeat": repeat,
            "capacity": capacity,
            "summary": summary,
            "one_task": floors,
            "reruns": reruns,
            "checks": checks,
            "load_average_end": os.getloadavg(),
        }
        print(f"results: {write_results('rollout_rerun', results)}")
        return 0 if all_good else 1


if __name__ == "__main__":
    sys.exit(main())
