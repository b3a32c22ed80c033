#!/usr/bin/env python3

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Large-fleet follow benchmark: codedeploy_deployment against the AWS CLI on a 500-instance deployment.

Starts its own lab in the large-fleet mode (codedeploy-lab up --fleet simulated --hook-seconds S, on a free port,
state in a temporary directory), launches --instances simulated hosts in one deployment group
(CodeDeployDefault.AllAtOnce), deploys once with boto3 (not measured: a group in use has deployed before, and
ours learns its poll schedule from the group's last successful deployment) and then, in turn, --repeat times each:

- ours: ansible-playbook runs codedeploy_deployment (force: true, so each run creates a deployment) and follows it;
  the next task prints the controller's clock, which is when the task returned;
- theirs: `aws deploy create-deployment`, then `aws deploy wait deployment-successful`, whose exit this script times.

The lab's call counter (GET /_lab/calls) is read before and after each tool runs; the difference is what that tool
called. Printed per tool: API calls while following (every call but CreateDeployment) per minute, from the
deployment's createTime to the tool returning, and the time from the deployment's completeTime (the lab's clock: the
same machine) to the tool returning; then the ratios ours / theirs. Writes JSON to benchmarks/results/.

    .venv/bin/python benchmarks/follow_large_fleet.py [--quick] [--instances 500] [--hook-seconds 1.0] [--repeat 2]
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import time
import typing as t

from benchlab import BIN
from benchlab import RunningLab
from benchlab import arguments
from benchlab import calls_between
from benchlab import collections_tree
from benchlab import lab_of_its_own
from benchlab import median
from benchlab import tool_env
from benchlab import workspace
from benchlab import write_results
from follow_latency import follow_command
from follow_latency import launch
from follow_latency import returned_at
from follow_latency import set_up

DEPLOYMENT_ID = "DEPLOYMENT_ID="

PLAYBOOK = """\
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Deploy to the large fleet and follow it
      rollout.codedeploy.codedeploy_deployment:
        endpoint_url: "{{ endpoint }}"
        access_key: testing
        secret_key: testing
        region: us-east-1
        application_name: bench
        deployment_group_name: fleet
        revision: "{{ revision }}"
        force: true
        wait_timeout: 3600
      register: deployed
    - name: Say when the task returned
      ansible.builtin.debug:
        msg: "RETURNED_AT={{ lookup('ansible.builtin.pipe', 'date +%s.%N') }}
          DEPLOYMENT_ID={{ deployed.deployment.deployment_id }} TARGETS={{ deployed.deployment.targets | length }}"
"""


def measure(
    codedeploy: t.Any, deployment_id: str, returned_at: float, calls: dict[str, int], started_at: float
) -> dict[str, t.Any]:
    info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    created, complete = info["createTime"].timestamp(), info["completeTime"].timestamp()
    following = {name: count for name, count in calls.items() if name != "codedeploy:CreateDeployment"}
    followed_seconds = returned_at - created
    return {
        "deployment_id": deployment_id,
        "status": info["status"],
        "overview": info.get("deploymentOverview"),
        "deployment_seconds": round(complete - created, 3),
        "tool_seconds": round(returned_at - started_at, 3),
        "end_to_return_seconds": round(returned_at - complete, 3),
        "follow_calls": sum(following.values()),
        "follow_calls_per_minute": round(sum(following.values()) / followed_seconds * 60, 1),
        "calls": dict(sorted(calls.items())),
    }


def full_listing_seconds(codedeploy: t.Any, deployment_id: str) -> tuple[float, int]:
    """What the module's result costs at the end: every target id (pages of 100), then every target in batches of 25,
    timed here with boto3 (seconds, calls)."""
    started = time.monotonic()
    pages = list(codedeploy.get_paginator("list_deployment_targets").paginate(deploymentId=deployment_id))
    ids = [target_id for page in pages for target_id in page["targetIds"]]
    for start in range(0, len(ids), 25):
        codedeploy.batch_get_deployment_targets(deploymentId=deployment_id, targetIds=ids[start : start + 25])
    return round(time.monotonic() - started, 3), len(pages) + (len(ids) + 24) // 25


def run_ours(lab: RunningLab, playbook_command: list[str], env: dict[str, str]) -> dict[str, t.Any]:
    codedeploy = lab.client("codedeploy")
    before = lab.calls()
    started = time.time()
    done = subprocess.run(playbook_command, env=env, capture_output=True, text=True)
    after = lab.calls()
    returned = returned_at(done.returncode, done.stdout, done.stderr)
    deployment_id = done.stdout.split(DEPLOYMENT_ID, 1)[1].split()[0]
    result = measure(codedeploy, deployment_id, returned, calls_between(before, after), started)
    result["progress_lines"] = sum(
        1 for line in done.stdout.splitlines() if line.startswith(f"localhost | {deployment_id}")
    )
    result["full_listing_seconds"], result["full_listing_calls"] = full_listing_seconds(codedeploy, deployment_id)
    return result


def run_theirs(lab: RunningLab, location: dict[str, str], env: dict[str, str]) -> dict[str, t.Any]:
    aws = [str(BIN / "aws"), "deploy", "--endpoint-url", lab.endpoint]
    s3_location = ",".join(f"{key}={value}" for key, value in location.items())
    before = lab.calls()
    started = time.time()
    created = subprocess.run(
        [*aws, "create-deployment", "--application-name", "bench", "--deployment-group-name", "fleet"]
        + ["--s3-location", s3_location, "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
    )
    if created.returncode != 0:
        sys.exit(f"aws deploy create-deployment failed: {created.stderr}")
    deployment_id = json.loads(created.stdout)["deploymentId"]
    waited = subprocess.run(
        [*aws, "wait", "deployment-successful", "--deployment-id", deployment_id],
        env=env,
        capture_output=True,
        text=True,
    )
    returned_at = time.time()
    after = lab.calls()
    if waited.returncode != 0:
        sys.exit(f"aws deploy wait failed: {waited.stderr}")
    return measure(lab.client("codedeploy"), deployment_id, returned_at, calls_between(before, after), started)


def deploy_unmeasured(lab: RunningLab, location: dict[str, str]) -> dict[str, t.Any]:
    """One deployment of the group, followed by a tight boto3 poll (the CLI's 15 s wait would only cost time here)."""
    codedeploy = lab.client("codedeploy")
    deployment_id = codedeploy.create_deployment(
        applicationName="bench",
        deploymentGroupName="fleet",
        revision={"revisionType": "S3", "s3Location": location},
    )["deploymentId"]
    while True:
        info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
        if info["status"] in ("Succeeded", "Failed", "Stopped"):
            if info["status"] != "Succeeded":
                sys.exit(f"the warm-up deployment {deployment_id} ended {info['status']}")
            seconds = (info["completeTime"] - info["createTime"]).total_seconds()
            return {"deploymentId": deployment_id, "status": info["status"], "seconds": round(seconds, 1)}
        time.sleep(0.5)


def main() -> int:
    parser = arguments(__doc__, quick="300 hosts, 0.5 s per lifecycle event, 1 deployment each")
    parser.add_argument("--instances", type=int, help="simulated hosts in the group (default 500, --quick 300)")
    parser.add_argument(
        "--hook-seconds",
        type=float,
        help="seconds each lifecycle event takes on a simulated host (default 1.0, --quick 0.5)",
    )
    parser.add_argument("--repeat", type=int, help="deployments per tool (default 2, --quick 1)")
    args = parser.parse_args()
    args.instances = args.instances or (300 if args.quick else 500)
    args.repeat = args.repeat or (1 if args.quick else 2)
    args.hook_seconds = args.hook_seconds or (0.5 if args.quick else 1.0)

    with (
        workspace("follow-large-fleet-", args.keep) as work,
        lab_of_its_own(work, fleet="simulated", hook_seconds=args.hook_seconds) as lab,
    ):
        tree = collections_tree(work)
        print(f"lab: {lab.endpoint} (simulated fleet, {args.hook_seconds} s per lifecycle event)")
        started = time.monotonic()
        launch(lab, args.instances)
        print(f"{args.instances} simulated instances launched in {time.monotonic() - started:.1f} s")
        location = set_up(lab, hook_seconds=0)
        playbook_command = follow_command(work, PLAYBOOK, lab.endpoint, location)
        env = tool_env(tree, lab)

        # A group in use has deployed before: one deployment first (not measured), so that every measured one, ours
        # and theirs alike, follows a successful deployment of the group, which ours learns its schedule from.
        warm_up = deploy_unmeasured(lab, location)
        print(f"warm-up: {warm_up['deploymentId']} {warm_up['status']} in {warm_up['seconds']} s")

        rounds: dict[str, list[dict[str, t.Any]]] = {"ours": [], "theirs": []}
        tools = {
            "ours": functools.partial(run_ours, lab, playbook_command, env),
            "theirs": functools.partial(run_theirs, lab, location, env),
        }
        for index in range(args.repeat):
            for name, run in tools.items():
                result = run()
                rounds[name].append(result)
                print(
                    f"round {index + 1}, {name}: {result['deployment_id']} {result['status']} "
                    f"({result['overview']['Succeeded']}/{args.instances} succeeded) in {result['deployment_seconds']} s; "
                    f"{result['follow_calls']} calls following ({result['follow_calls_per_minute']}/min), "
                    f"returned {result['end_to_return_seconds']} s after the end"
                )
                print(f"  calls: {result['calls']}")
                if "full_listing_seconds" in result:
                    print(
                        f"  {result['progress_lines']} progress lines; listing every target as the result does: "
                        f"{result['full_listing_calls']} calls, {result['full_listing_seconds']} s"
                    )

        summary: dict[str, t.Any] = {
            "instances": args.instances,
            "hook_seconds": args.hook_seconds,
            "repeat": args.repeat,
        }
        for key in ("deployment_seconds", "follow_calls_per_minute", "end_to_return_seconds", "follow_calls"):
            ours, theirs = (median(r[key] for r in rounds[name]) for name in ("ours", "theirs"))
            summary[key] = {"ours": ours, "theirs": theirs, "ratio": round(ours / theirs, 2) if theirs else None}
        print(json.dumps(summary, indent=2))
        ends = summary["end_to_return_seconds"]
        print(
            f"end to return, median: ours {ends['ours']} s, aws deploy wait {ends['theirs']} s "
            f"({ends['theirs'] / ends['ours'] if ends['ours'] else float('inf'):.1f}x better; goal: at most 1.0 s, 7x); "
            f"calls a minute following: ours {summary['follow_calls_per_minute']['ours']} (goal: at most 30)"
        )
        summary["rounds"] = rounds
        print(f"written: {write_results('follow_large_fleet', summary)}")
        return 0


if __name__ == "__main__":
    sys.exit(main())
