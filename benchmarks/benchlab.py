# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What every benchmark needs: its common options, a temporary workspace, a lab of its own, a collections tree and
an environment for ansible-playbook, timed runs, the lab's call counts, and a place for results."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import typing as t
from pathlib import Path

# The lab's package from this checkout, whether or not the venv has it installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lab"))

from codedeploy_lab.testing import RunningLab
from codedeploy_lab.testing import start_lab
from codedeploy_lab.testing import stop_lab

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ONE_TASK = """\
- name: One task, Ansible's floor
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Answer
      ansible.builtin.ping:
"""


def arguments(doc: str | None, quick: str, keep: str = "keep the temporary directory") -> argparse.ArgumentParser:
    """A parser with the options every benchmark has: --quick (the smaller case ``make bench`` runs) and --keep."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=quick)
    parser.add_argument("--keep", action="store_true", help=keep)
    return parser


@contextlib.contextmanager
def workspace(prefix: str, keep: bool) -> t.Iterator[Path]:
    """A temporary directory, removed at the end unless ``keep``."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield work
    finally:
        if keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


@contextlib.contextmanager
def lab_of_its_own(work: Path, leave_up: bool = False, **options: t.Any) -> t.Iterator[RunningLab]:
    """``codedeploy-lab up`` on a free port, state in ``work/lab`` (``options`` become ``up``'s, as ``start_lab``
    takes them); stopped by its PID at the end unless ``leave_up``."""
    lab = start_lab(work / "lab", **options)
    try:
        yield lab
    finally:
        if leave_up:
            print(f"the lab is still up: codedeploy-lab down --state-dir {lab.state_dir} stops it")
        else:
            stop_lab(lab)


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


def tool_env(tree: Path, lab: RunningLab) -> dict[str, str]:
    """The environment of ansible-playbook and the AWS CLI: the collections in ``tree``, the lab's endpoint and
    test credentials."""
    return dict(
        os.environ,
        **lab.env(),
        ANSIBLE_COLLECTIONS_PATH=str(tree),
        ANSIBLE_HOST_KEY_CHECKING="false",
        ANSIBLE_DEPRECATION_WARNINGS="false",
    )


def ansible_playbook(playbook: Path, *options: str) -> list[str]:
    """The command line of this venv's ansible-playbook running ``playbook`` on the inventory ``localhost,``."""
    return [str(BIN / "ansible-playbook"), "-i", "localhost,", str(playbook), *options]


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


def run_playbook(playbook: Path, env: dict[str, str], *options: str) -> tuple[float, float, str]:
    """One timed ansible-playbook run: wall seconds, CPU seconds and output; exits the benchmark when it fails."""
    wall, cpu, status, output = run_measured(ansible_playbook(playbook, *options), env)
    if status != 0:
        sys.exit(f"{playbook.name} failed:\n{output[-6000:]}")
    return wall, cpu, output


def one_task(work: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of a one-task playbook (``ansible.builtin.ping`` on localhost with this interpreter):
    what any ansible-playbook run costs at least."""
    playbook = work / "one.yml"
    playbook.write_text(ONE_TASK)
    wall, cpu, _output = run_playbook(
        playbook, env, "-c", "local", "-e", f"ansible_python_interpreter={sys.executable}"
    )
    return wall, cpu


def calls_between(before: dict[str, dict[str, int]], after: dict[str, dict[str, int]]) -> dict[str, int]:
    """The calls the lab counted between two readings of ``lab.calls()``, as ``service:Operation`` -> count."""
    made = {}
    for service, operations in after.items():
        for operation, count in operations.items():
            difference = count - before.get(service, {}).get(operation, 0)
            if difference:
                made[f"{service}:{operation}"] = difference
    return made


def median(values: t.Iterable[float]) -> float:
    """The median, or NaN when there are no values."""
    values = list(values)
    return statistics.median(values) if values else float("nan")


def write_results(name: str, results: t.Any) -> Path:
    """``benchmarks/results/<name>-<time>.json`` (git-ignored)."""
    directory = REPO / "benchmarks" / "results"
    directory.mkdir(exist_ok=True)
    output = directory / f"{name}-{time.strftime('%Y%m%dT%H%M%S')}.json"
    output.write_text(json.dumps(results, indent=2) + "\n")
    return output
