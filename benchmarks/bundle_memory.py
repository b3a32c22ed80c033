# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Bundle memory benchmark: how much the lab process grows to deliver one large bundle to several hosts.

Starts a fresh lab (codedeploy-lab up on a free port, state in a temporary directory), launches 3 lab hosts,
uploads a zip holding --megabytes of random (incompressible) bytes and deploys it AllAtOnce. Prints the lab
process's resident set size just before the deployment (after the upload, with the peak reset), its peak (VmHWM in
/proc/<lab pid>/status) by the end of the deployment, and the growth; writes them as JSON to benchmarks/results/.
Run with the project's venv:

    .venv/bin/python benchmarks/bundle_memory.py [--megabytes 64] [--hosts 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from pathlib import Path

from benchlab import lab_of_its_own
from benchlab import workspace
from benchlab import write_results

from codedeploy_lab.agent.bundles import make_bundle
from codedeploy_lab.deployments.testing import failures
from codedeploy_lab.deployments.testing import terminate
from codedeploy_lab.deployments.testing import wait_deployment
from codedeploy_lab.deployments.testing import wait_for

APPSPEC = """version: 0.0
os: linux
files:
  - source: /payload.bin
    destination: /opt/bundle-memory
hooks:
  ApplicationStart:
    - location: scripts/start.sh
      timeout: 60
"""


def memory_kib(pid: int, field: str) -> int:
    """``VmHWM`` (peak resident set size) or ``VmRSS`` of a process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


def reset_peak(pid: int) -> None:
    """Start VmHWM afresh (Linux >= 4.0), so the upload of the bundle does not count as the deployment's peak."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=64, help="size of the random payload in the bundle")
    parser.add_argument("--hosts", type=int, default=3, help="hosts deployed to at once")
    options = parser.parse_args()

    bundle = make_bundle(
        {
            "appspec.yml": APPSPEC,
            "payload.bin": os.urandom(options.megabytes << 20),
            "scripts/start.sh": ("#!/bin/sh\nls -l /opt/bundle-memory\n", 0o755),
        },
        "zip",
    )
    with workspace("bundle-memory-", keep=False) as work, lab_of_its_own(work) as lab:
        ec2, codedeploy, s3 = lab.client("ec2"), lab.client("codedeploy"), lab.client("s3")
        tag = uuid.uuid4().hex[:8]
        instances = [
            i["InstanceId"]
            for i in ec2.run_instances(
                ImageId="ami-03cf127a",
                MinCount=options.hosts,
                MaxCount=options.hosts,
                TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Bench", "Value": tag}]}],
            )["Instances"]
        ]
        wait_for(lambda: all(lab.get(f"/_lab/hosts/{i}").get("booted") for i in instances), "hosts booted", 120)
        s3.create_bucket(Bucket=f"bench-{tag}")
        s3.put_object(Bucket=f"bench-{tag}", Key="bundle.zip", Body=bundle)
        role = lab.client("iam").create_role(RoleName=f"bench-{tag}", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        codedeploy.create_application(applicationName=f"bench-{tag}")
        codedeploy.create_deployment_group(
            applicationName=f"bench-{tag}",
            deploymentGroupName="bench",
            serviceRoleArn=role,
            ec2TagFilters=[{"Key": "Bench", "Value": tag, "Type": "KEY_AND_VALUE"}],
        )
        reset_peak(lab.pid)
        before = memory_kib(lab.pid, "VmRSS")
        deployment_id = codedeploy.create_deployment(
            applicationName=f"bench-{tag}",
            deploymentGroupName="bench",
            deploymentConfigName="CodeDeployDefault.AllAtOnce",
            revision={
                "revisionType": "S3",
                "s3Location": {"bucket": f"bench-{tag}", "key": "bundle.zip", "bundleType": "zip"},
            },
        )["deploymentId"]
        info = wait_deployment(lab.client, deployment_id, timeout=600)
        if info["status"] != "Succeeded":
            sys.exit(f"the deployment did not succeed: {failures(lab.client, deployment_id)}")
        after = memory_kib(lab.pid, "VmHWM")
        terminate(lab.client, instances)
    results = {
        "bundle_bytes": len(bundle),
        "hosts": options.hosts,
        "rss_before_kib": before,
        "peak_rss_after_kib": after,
        "growth_kib": after - before,
    }
    print(
        f"bundle {len(bundle) / 2**20:.1f} MiB to {options.hosts} hosts AllAtOnce: lab RSS "
        f"{before / 1024:.0f} MiB -> peak {after / 1024:.0f} MiB, growth {(after - before) / 1024:.0f} MiB "
        f"({(after - before) * 1024 / len(bundle):.2f}x the bundle)"
    )
    print(f"results: {write_results('bundle_memory', results)}")


if __name__ == "__main__":
    main()
