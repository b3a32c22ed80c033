#!/usr/bin/env python3

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Follow benchmark: codedeploy_deployment against `aws deploy wait deployment-successful`.

Starts its own lab (codedeploy-lab up on a free port, state in a temporary directory), launches a small fleet of lab
hosts, and deploys a bundle whose AfterInstall hook sleeps --hook-seconds. For each of --repeat deployments, created
with boto3, both followers start at once and follow the same deployment:

- ours: ansible-playbook runs codedeploy_deployment with the same revision (it attaches to the deployment in
  flight), and the next task prints the controller's clock, which is when the task returned;
- theirs: `aws deploy wait deployment-successful --deployment-id ...`, whose exit is timed by this script.

Latency is the time from the deployment's completeTime (the lab's clock: the same machine) to each follower
returning. A last deployment is followed by ours alone while the lab counts the API calls, for calls per minute.

Prints medians and writes the numbers as JSON to benchmarks/results/. Run with the project's venv:

    .venv/bin/python benchmarks/follow_latency.py [--repeat 5] [--instances 2] [--hook-seconds 12]
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
import typing as t
from pathlib import Path

from benchlab import BIN
from benchlab import RunningLab
from benchlab import ansible_playbook
from benchlab import arguments
from benchlab import calls_between
from benchlab import collections_tree
from benchlab import lab_of_its_own
from benchlab import median
from benchlab import tool_env
from benchlab import workspace
from benchlab import write_results

from codedeploy_lab.agent.bundles import make_bundle

RETURNED = re.compile(r"RETURNED_AT=([0-9.]+)")
APPSPEC = """\
version: 0.0
os: linux
files:
  - source: site
    destination: /opt/bench
hooks:
  AfterInstall:
    - location: scripts/work.sh
      timeout: 300
"""

PLAYBOOK = """\
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Follow the deployment
      rollout.codedeploy.codedeploy_deployment:
        endpoint_url: "{{ endpoint }}"
        access_key: testing
        secret_key: testing
        region: us-east-1
        application_name: bench
        deployment_group_name: fleet
        revision: "{{ revision }}"
        wait_timeout: 600
    - name: Say when the task returned
      ansible.builtin.debug:
        msg: "RETURNED_AT={{ lookup('ansible.builtin.pipe', 'date +%s.%N') }}"
"""


def bundle(hook_seconds: float) -> bytes:
    """A zip whose AfterInstall sleeps ``hook_seconds``."""
    work = (f"#!/bin/sh\nsleep {hook_seconds}\n", 0o755)
    return make_bundle({"appspec.yml": APPSPEC, "site/index.html": "bench\n", "scripts/work.sh": work}, "zip")


def launch(lab: RunningLab, instances: int) -> None:
    """``instances`` hosts tagged fleet=bench."""
    lab.client("ec2").run_instances(
        ImageId="ami-12345678",
        MinCount=instances,
        MaxCount=instances,
        InstanceType="t3.micro",
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "fleet", "Value": "bench"}]}],
    )


def set_up(lab: RunningLab, hook_seconds: float) -> dict[str, str]:
    """Application ``bench`` with group ``fleet`` (the hosts tagged fleet=bench, AllAtOnce), and in S3 a bundle whose
    AfterInstall sleeps ``hook_seconds``: the bundle's S3 location as CreateDeployment takes it."""
    iam = lab.client("iam")
    role = iam.create_role(
        RoleName="bench-codedeploy", AssumeRolePolicyDocument='{"Version": "2012-10-17", "Statement": []}'
    )
    iam.attach_role_policy(
        RoleName="bench-codedeploy", PolicyArn="arn:aws:iam::aws:policy/service-role/AWSCodeDeployRole"
    )
    s3 = lab.client("s3")
    s3.create_bucket(Bucket="bench")
    e_tag = s3.put_object(Bucket="bench", Key="bench.zip", Body=bundle(hook_seconds))["ETag"].strip('"')
    codedeploy = lab.client("codedeploy")
    codedeploy.create_application(applicationName="bench")
    codedeploy.create_deployment_group(
        applicationName="bench",
        deploymentGroupName="fleet",
        serviceRoleArn=role["Role"]["Arn"],
        deploymentConfigName="CodeDeployDefault.AllAtOnce",
        ec2TagFilters=[{"Key": "fleet", "Value": "bench", "Type": "KEY_AND_VALUE"}],
    )
    return {"bucket": "bench", "key": "bench.zip", "bundleType": "zip", "eTag": e_tag}


def follow_command(work: Path, playbook: str, endpoint: str, location: dict[str, str]) -> list[str]:
    """ansible-playbook running ``playbook`` (its text) on localhost with the variables ``endpoint`` (the lab's) and
    ``revision`` (the bundle at ``location``)."""
    path = work / "follow.yml"
    path.write_text(playbook)
    s3_location = {
        "bucket": location["bucket"],
        "key": location["key"],
        "bundle_type": location["bundleType"],
        "e_tag": location["eTag"],
    }
    variables = {
        "endpoint": endpoint,
        "revision": {"revision_type": "S3", "s3_location": s3_location},
        "ansible_python_interpreter": sys.executable,
    }
    return ansible_playbook(path, "-c", "local", "-e", json.dumps(variables))


def returned_at(returncode: int, stdout: str, stderr: str) -> float:
    """When the playbook's follow task returned (its next task prints the clock); exits the benchmark when the
    playbook failed."""
    returned = RETURNED.search(stdout)
    if returncode != 0 or not returned:
        sys.exit(f"ansible-playbook failed:\n{stdout[-3000:]}\n{stderr[-2000:]}")
    return float(returned.group(1))


def timed(command: list[str], env: dict[str, str], outcome: dict[str, t.Any], name: str) -> threading.Thread:
    """Run command in a thread; record its output and the clock when it exited."""

    def run() -> None:
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        outcome[name] = {
            "exited_at": time.time(),
            "returncode": done.returncode,
            "stdout": done.stdout,
            "stderr": done.stderr,
        }

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def follow_once(
    codedeploy: t.Any, revision: dict, playbook_command: list[str], cli_command: list[str] | None, env: dict[str, str]
) -> dict[str, t.Any]:
    deployment_id = codedeploy.create_deployment(
        applicationName="bench", deploymentGroupName="fleet", revision=revision
    )["deploymentId"]
    outcome: dict[str, t.Any] = {}
    threads = [timed(playbook_command, env, outcome, "ours")]
    if cli_command:
        threads.append(timed(cli_command + ["--deployment-id", deployment_id], env, outcome, "cli"))
    for thread in threads:
        thread.join()
    info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    complete = info["completeTime"].timestamp()
    ours = outcome["ours"]
    result = {
        "deployment_id": deployment_id,
        "status": info["status"],
        "duration": round(complete - info["createTime"].timestamp(), 3),
        "ours_latency": round(returned_at(ours["returncode"], ours["stdout"], ours["stderr"]) - complete, 3),
    }
    if cli_command:
        if outcome["cli"]["returncode"] != 0:
            sys.exit(f"aws deploy wait failed: {outcome['cli']['stderr']}")
        result["cli_latency"] = round(outcome["cli"]["exited_at"] - complete, 3)
    return result


def main() -> int:
    parser = arguments(__doc__, quick="3 deployments of 3 hosts whose hook sleeps 5 s")
    parser.add_argument("--repeat", type=int, help="deployments followed by both (default 5, --quick 3)")
    parser.add_argument("--instances", type=int, default=3, help="lab hosts in the group (default 3)")
    parser.add_argument("--hook-seconds", type=float, help="how long AfterInstall sleeps (default 20, --quick 5)")
    args = parser.parse_args()
    args.repeat = args.repeat or (3 if args.quick else 5)
    args.hook_seconds = args.hook_seconds or (5.0 if args.quick else 20.0)

    with workspace("follow-bench-", args.keep) as work, lab_of_its_own(work) as lab:
        tree = collections_tree(work)
        print(f"lab: {lab.endpoint}")
        launch(lab, args.instances)
        location = set_up(lab, args.hook_seconds)
        revision = {"revisionType": "S3", "s3Location": location}
        codedeploy = lab.client("codedeploy")
        playbook_command = follow_command(work, PLAYBOOK, lab.endpoint, location)
        cli_command = [str(BIN / "aws"), "deploy", "wait", "deployment-successful", "--endpoint-url", lab.endpoint]
        env = tool_env(tree, lab)

        rounds = []
        for index in range(args.repeat):
            result = follow_once(codedeploy, revision, playbook_command, cli_command, env)
            rounds.append(result)
            print(
                f"round {index + 1}: {result['deployment_id']} {result['status']} in {result['duration']} s; "
                f"ours returned {result['ours_latency']} s after the end, the CLI {result['cli_latency']} s"
            )

        # One more deployment followed by ours alone, while the lab counts calls.
        before = lab.calls()
        alone = follow_once(codedeploy, revision, playbook_command, None, env)
        follow_calls = {
            name.removeprefix("codedeploy:"): count
            for name, count in calls_between(before, lab.calls()).items()
            if name.startswith("codedeploy:") and name != "codedeploy:CreateDeployment"
        }
        total = sum(follow_calls.values())
        per_minute = total / alone["duration"] * 60 if alone["duration"] else None
        print(
            f"alone: {alone['deployment_id']} in {alone['duration']} s, {total} CodeDeploy calls "
            f"({per_minute:.1f}/min): {follow_calls}"
        )

        summary = {
            "repeat": args.repeat,
            "instances": args.instances,
            "hook_seconds": args.hook_seconds,
            "median_deployment_seconds": median(r["duration"] for r in rounds),
            "median_latency_ours": median(r["ours_latency"] for r in rounds),
            "median_latency_cli": median(r["cli_latency"] for r in rounds),
            "max_latency_ours": max(r["ours_latency"] for r in rounds),
            "max_latency_cli": max(r["cli_latency"] for r in rounds),
            "follow_alone": {**alone, "codedeploy_calls": follow_calls, "calls_per_minute": round(per_minute or 0, 1)},
            "rounds": rounds,
        }
        print(
            json.dumps(
                {key: value for key, value in summary.items() if key not in ("rounds", "follow_alone")}, indent=2
            )
        )
        ours, theirs = summary["median_latency_ours"], summary["median_latency_cli"]
        print(
            f"end to return, median: ours {ours} s, aws deploy wait {theirs} s: "
            f"{theirs / ours if ours else float('inf'):.1f}x better (goal: ours at most 1.0 s and at least 7x better); "
            f"{summary['follow_alone']['calls_per_minute']} CodeDeploy calls a minute following alone"
        )
        print(f"written: {write_results('follow_latency', summary)}")
        return 0


if __name__ == "__main__":
    sys.exit(main())
