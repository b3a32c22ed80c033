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

import functools
import json
import os
import random
import subprocess
import sys
import textwrap
import typing as t
from pathlib import Path

from benchlab import BIN
from benchlab import RunningLab
from benchlab import arguments
from benchlab import calls_between
from benchlab import collections_tree
from benchlab import lab_of_its_own
from benchlab import median
from benchlab import one_task
from benchlab import run_measured
from benchlab import run_playbook
from benchlab import tool_env
from benchlab import workspace
from benchlab import write_results

UPLOADS = {"s3:PutObject", "s3:CreateMultipartUpload", "s3:UploadPart", "s3:CompleteMultipartUpload"}
WORDS = (
    "deploy revision bundle instance lifecycle hook appspec install validate service traffic health "
    "group application archive content digest version region bucket object stream"
).split()


# --- the application tree ------------------------------------------------------------------------------------


def generate_tree(root: Path, files: int, total_bytes: int, seed: int = 6) -> tuple[int, int]:
    """A deterministic tree: 70 % text files (compressible), 30 % binary (random bytes), 100 files per directory."""
    rng = random.Random(seed)
    (root / "scripts").mkdir(parents=True)
    (root / "appspec.yml").write_text(
        textwrap.dedent("""\
        version: 0.0
        os: linux
        files:
          - source: /
            destination: /opt/bench
        hooks:
          ApplicationStart:
            - location: scripts/start.sh
              timeout: 60
        """)
    )
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


def uploads(calls: dict[str, int]) -> int:
    return sum(count for name, count in calls.items() if name in UPLOADS)


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


def role_push(
    work: Path, env: dict[str, str], endpoint: str, source: Path, prefix: str, bundle_dir: Path
) -> tuple[float, float]:
    playbook = work / "push.yml"
    playbook.write_text(PLAYBOOK)
    extra = {
        "lab_endpoint": endpoint,
        "revision_source_dir": str(source),
        "revision_application": "bench",
        "revision_bucket": "bench",
        "revision_key_prefix": prefix,
        "revision_bundle_dir": str(bundle_dir),
        "ansible_python_interpreter": sys.executable,
    }
    wall, cpu, _output = run_playbook(playbook, env, "-c", "local", "-e", json.dumps(extra))
    return wall, cpu


def cli_push(env: dict[str, str], source: Path, key: str) -> tuple[float, float]:
    # AWS_ENDPOINT_URL (in env) reaches the S3 client that push makes for itself; --endpoint-url would not.
    command = [str(BIN / "aws"), "deploy", "push", "--application-name", "bench"]
    command += ["--s3-location", f"s3://bench/{key}", "--source", str(source)]
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
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(source), str(dest), str(tree)], stdout=subprocess.PIPE, text=True
    )
    output = process.stdout.read() if process.stdout else ""
    if process.wait() != 0:
        sys.exit(f"build failed: {output}")
    seconds, size, peak_kib = output.split()
    return float(seconds), int(peak_kib) / 1024, int(size)


# --- main ----------------------------------------------------------------------------------------------------


def measure(work: Path, source: Path, tree: Path, lab: RunningLab, repeat: int) -> dict[str, t.Any]:
    """Each push and the one-task playbook ``repeat`` times in turn, then each build alone ``repeat`` times."""
    env = tool_env(tree, lab)
    timings: dict[str, list[float]] = {
        name: [] for name in ("role_first", "cli_first", "role_second", "cli_second", "one_task")
    }
    cpu_times: dict[str, list[float]] = {name: [] for name in timings}
    upload_counts: dict[str, list[int]] = {name: [] for name in timings}
    for run in range(repeat):
        role = functools.partial(role_push, work, env, lab.endpoint, source, f"role-{run}", work / f"bundles-{run}")
        cli = functools.partial(cli_push, env, source, f"cli-{run}/bench.zip")
        for name, push in (
            ("role_first", role),
            ("cli_first", cli),
            ("role_second", role),
            ("cli_second", cli),
            ("one_task", functools.partial(one_task, work, env)),
        ):
            before = lab.calls()
            wall, cpu = push()
            timings[name].append(wall)
            cpu_times[name].append(cpu)
            upload_counts[name].append(uploads(calls_between(before, lab.calls())))
            print(
                f"run {run + 1}: {name:12s} {wall:7.2f} s wall, {cpu:7.2f} s CPU, {upload_counts[name][-1]} upload calls, "
                f"load {os.getloadavg()[0]:.1f}"
            )

    builds: dict[str, dict[str, list[float]]] = {
        "codedeploy_bundle": {"seconds": [], "rss": []},
        "zipfile": {"seconds": [], "rss": []},
    }
    sizes = {}
    for run in range(repeat):
        for name, script in (("codedeploy_bundle", OURS), ("zipfile", ZIPFILE)):
            seconds, rss, archive_size = build_alone(script, source, work / f"build-{name}.zip", tree)
            builds[name]["seconds"].append(seconds)
            builds[name]["rss"].append(rss)
            sizes[name] = archive_size
            print(
                f"run {run + 1}: build {name:17s} {seconds:7.2f} s, peak RSS {rss:6.1f} MiB, {archive_size / 1e6:.1f} MB"
            )

    summary: dict[str, t.Any] = {
        pair: {
            "role_s": median(timings[f"role_{which}"]),
            "cli_s": median(timings[f"cli_{which}"]),
            "role_cpu_s": median(cpu_times[f"role_{which}"]),
            "cli_cpu_s": median(cpu_times[f"cli_{which}"]),
        }
        for pair, which in (("first_push", "first"), ("second_push", "second"))
    }
    summary["uploads"] = {name: median(values) for name, values in upload_counts.items()}
    summary["build"] = {
        name: {
            "seconds": median(values["seconds"]),
            "peak_rss_mib": median(values["rss"]),
            "archive_bytes": sizes[name],
        }
        for name, values in builds.items()
    }
    summary["one_task_s"] = median(timings["one_task"])
    summary["second_push"]["ratio_role_to_one_task"] = summary["second_push"]["role_s"] / summary["one_task_s"]
    for pair in ("first_push", "second_push"):
        summary[pair]["ratio_role_to_cli"] = summary[pair]["role_s"] / summary[pair]["cli_s"]
        summary[pair]["cpu_ratio_role_to_cli"] = summary[pair]["role_cpu_s"] / summary[pair]["cli_cpu_s"]
    build = summary["build"]
    build["ratio_seconds"] = build["codedeploy_bundle"]["seconds"] / build["zipfile"]["seconds"]
    build["ratio_peak_rss"] = build["codedeploy_bundle"]["peak_rss_mib"] / build["zipfile"]["peak_rss_mib"]
    summary["load_average_end"] = os.getloadavg()
    return {
        "repeat": repeat,
        "runs": [],
        "summary": summary,
        "timings": timings,
        "cpu_times": cpu_times,
        "upload_counts": upload_counts,
        "builds": builds,
    }


def summarize(results: dict[str, t.Any], repeat: int, count: int, size: int) -> None:
    """The table of medians and ratios (ours / theirs)."""
    summary = results["summary"]
    print(f"\nmedians of {repeat} runs, {count} files, {size / 1e6:.1f} MB (ratio = ours / theirs)")
    print(f"{'':34s}{'ours':>10s}{'theirs':>10s}{'ratio':>8s}")
    for label, pair in (("first push (role vs deploy push)", "first_push"), ("second push, unchanged", "second_push")):
        row = summary[pair]
        print(f"{label:34s}{row['role_s']:9.2f}s{row['cli_s']:9.2f}s{row['ratio_role_to_cli']:8.2f}")
        print(
            f"{'  client CPU time':34s}{row['role_cpu_s']:9.2f}s{row['cli_cpu_s']:9.2f}s{row['cpu_ratio_role_to_cli']:8.2f}"
        )
    print(f"{'one-task playbook (the floor)':34s}{summary['one_task_s']:9.2f}s")
    print(
        f"second push / one-task playbook: {summary['second_push']['ratio_role_to_one_task']:.2f}"
        " (goal on 1,000 files: at most 2; on 100 MB: second push at most 0.5 of aws deploy push, first at most 1.0)"
    )
    build = summary["build"]
    ours, theirs = build["codedeploy_bundle"], build["zipfile"]
    print(
        f"{'build (bundle vs zipfile)':34s}{ours['seconds']:9.2f}s{theirs['seconds']:9.2f}s{build['ratio_seconds']:8.2f}"
    )
    print(
        f"{'build peak RSS':34s}{ours['peak_rss_mib']:7.1f}MiB{theirs['peak_rss_mib']:7.1f}MiB{build['ratio_peak_rss']:8.2f}"
    )
    print(
        f"upload calls, second push: role {summary['uploads']['role_second']:.0f}, "
        f"aws deploy push {summary['uploads']['cli_second']:.0f}"
    )


def main() -> int:
    parser = arguments(__doc__, quick="1,000 files and 10 MB instead of 10,000 and 100 MB")
    parser.add_argument("--files", type=int, help="number of files in the tree")
    parser.add_argument("--megabytes", type=int, help="total size of the tree")
    parser.add_argument("--repeat", type=int, help="runs of each pair (default 3, --quick 2)")
    args = parser.parse_args()
    args.repeat = args.repeat or (2 if args.quick else 3)
    files = args.files or (1000 if args.quick else 10000)
    megabytes = args.megabytes or (10 if args.quick else 100)

    with workspace("revision-bench-", args.keep) as work:
        source = work / "app"
        count, size = generate_tree(source, files, megabytes * 1024 * 1024)
        print(f"tree: {count} files, {size / 1e6:.1f} MB in {source}")
        tree = collections_tree(work)
        with lab_of_its_own(work, rooms="none") as lab:
            print(f"lab: {lab.endpoint}")
            lab.client("s3").create_bucket(Bucket="bench")
            lab.client("codedeploy").create_application(applicationName="bench")
            results = {"files": count, "bytes": size, **measure(work, source, tree, lab, args.repeat)}
        summarize(results, args.repeat, count, size)
        print(f"results: {write_results('revision_push', results)}")
        return 0


if __name__ == "__main__":
    sys.exit(main())
