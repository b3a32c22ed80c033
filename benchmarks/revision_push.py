# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Push benchmark: the revision role against `aws deploy push`, and codedeploy_bundle against zipfile.

Starts its own lab (codedeploy-lab up on a free port, state in a temporary directory), generates a deterministic
application tree (about 10,000 files and 100 MB of text and binary; --quick for a small one) and measures, each
pair several times in one run:

1. first push: the revision role (ansible-playbook) vs `aws deploy push` to fresh keys;
2. second push with nothing changed: the same two again (the role uploads nothing; the CLI re-zips and re-uploads);
3. building alone: codedeploy_bundle's Python code vs zipfile writing the same tree as `aws deploy push` does,
   each in a fresh process whose peak RSS is read with wait4().

Prints medians, ratios (ours / theirs: below 1 means we are faster) and the uploads the lab counted, and writes
them as JSON to benchmarks/results/. Run with the project's venv:

    .venv/bin/python benchmarks/revision_push.py [--quick] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import typing as t
from pathlib import Path

from benchlab import BIN, CREDENTIALS, collections_tree, lab_calls, start_lab, stop_lab, write_results

UPLOAD_OPERATIONS = ("PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload")
WORDS = ("deploy revision bundle instance lifecycle hook appspec install validate service traffic health "
         "group application archive content digest version region bucket object stream").split()


# --- the application tree ------------------------------------------------------------------------------------


def generate_tree(root: Path, files: int, total_bytes: int, seed: int = 6) -> tuple[int, int]:
    """A deterministic tree: 70 % text files (compressible), 30 % binary (random bytes), 100 files per directory."""
    rng = random.Random(seed)
    (root / "scripts").mkdir(parents=True)
    (root / "appspec.yml").write_text(textwrap.dedent("""\
        version: 0.0
        os: linux
        files:
          - source: /
            destination: /opt/bench
        hooks:
          ApplicationStart:
            - location: scripts/start.sh
              timeout: 60
        """))
    start = root / "scripts" / "start.sh"
    start.write_text("#!/bin/sh\nexit 0\n")
    start.chmod(0o755)
    average = total_bytes // files
    written = 0
    for index in range(files - 2):
        directory = root / f"pkg{index // 1000:02d}" / f"mod{index // 100 % 10:02d}"
        directory.mkdir(parents=True, exist_ok=True)
        size = max(16, int(rng.expovariate(1 / average)))
        if rng.random() < 0.7:
            line = " ".join(rng.choice(WORDS) for _word in range(12)) + "\n"
            data = (line * (size // len(line) + 1))[:size].encode()
            (directory / f"file{index:05d}.txt").write_bytes(data)
        else:
            data = rng.randbytes(size)
            (directory / f"blob{index:05d}.bin").write_bytes(data)
        written += size
    return files, written


# --- the lab -------------------------------------------------------------------------------------------------


def uploads(before: dict[str, t.Any], after: dict[str, t.Any]) -> int:
    return sum(after.get("s3", {}).get(op, 0) - before.get("s3", {}).get(op, 0) for op in UPLOAD_OPERATIONS)


def run_measured(command: list[str], env: dict[str, str]) -> tuple[float, float, int, str]:
    """Run a command; its wall seconds, CPU seconds (it and the children it waited for), exit status and output.

    CPU time is reported beside wall time because the machine may be shared: wall time grows with other load,
    the client's CPU time much less (the lab's own work, receiving uploads, is not in it).
    """
    with tempfile.TemporaryFile("w+") as output:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT, text=True)
        _pid, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        return elapsed, usage.ru_utime + usage.ru_stime, process.returncode, output.read()


# --- the two pushes ------------------------------------------------------------------------------------------


PLAYBOOK = """\
- name: Push with the revision role
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/rollout.codedeploy.aws:
      endpoint_url: "{{ lab_endpoint }}"
      access_key: testing
      secret_key: testing
      region: us-east-1
  roles:
    - role: rollout.codedeploy.revision
"""


def role_push(work: Path, tree: Path, endpoint: str, source: Path, application: str, bucket: str, prefix: str, bundle_dir: Path) -> tuple[float, float]:
    playbook = work / "push.yml"
    playbook.write_text(PLAYBOOK)
    extra = {
        "lab_endpoint": endpoint,
        "revision_source_dir": str(source),
        "revision_application": application,
        "revision_bucket": bucket,
        "revision_key_prefix": prefix,
        "revision_bundle_dir": str(bundle_dir),
        "ansible_python_interpreter": sys.executable,
    }
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(tree), ANSIBLE_HOST_KEY_CHECKING="false", **CREDENTIALS)
    command = [str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook), "-e", json.dumps(extra)]
    elapsed, cpu, status, output = run_measured(command, env)
    if status != 0:
        sys.exit(f"revision role failed:\n{output[-4000:]}")
    return elapsed, cpu


ONE_TASK = """\
- name: One task, Ansible's floor
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Answer
      ansible.builtin.ping:
"""


def one_task(work: Path, tree: Path) -> tuple[float, float]:
    """A one-task playbook on the controller: what any ansible-playbook run costs at least."""
    playbook = work / "one.yml"
    playbook.write_text(ONE_TASK)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(tree))
    command = [str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook),
               "-e", f"ansible_python_interpreter={sys.executable}"]
    elapsed, cpu, status, output = run_measured(command, env)
    if status != 0:
        sys.exit(f"one-task playbook failed:\n{output[-4000:]}")
    return elapsed, cpu


def cli_push(endpoint: str, source: Path, application: str, bucket: str, key: str) -> tuple[float, float]:
    # AWS_ENDPOINT_URL reaches the S3 client that push makes for itself; --endpoint-url would not.
    env = dict(os.environ, AWS_ENDPOINT_URL=endpoint, **CREDENTIALS)
    command = [str(BIN / "aws"), "deploy", "push", "--application-name", application,
               "--s3-location", f"s3://{bucket}/{key}", "--source", str(source)]
    elapsed, cpu, status, output = run_measured(command, env)
    if status != 0:
        sys.exit(f"aws deploy push failed:\n{output}")
    return elapsed, cpu


# --- building alone ------------------------------------------------------------------------------------------

OURS = """\
import sys, time
sys.path.insert(0, sys.argv[3])
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy import bundles
started = time.perf_counter()
result = bundles.build_bundle(bundles.collect_entries(sys.argv[1]), sys.argv[2], "zip")
elapsed = time.perf_counter() - started
peak = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")][0]
print(elapsed, result.size, peak)
"""

# What `aws deploy push` does (awscli/customizations/codedeploy/push.py): os.walk + ZipFile.write, deflated.
ZIPFILE = """\
import os, sys, time, zipfile
started = time.perf_counter()
source = os.path.abspath(sys.argv[1])
with zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
    for root, dirs, files in os.walk(source):
        for name in files:
            path = os.path.join(root, name)
            archive.write(path, path[len(source) + 1:])
elapsed = time.perf_counter() - started
peak = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")][0]
print(elapsed, os.path.getsize(sys.argv[2]), peak)
"""


def build_alone(script: str, source: Path, dest: Path, tree: Path) -> tuple[float, float, int]:
    """Seconds, peak RSS in MiB and archive size of one build in a fresh process.

    The peak is the process's own VmHWM: wait4()'s ru_maxrss would count the benchmark's memory forked before exec.
    """
    if dest.exists():
        dest.unlink()
    process = subprocess.Popen([sys.executable, "-c", script, str(source), str(dest), str(tree)], stdout=subprocess.PIPE, text=True)
    output = process.stdout.read() if process.stdout else ""
    if process.wait() != 0:
        sys.exit(f"build failed: {output}")
    seconds, size, peak_kib = output.split()
    return float(seconds), int(peak_kib) / 1024, int(size)


# --- main ----------------------------------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 files and 10 MB instead of 10,000 and 100 MB")
    parser.add_argument("--files", type=int, help="number of files in the tree")
    parser.add_argument("--megabytes", type=int, help="total size of the tree")
    parser.add_argument("--repeat", type=int, help="runs of each pair (default 3, --quick 2)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    args.repeat = args.repeat or (2 if args.quick else 3)
    files = args.files or (1000 if args.quick else 10000)
    megabytes = args.megabytes or (10 if args.quick else 100)

    work = Path(tempfile.mkdtemp(prefix="revision-bench-"))
    state_dir = work / "lab"
    lab_started = False
    try:
        source = work / "app"
        count, size = generate_tree(source, files, megabytes * 1024 * 1024)
        print(f"tree: {count} files, {size / 1e6:.1f} MB in {source}")
        tree = collections_tree(work)

        endpoint = start_lab(state_dir, "--rooms", "none")
        lab_started = True
        print(f"lab: {endpoint}")

        import boto3  # the venv's; imported late so --help works without it

        session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
        session.client("s3", endpoint_url=endpoint).create_bucket(Bucket="bench")
        session.client("codedeploy", endpoint_url=endpoint).create_application(applicationName="bench")

        results: dict[str, t.Any] = {"files": count, "bytes": size, "repeat": args.repeat, "runs": []}
        timings: dict[str, list[float]] = {
            name: [] for name in ("role_first", "cli_first", "role_second", "cli_second", "one_task")}
        cpu_times: dict[str, list[float]] = {name: [] for name in timings}
        upload_counts: dict[str, list[int]] = {name: [] for name in timings}
        for run in range(args.repeat):
            bundle_dir = work / f"bundles-{run}"
            for name, push in (
                ("role_first", lambda: role_push(work, tree, endpoint, source, "bench", "bench", f"role-{run}", bundle_dir)),
                ("cli_first", lambda: cli_push(endpoint, source, "bench", "bench", f"cli-{run}/bench.zip")),
                ("role_second", lambda: role_push(work, tree, endpoint, source, "bench", "bench", f"role-{run}", bundle_dir)),
                ("cli_second", lambda: cli_push(endpoint, source, "bench", "bench", f"cli-{run}/bench.zip")),
                ("one_task", lambda: one_task(work, tree)),
            ):
                before = lab_calls(endpoint)
                wall, cpu = push()
                timings[name].append(wall)
                cpu_times[name].append(cpu)
                upload_counts[name].append(uploads(before, lab_calls(endpoint)))
                print(f"run {run + 1}: {name:12s} {wall:7.2f} s wall, {cpu:7.2f} s CPU, {upload_counts[name][-1]} upload calls, load {os.getloadavg()[0]:.1f}")

        builds: dict[str, dict[str, list[float]]] = {"codedeploy_bundle": {"seconds": [], "rss": []}, "zipfile": {"seconds": [], "rss": []}}
        sizes = {}
        for run in range(args.repeat):
            for name, script in (("codedeploy_bundle", OURS), ("zipfile", ZIPFILE)):
                seconds, rss, archive_size = build_alone(script, source, work / f"build-{name}.zip", tree)
                builds[name]["seconds"].append(seconds)
                builds[name]["rss"].append(rss)
                sizes[name] = archive_size
                print(f"run {run + 1}: build {name:17s} {seconds:7.2f} s, peak RSS {rss:6.1f} MiB, {archive_size / 1e6:.1f} MB")

        summary = {
            "first_push": {"role_s": median(timings["role_first"]), "cli_s": median(timings["cli_first"]),
                           "role_cpu_s": median(cpu_times["role_first"]), "cli_cpu_s": median(cpu_times["cli_first"])},
            "second_push": {"role_s": median(timings["role_second"]), "cli_s": median(timings["cli_second"]),
                            "role_cpu_s": median(cpu_times["role_second"]), "cli_cpu_s": median(cpu_times["cli_second"])},
            "uploads": {name: median(values) for name, values in upload_counts.items()},
            "build": {name: {"seconds": median(values["seconds"]), "peak_rss_mib": median(values["rss"]), "archive_bytes": sizes[name]}
                      for name, values in builds.items()},
        }
        summary["one_task_s"] = median(timings["one_task"])
        summary["second_push"]["ratio_role_to_one_task"] = summary["second_push"]["role_s"] / summary["one_task_s"]
        for pair in ("first_push", "second_push"):
            summary[pair]["ratio_role_to_cli"] = summary[pair]["role_s"] / summary[pair]["cli_s"]
            summary[pair]["cpu_ratio_role_to_cli"] = summary[pair]["role_cpu_s"] / summary[pair]["cli_cpu_s"]
        summary["build"]["ratio_seconds"] = summary["build"]["codedeploy_bundle"]["seconds"] / summary["build"]["zipfile"]["seconds"]
        summary["build"]["ratio_peak_rss"] = summary["build"]["codedeploy_bundle"]["peak_rss_mib"] / summary["build"]["zipfile"]["peak_rss_mib"]
        summary["load_average_end"] = os.getloadavg()
        results.update(summary=summary, timings=timings, cpu_times=cpu_times, upload_counts=upload_counts, builds=builds)

        print(f"\nmedians of {args.repeat} runs, {count} files, {size / 1e6:.1f} MB (ratio = ours / theirs)")
        print(f"{'':34s}{'ours':>10s}{'theirs':>10s}{'ratio':>8s}")
        for label, pair in (("first push (role vs deploy push)", "first_push"), ("second push, unchanged", "second_push")):
            row = summary[pair]
            print(f"{label:34s}{row['role_s']:9.2f}s{row['cli_s']:9.2f}s{row['ratio_role_to_cli']:8.2f}")
            print(f"{'  client CPU time':34s}{row['role_cpu_s']:9.2f}s{row['cli_cpu_s']:9.2f}s{row['cpu_ratio_role_to_cli']:8.2f}")
        print(f"{'one-task playbook (the floor)':34s}{summary['one_task_s']:9.2f}s")
        print(f"second push / one-task playbook: {summary['second_push']['ratio_role_to_one_task']:.2f}"
              " (goal on 1,000 files: at most 2; on 100 MB: second push at most 0.5 of aws deploy push, first at most 1.0)")
        build = summary["build"]
        print(f"{'build (bundle vs zipfile)':34s}{build['codedeploy_bundle']['seconds']:9.2f}s{build['zipfile']['seconds']:9.2f}s{build['ratio_seconds']:8.2f}")
        ours_rss, theirs_rss = build["codedeploy_bundle"]["peak_rss_mib"], build["zipfile"]["peak_rss_mib"]
        print(f"{'build peak RSS':34s}{ours_rss:7.1f}MiB{theirs_rss:7.1f}MiB{build['ratio_peak_rss']:8.2f}")
        print(f"upload calls, second push: role {summary['uploads']['role_second']:.0f}, aws deploy push {summary['uploads']['cli_second']:.0f}")

        print(f"results: {write_results('revision_push', results)}")
        return 0
    finally:
        if lab_started:
            stop_lab(state_dir)
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
