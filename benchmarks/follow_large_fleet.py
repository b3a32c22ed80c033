#!/usr/bin/env python3
# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Large-fleet follow benchmark: codedeploy_deployment against the AWS CLI on a 500-instance deployment.

Starts its own lab in the large-fleet mode (codedeploy-lab up --fleet simulated --hook-seconds S, on a free port,
state in a temporary directory), launches --instances simulated hosts in one deployment group
(CodeDeployDefault.AllAtOnce), deploys once with the AWS CLI (not measured: a group in use has deployed before, and
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

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import typing as t
from collections import Counter
from pathlib import Path

from benchlab import BIN, CREDENTIALS, collections_tree, lab_calls, start_lab, stop_lab, write_results
from follow_latency import RETURNED, bundle

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
        msg: "RETURNED_AT={{ lookup('ansible.builtin.pipe', 'date +%s.%N') }} DEPLOYMENT_ID={{ deployed.deployment.deployment_id }} TARGETS={{ deployed.deployment.targets | length }}"
"""


def set_up(session: t.Any, endpoint: str, instances: int) -> dict[str, t.Any]:
    iam = session.client("iam", endpoint_url=endpoint)
    role = iam.create_role(RoleName="bench-codedeploy", AssumeRolePolicyDocument='{"Version": "2012-10-17", "Statement": []}')
    started = time.monotonic()
    session.client("ec2", endpoint_url=endpoint).run_instances(
        ImageId="ami-12345678", MinCount=instances, MaxCount=instances, InstanceType="t3.micro",
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "fleet", "Value": "bench"}]}],
    )
    print(f"{instances} simulated instances launched in {time.monotonic() - started:.1f} s")
    s3 = session.client("s3", endpoint_url=endpoint)
    s3.create_bucket(Bucket="bench")
    e_tag = s3.put_object(Bucket="bench", Key="bench.zip", Body=bundle(0))["ETag"].strip('"')
    codedeploy = session.client("codedeploy", endpoint_url=endpoint)
    codedeploy.create_application(applicationName="bench")
    codedeploy.create_deployment_group(
        applicationName="bench", deploymentGroupName="fleet", serviceRoleArn=role["Role"]["Arn"],
        deploymentConfigName="CodeDeployDefault.AllAtOnce",
        ec2TagFilters=[{"Key": "fleet", "Value": "bench", "Type": "KEY_AND_VALUE"}],
    )
    return {"bucket": "bench", "key": "bench.zip", "bundleType": "zip", "eTag": e_tag}


def calls_between(before: dict[str, dict[str, int]], after: dict[str, dict[str, int]]) -> Counter[str]:
    """Calls made between two snapshots of /_lab/calls, as "service:Operation" -> count."""
    delta: Counter[str] = Counter()
    for service, operations in after.items():
        for operation, count in operations.items():
            made = count - before.get(service, {}).get(operation, 0)
            if made:
                delta[f"{service}:{operation}"] = made
    return delta


def measure(codedeploy: t.Any, deployment_id: str, returned_at: float, calls: Counter[str], started_at: float) -> dict[str, t.Any]:
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
        codedeploy.batch_get_deployment_targets(deploymentId=deployment_id, targetIds=ids[start:start + 25])
    return round(time.monotonic() - started, 3), len(pages) + (len(ids) + 24) // 25


def run_ours(endpoint: str, codedeploy: t.Any, playbook_command: list[str], env: dict[str, str]) -> dict[str, t.Any]:
    before = lab_calls(endpoint)
    started = time.time()
    done = subprocess.run(playbook_command, env=env, capture_output=True, text=True)
    after = lab_calls(endpoint)
    returned = RETURNED.search(done.stdout)
    if done.returncode != 0 or not returned:
        sys.exit(f"ansible-playbook failed:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}")
    deployment_id = done.stdout.split(DEPLOYMENT_ID, 1)[1].split()[0]
    result = measure(codedeploy, deployment_id, float(returned.group(1)), calls_between(before, after), started)
    result["progress_lines"] = sum(1 for line in done.stdout.splitlines() if line.startswith(f"localhost | {deployment_id}"))
    result["full_listing_seconds"], result["full_listing_calls"] = full_listing_seconds(codedeploy, deployment_id)
    return result


def run_theirs(endpoint: str, codedeploy: t.Any, location: dict[str, str], env: dict[str, str]) -> dict[str, t.Any]:
    aws = [str(BIN / "aws"), "deploy", "--endpoint-url", endpoint]
    before = lab_calls(endpoint)
    started = time.time()
    created = subprocess.run(aws + ["create-deployment", "--application-name", "bench", "--deployment-group-name", "fleet",
                                    "--s3-location", ",".join(f"{key}={value}" for key, value in location.items()),
                                    "--output", "json"], env=env, capture_output=True, text=True)
    if created.returncode != 0:
        sys.exit(f"aws deploy create-deployment failed: {created.stderr}")
    deployment_id = json.loads(created.stdout)["deploymentId"]
    waited = subprocess.run(aws + ["wait", "deployment-successful", "--deployment-id", deployment_id], env=env,
                            capture_output=True, text=True)
    returned_at = time.time()
    after = lab_calls(endpoint)
    if waited.returncode != 0:
        sys.exit(f"aws deploy wait failed: {waited.stderr}")
    return measure(codedeploy, deployment_id, returned_at, calls_between(before, after), started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 hosts, 0.5 s per lifecycle event, 1 deployment each")
    parser.add_argument("--instances", type=int, help="simulated hosts in the group (default 500, --quick 300)")
    parser.add_argument("--hook-seconds", type=float,
                        help="seconds each lifecycle event takes on a simulated host (default 1.0, --quick 0.5)")
    parser.add_argument("--repeat", type=int, help="deployments per tool (default 2, --quick 1)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    args.instances = args.instances or (300 if args.quick else 500)
    args.repeat = args.repeat or (1 if args.quick else 2)
    args.hook_seconds = args.hook_seconds or (0.5 if args.quick else 1.0)

    work = Path(tempfile.mkdtemp(prefix="follow-large-fleet-"))
    state_dir = work / "lab"
    lab_started = False
    try:
        tree = collections_tree(work)
        endpoint = start_lab(state_dir, "--fleet", "simulated", "--hook-seconds", str(args.hook_seconds))
        lab_started = True
        print(f"lab: {endpoint} (simulated fleet, {args.hook_seconds} s per lifecycle event)")

        import boto3  # the venv's; imported late so --help works without it

        session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
        location = set_up(session, endpoint, args.instances)
        codedeploy = session.client("codedeploy", endpoint_url=endpoint)
        ansible_revision = {"revision_type": "S3", "s3_location": {"bucket": location["bucket"], "key": location["key"],
                                                                  "bundle_type": "zip", "e_tag": location["eTag"]}}
        playbook = work / "deploy.yml"
        playbook.write_text(PLAYBOOK)
        playbook_command = [str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook),
                            "-e", json.dumps({"endpoint": endpoint, "revision": ansible_revision,
                                              "ansible_python_interpreter": sys.executable})]
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(tree), ANSIBLE_HOST_KEY_CHECKING="false",
                   ANSIBLE_DEPRECATION_WARNINGS="false", **CREDENTIALS)

        # A group in use has deployed before: one deployment first (not measured), so that every measured one, ours
        # and theirs alike, follows a successful deployment of the group, which ours learns its schedule from.
        warm_up = run_theirs(endpoint, codedeploy, location, env)
        print(f"warm-up: {warm_up['deployment_id']} {warm_up['status']} in {warm_up['deployment_seconds']} s")

        rounds: dict[str, list[dict[str, t.Any]]] = {"ours": [], "theirs": []}
        for index in range(args.repeat):
            for name, run in (("ours", lambda: run_ours(endpoint, codedeploy, playbook_command, env)),
                              ("theirs", lambda: run_theirs(endpoint, codedeploy, location, env))):
                result = run()
                rounds[name].append(result)
                print(f"round {index + 1}, {name}: {result['deployment_id']} {result['status']} "
                      f"({result['overview']['Succeeded']}/{args.instances} succeeded) in {result['deployment_seconds']} s; "
                      f"{result['follow_calls']} calls following ({result['follow_calls_per_minute']}/min), "
                      f"returned {result['end_to_return_seconds']} s after the end")
                print(f"  calls: {result['calls']}")
                if "full_listing_seconds" in result:
                    print(f"  {result['progress_lines']} progress lines; listing every target as the result does: "
                          f"{result['full_listing_calls']} calls, {result['full_listing_seconds']} s")

        def median(name: str, key: str) -> float:
            return statistics.median(r[key] for r in rounds[name])

        summary: dict[str, t.Any] = {"instances": args.instances, "hook_seconds": args.hook_seconds, "repeat": args.repeat}
        for key in ("deployment_seconds", "follow_calls_per_minute", "end_to_return_seconds", "follow_calls"):
            ours, theirs = median("ours", key), median("theirs", key)
            summary[key] = {"ours": ours, "theirs": theirs, "ratio": round(ours / theirs, 2) if theirs else None}
        print(json.dumps(summary, indent=2))
        ends = summary["end_to_return_seconds"]
        print(f"end to return, median: ours {ends['ours']} s, aws deploy wait {ends['theirs']} s "
              f"({ends['theirs'] / ends['ours'] if ends['ours'] else float('inf'):.1f}x better; goal: at most 1.0 s, 7x); "
              f"calls a minute following: ours {summary['follow_calls_per_minute']['ours']} (goal: at most 30)")
        summary["rounds"] = rounds
        print(f"written: {write_results('follow_large_fleet', summary)}")
        return 0
    finally:
        if lab_started:
            stop_lab(state_dir)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
