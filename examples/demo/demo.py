# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CodeDeploy EC2 tutorial, played on the CodeDeploy lab with this collection's playbooks (``make demo``).

Starts a lab (or reuses and resets the one running in the state directory), builds the tutorial's environment,
then runs each step of the tutorial as an ``ansible-playbook`` run while a probe requests the load balancer all the
time. After each step it prints the version the site serves and how many requests failed; after the blue/green
step, the new fleet; after the broken release, the automatic rollback CodeDeploy started (both read from the lab
with boto3, as from AWS). Each step's Ansible output is kept in ``<state dir>/demo/``. The lab keeps running
afterwards, for the browser; ``make lab-down`` stops it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import subprocess
import sys
import threading
import time
import typing as t
import urllib.error
import urllib.request
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
PLAYBOOKS = REPOSITORY / "playbooks"
SAMPLE_APP = REPOSITORY / "examples" / "sample_app"
BIN = Path(sys.executable).parent
VERSION_PATTERN = re.compile(r"Version (\d+)")
# How codedeploy_deployment names a failed instance in its failure message.
FAILED_EVENT_PATTERN = re.compile(r"i-[0-9a-f]+ failed at \w+ \(\w+\)(?: in [\w./-]+)?")
PROBE_INTERVAL = 0.2
PROGRESS_INTERVAL = 15.0
# The names playbooks/vars/defaults.yml gives the tutorial's application and fleet.
APPLICATION = "demo-app"
ORIGINAL_FLEET = "CodeDeployDemo-asg"


@dataclasses.dataclass
class Step:
    title: str
    playbook: str
    extra_vars: dict[str, t.Any] = dataclasses.field(default_factory=dict)
    expect_failure: bool = False
    expect_version: str | None = None
    note: str = ""
    # The step deploys to the fleet the blue/green step created (its Auto Scaling group is only known then).
    on_new_fleet: bool = False
    # After the step, look up the Auto Scaling group a blue/green deployment of this group moved to.
    finds_new_fleet: str = ""
    # Why this step's log leaves out deprecation warnings (ANSIBLE_DEPRECATION_WARNINGS=false for this run only).
    without_deprecations: str = ""


def steps() -> list[Step]:
    def app(version: int) -> str:
        return str(SAMPLE_APP / f"v{version}")

    return [
        Step("Build the tutorial's environment: bucket, roles, launch template, 3 instances behind a Classic Load Balancer",
             "lab_environment.yml", expect_version="sample page",
             # ansible-core 2.19's per-task switch (ansible_deprecation_warnings) does not reach a module's warnings.
             without_deprecations="amazon.aws 10's iam_role warns on every call that it will stop returning "
                                  "iam_role.assume_role_policy_document_raw, which this playbook does not read"),
        Step("In-place: version 1 to demo-group, OVERWRITE (the user data's page is in the way)",
             "rollout.yml", {"codedeploy_source_dir": app(1), "codedeploy_deployment_group": "demo-group",
                             "codedeploy_file_exists_behavior": "OVERWRITE", "codedeploy_verify_content": "Version 1"},
             expect_version="Version 1"),
        Step("Blue/green: version 2 to demo-blue-green (copies the Auto Scaling group, reroutes at once, "
             "terminates the original fleet after 5 minutes)",
             "blue_green.yml", {"codedeploy_source_dir": app(2), "codedeploy_blue_green_group": "demo-blue-green",
                                "codedeploy_file_exists_behavior": "OVERWRITE", "codedeploy_verify_content": "Version 2"},
             expect_version="Version 2", finds_new_fleet="demo-blue-green",
             note="the new instances come from the launch template, whose sample page is in the way: OVERWRITE; "
                  "a lab minute lasts a second"),
        Step("In-place: version 1 to quick-fix, a new group on the new fleet (the tutorial's manual rollback)",
             "rollout.yml", {"codedeploy_source_dir": app(1), "codedeploy_deployment_group": "quick-fix",
                             "codedeploy_file_exists_behavior": "OVERWRITE", "codedeploy_verify_content": "Version 1"},
             expect_version="Version 1", on_new_fleet=True,
             note="a new group has no record of demo-blue-green's files, so DISALLOW would fail: OVERWRITE"),
        Step("In-place: version 2 again to quick-fix",
             "rollout.yml", {"codedeploy_source_dir": app(2), "codedeploy_deployment_group": "quick-fix",
                             "codedeploy_verify_content": "Version 2"},
             expect_version="Version 2", on_new_fleet=True),
        Step("Roll quick-fix back to its previous good revision (one task)",
             "rollback.yml", {"codedeploy_deployment_group": "quick-fix", "codedeploy_verify_content": "Version 1"},
             expect_version="Version 1"),
        Step("In-place: broken version 3 to quick-fix; ValidateService fails, automatic rollback on DEPLOYMENT_FAILURE",
             "rollout.yml", {"codedeploy_source_dir": app(3), "codedeploy_deployment_group": "quick-fix",
                             "codedeploy_verify_content": "Version 3"},
             expect_failure=True, expect_version="Version 1", on_new_fleet=True,
             note="the deployment is expected to fail; the site must keep serving the last good version"),
    ]


class Probe:
    """Requests the site all the time; counts answers, failures and the versions served, step by step."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="probe", daemon=True)
        self.requests = 0
        self.failures: list[str] = []
        self.seen: dict[str, int] = {}
        self.last_version = "(none yet)"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def take(self) -> tuple[int, list[str], dict[str, int], str]:
        """What the probe saw since the last call."""
        with self._lock:
            taken = (self.requests, self.failures, self.seen, self.last_version)
            self.requests, self.failures, self.seen = 0, [], {}
            return taken

    def peek(self) -> tuple[int, int, str]:
        with self._lock:
            return self.requests, len(self.failures), self.last_version

    def _run(self) -> None:
        while not self._stop.is_set():
            version, failure = self._request()
            with self._lock:
                self.requests += 1
                if failure:
                    self.failures.append(failure)
                else:
                    self.seen[version] = self.seen.get(version, 0) + 1
                    self.last_version = version
            self._stop.wait(PROBE_INTERVAL)

    def _request(self) -> tuple[str, str]:
        try:
            with urllib.request.urlopen(self.url, timeout=5) as response:
                body = response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return "", f"HTTP {error.code}"
        except (OSError, urllib.error.URLError) as error:
            return "", f"{type(error).__name__}: {error}"
        match = VERSION_PATTERN.search(body)
        return (f"Version {match.group(1)}" if match else "sample page" if "Sample page" in body else "other page"), ""


def lab_command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "codedeploy-lab"), *args], capture_output=True, text=True, check=False)


def start_lab(state_dir: Path) -> dict[str, t.Any]:
    status = lab_command("status", "--state-dir", str(state_dir), "--json")
    if status.returncode == 0:
        print(f"demo: a lab runs in {state_dir}; resetting it for a fresh start")
        reset = lab_command("reset", "--state-dir", str(state_dir))
        if reset.returncode != 0:
            raise SystemExit(f"demo: codedeploy-lab reset failed:\n{reset.stderr}")
    else:
        up = lab_command("up", "--state-dir", str(state_dir))
        if up.returncode != 0:
            raise SystemExit(f"demo: codedeploy-lab up failed:\n{up.stderr}")
    status = lab_command("status", "--state-dir", str(state_dir), "--json")
    if status.returncode != 0:
        raise SystemExit(f"demo: the lab does not answer:\n{status.stdout}{status.stderr}")
    return json.loads(status.stdout)


class Lab:
    """Asks the lab what happened, as one would ask AWS: with boto3 against its endpoint."""

    def __init__(self, endpoint: str) -> None:
        import boto3  # installed in .venv by `make venv`; imported here so that --help works without it

        session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                        region_name="us-east-1")
        self.codedeploy = session.client("codedeploy", endpoint_url=endpoint)
        self.autoscaling = session.client("autoscaling", endpoint_url=endpoint)

    def fleet_of(self, group: str) -> str:
        info = self.codedeploy.get_deployment_group(applicationName=APPLICATION, deploymentGroupName=group)
        return info["deploymentGroupInfo"]["autoScalingGroups"][0]["name"]

    def fleet_size(self, auto_scaling_group: str) -> int | None:
        groups = self.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[auto_scaling_group])
        found = groups["AutoScalingGroups"]
        return len(found[0]["Instances"]) if found else None

    def last_deployments(self, group: str, count: int) -> list[dict[str, t.Any]]:
        ids = self.codedeploy.list_deployments(applicationName=APPLICATION, deploymentGroupName=group)["deployments"]
        if not ids:
            return []
        found = self.codedeploy.batch_get_deployments(deploymentIds=ids)["deploymentsInfo"]
        return sorted(found, key=lambda deployment: deployment["createTime"], reverse=True)[:count]


def run_step(number: int, total: int, step: Step, connection: Path, log_dir: Path, probe: Probe | None,
             fleet: str | None) -> bool:
    """Runs one step; True when it ended as expected (success, or the expected failure)."""
    print(f"\n[{number}/{total}] {step.title}", flush=True)
    if step.note:
        print(f"      note: {step.note}")
    environment = dict(os.environ)
    if step.without_deprecations:
        environment["ANSIBLE_DEPRECATION_WARNINGS"] = "false"
        print(f"      deprecation warnings off for this step: {step.without_deprecations}")
    extra_vars = dict(step.extra_vars)
    if step.on_new_fleet:
        if not fleet:
            print("      not run: the blue/green step did not leave a new fleet to deploy to")
            return False
        extra_vars["codedeploy_auto_scaling_group"] = fleet
        print(f"      fleet: {fleet}")
    log_path = log_dir / f"{number:02d}-{Path(step.playbook).stem}.log"
    command = [str(BIN / "ansible-playbook"), "-i", "localhost,", str(PLAYBOOKS / step.playbook),
               "-e", f"@{connection}", "-e", json.dumps(extra_vars)]
    started = time.monotonic()
    next_progress = started + PROGRESS_INTERVAL
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=REPOSITORY, env=environment)
        while process.poll() is None:
            time.sleep(0.5)
            if probe and time.monotonic() >= next_progress:
                next_progress += PROGRESS_INTERVAL
                requests, failed, version = probe.peek()
                print(f"      ... {time.monotonic() - started:4.0f} s: site serves {version}; "
                      f"{requests} requests, {failed} failed", flush=True)
    elapsed = time.monotonic() - started
    succeeded = process.returncode == 0
    as_expected = succeeded != step.expect_failure
    outcome = "succeeded" if succeeded else "failed"
    print(f"      playbook {outcome} in {elapsed:.0f} s ({'as expected' if as_expected else 'NOT as expected'}); "
          f"log: {log_path}")
    if step.expect_failure and not succeeded:
        failed_event = FAILED_EVENT_PATTERN.search(log_path.read_text(errors="replace"))
        print(f"      the task says: {failed_event.group(0) if failed_event else '(no failed lifecycle event named)'}")
    if not as_expected:
        print("      last lines of the log:")
        for line in log_path.read_text(errors="replace").splitlines()[-25:]:
            print(f"        {line}")
    return as_expected


def show_new_fleet(lab: Lab, group: str, old_fleet: str) -> str | None:
    """After a blue/green deployment: the Auto Scaling group the deployment group moved to, and the old one's fate."""
    try:
        fleet = lab.fleet_of(group)
        size, left = lab.fleet_size(fleet), lab.fleet_size(old_fleet)
    except Exception as error:  # botocore's errors: the group may not exist when the step failed
        print(f"      cannot read the new fleet of {group}: {error}")
        return None
    if fleet == old_fleet:
        print(f"      {group} still names {old_fleet}: no new fleet")
        return None
    print(f"      new fleet: {fleet} ({size} instances); original fleet {old_fleet}: "
          f"{'deleted' if left is None else f'{left} instances left'}")
    return fleet


def show_automatic_rollback(lab: Lab, group: str) -> bool:
    """After the broken release: the failed deployment and the rollback CodeDeploy started; True when it succeeded."""
    failed = next((deployment for deployment in lab.last_deployments(group, 2) if deployment["status"] == "Failed"), None)
    if failed is None:
        print(f"      no failed deployment on {group}")
        return False
    error = failed.get("errorInformation") or {}
    print(f"      {failed['deploymentId']}: Failed ({error.get('code')}: {error.get('message')})")
    info = failed.get("rollbackInfo") or {}
    if not info.get("rollbackDeploymentId"):
        print(f"      no automatic rollback deployment ({info.get('rollbackMessage') or 'rollbackInfo is empty'})")
        return False
    rollback = lab.codedeploy.get_deployment(deploymentId=info["rollbackDeploymentId"])["deploymentInfo"]
    overview = rollback.get("deploymentOverview") or {}
    print(f"      automatic rollback {rollback['deploymentId']} (creator {rollback.get('creator')}): "
          f"{rollback['status']}, {overview.get('Succeeded', 0)} instances back on the last good revision"
          + (f"; {info['rollbackMessage']}" if info.get("rollbackMessage") else ""))
    return rollback["status"] == "Succeeded"


def report(probe: Probe, step: Step) -> tuple[int, bool]:
    requests, failures, seen, version = probe.take()
    served = ", ".join(f"{name} x{count}" for name, count in sorted(seen.items())) or "nothing"
    print(f"      site serves: {version}   requests: {requests}, failed: {len(failures)}   (answers: {served})")
    for failure in sorted(set(failures))[:5]:
        print(f"        failure: {failure}")
    right_version = step.expect_version is None or version == step.expect_version
    if not right_version:
        print(f"      expected the site to serve {step.expect_version}")
    return len(failures), right_version


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", default=str(REPOSITORY / ".lab"), help="the lab's state directory")
    args = parser.parse_args()
    if not os.environ.get("ANSIBLE_COLLECTIONS_PATH"):
        raise SystemExit("demo: ANSIBLE_COLLECTIONS_PATH is not set; run the demo with: make demo")

    state_dir = Path(args.state_dir).resolve()
    lab = start_lab(state_dir)
    endpoint = lab["endpoint"]
    print(f"demo: lab running at {endpoint} (state directory {state_dir})")
    print(f"demo: watch it in the console: {endpoint}/console/")
    log_dir = state_dir / "demo"
    log_dir.mkdir(parents=True, exist_ok=True)
    connection = log_dir / "connection.yml"
    connection.write_text(json.dumps({"aws_endpoint_url": endpoint, "aws_region": "us-east-1",
                                      "aws_access_key": "testing", "aws_secret_key": "testing"}) + "\n")

    plan = steps()
    lab_api = Lab(endpoint)
    probe: Probe | None = None
    fleet: str | None = None
    failed_requests = 0
    problems: list[str] = []
    for number, step in enumerate(plan, start=1):
        if not run_step(number, len(plan), step, connection, log_dir, probe, fleet):
            problems.append(f"step {number} did not end as expected")
            if probe is None:
                break
        group = step.extra_vars.get("codedeploy_deployment_group") or step.extra_vars.get("codedeploy_blue_green_group")
        if group:  # the step's deployment, and the automatic rollback that followed a failure
            for deployment in lab_api.last_deployments(group, 2 if step.expect_failure else 1):
                print(f"      console: {endpoint}/console/deployments/{deployment['deploymentId']}")
        if step.finds_new_fleet:
            fleet = show_new_fleet(lab_api, step.finds_new_fleet, ORIGINAL_FLEET)
        if step.expect_failure and not show_automatic_rollback(lab_api, step.extra_vars["codedeploy_deployment_group"]):
            problems.append(f"step {number}: no automatic rollback succeeded")
        if probe is None:
            site = json.loads(lab_command("status", "--state-dir", str(state_dir), "--json").stdout)
            url = site.get("load_balancers", {}).get("CodeDeployDemo-elb")
            if not url:
                problems.append("the lab has no load balancer CodeDeployDemo-elb")
                break
            probe = Probe(url.rstrip("/") + "/")
            probe.start()
            time.sleep(2)
        failed, right_version = report(probe, step)
        failed_requests += failed
        if failed:
            problems.append(f"step {number}: {failed} requests failed")
        if not right_version:
            problems.append(f"step {number}: the site does not serve {step.expect_version}")
    if probe is not None:
        probe.stop()
        print(f"\ndemo: open the site in a browser: {probe.url}")
    print(f"demo: the lab keeps running; stop it with: make lab-down "
          f"(or {BIN / 'codedeploy-lab'} down --state-dir {state_dir})")
    if problems:
        print("demo: FAILED: " + "; ".join(problems))
        return 1
    print(f"demo: every step ended as expected, {failed_requests} failed requests in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
