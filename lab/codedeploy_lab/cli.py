"""The ``codedeploy-lab`` command: up, down, status, reset (and serve, which ``up`` runs in the background)."""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import logging
import os
import re
import shlex
import signal
import socket
import stat
import subprocess
import sys
import time
import typing as t
import urllib.error
import urllib.request
from pathlib import Path

import boto3

from .agent.agent import LIMIT_VARIABLES
from .faults.command import add_fault_command
from .fleet.cli import add_host_command
from .fleet.simulated import Simulation
from .iam.bootstrap import ADMIN_CREDENTIALS_FILE
from .iam.bootstrap import read_admin_credentials
from .lab import TOKEN_FILE
from .lab import TOKEN_HEADER
from .lab import read_control_token
from .labclient import LabError
from .labclient import is_lab_process
from .labclient import read_lab_json
from .labclient import running_lab
from .server import parse_rooms
from .server import serve_and_exit

DEFAULT_STATE_DIR = ".lab"
UP_TIMEOUT = 60.0
DOWN_TIMEOUT = 15.0
# What the lab process inherits from the caller: nothing else (no AWS_* credentials, no other tool's tokens).
INHERITED_ENVIRONMENT = ("PATH", "LANG", "LC_ALL", "HOME", "TMPDIR", "TZ")
LAB_ENVIRONMENT_PREFIX = "CODEDEPLOY_LAB_"  # the lab's own settings, e.g. the agent's bundle limits
# What a lab leaves per host, removed when no lab runs in the state directory (a crash leaves them behind).
HOST_LEFTOVERS = ("hosts", "sockets")


def _state_dir(args: argparse.Namespace) -> Path:
    return Path(args.state_dir).resolve()


def _http(method: str, url: str, timeout: float = 5.0, token: str | None = None) -> t.Any:
    headers = {TOKEN_HEADER: token} if token else {}
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None, headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def lab_environment() -> dict[str, str]:
    """The environment of the lab process: the few variables it needs, the lab's own, and its package path."""
    environment = {name: os.environ[name] for name in INHERITED_ENVIRONMENT if name in os.environ}
    environment.update({name: value for name, value in os.environ.items() if name.startswith(LAB_ENVIRONMENT_PREFIX)})
    # serve imports codedeploy_lab and its dependencies from where `up` found them (a checkout, or a system Python
    # given the venv's site-packages, as an unprivileged lab is started).
    package_root = str(Path(__file__).resolve().parent.parent)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
    return environment


@contextlib.contextmanager
def no_lab_running(state: Path) -> t.Iterator[bool]:
    """Yields True while holding ``lab.lock`` when no lab runs in ``state``; False when a lab holds it."""
    descriptor = os.open(state / "lab.lock", os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
        else:
            yield True
    finally:
        os.close(descriptor)


def remove_leftovers(state: Path) -> tuple[int, list[str]]:
    """Remove what hosts left in ``state`` (``hosts/*``, ``sockets/*``).

    Call it only while holding ``lab.lock`` (``no_lab_running``), so that no running lab owns them. Symlinks are
    removed, never followed, and mount points are never crossed. Returns how many entries went, and what was kept
    and why.
    """
    removed, kept = 0, []
    mounts = _mount_points_under(state)
    state_descriptor = os.open(state, os.O_RDONLY | os.O_DIRECTORY)
    try:
        device = os.stat(state_descriptor).st_dev
        for leftover in HOST_LEFTOVERS:
            try:
                descriptor = _open_directory(state_descriptor, leftover)
            except FileNotFoundError:
                continue
            except OSError as error:  # e.g. a symlink where the directory belongs: not ours to follow
                kept.append(f"{state / leftover} ({error.strerror})")
                continue
            try:
                for name in _names(descriptor):
                    try:
                        _remove(descriptor, name, state / leftover / name, device, mounts, kept)
                        removed += 1
                    except OSError as error:
                        kept.append(f"{state / leftover / name} ({error.strerror})")
            finally:
                os.close(descriptor)
    finally:
        os.close(state_descriptor)
    return removed, kept


def _mount_points_under(state: Path) -> set[Path]:
    points: set[Path] = set()
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return points
    for line in lines:
        point = Path(re.sub(r"\\([0-7]{3})", lambda code: chr(int(code[1], 8)), line.split()[4]))  # \040: space
        if point != state and state in point.parents:
            points.add(point)
    return points


def _open_directory(parent: int, name: str) -> int:
    """``name`` in ``parent`` opened without following a symlink, made readable if its mode shut us out."""
    try:
        return os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=parent)
    except PermissionError:  # overlay work dirs and hostile hooks leave mode 000 directories
        path_only = os.open(name, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=parent)
        try:
            os.chmod(f"/proc/self/fd/{path_only}", 0o700)  # the directory itself, never a symlink's target
        finally:
            os.close(path_only)
        return os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=parent)


def _names(descriptor: int) -> list[str]:
    with os.scandir(descriptor) as entries:
        return [entry.name for entry in entries]


def _remove(parent: int, name: str, path: Path, device: int, mounts: set[Path], kept: list[str]) -> None:
    """Remove ``name`` in ``parent`` and, for a directory, everything under it; symlinks are removed, not followed."""
    info = os.stat(name, dir_fd=parent, follow_symlinks=False)
    if not stat.S_ISDIR(info.st_mode):
        os.unlink(name, dir_fd=parent)
        return
    if info.st_dev != device or path in mounts:
        kept.append(f"{path} (a mount point; unmount it)")
        return
    descriptor = _open_directory(parent, name)
    try:
        if not os.stat(descriptor).st_mode & stat.S_IWUSR:
            os.chmod(f"/proc/self/fd/{descriptor}", 0o700)
        for child in _names(descriptor):
            _remove(descriptor, child, path / child, device, mounts, kept)
    finally:
        os.close(descriptor)
    with contextlib.suppress(OSError):  # not empty: a mount point inside was kept
        os.rmdir(name, dir_fd=parent)


def _clean_up_after_crash(state: Path) -> None:
    """Remove host roots and socket directories no running lab owns (``up``, ``down`` and ``reset`` call it)."""
    if not (state / "lab.lock").is_file():  # no lab ever ran here: a folder of the user's, not ours to empty
        return
    with no_lab_running(state) as free:
        if not free:
            return
        removed, kept = remove_leftovers(state)
    if removed:
        print(f"removed {removed} leftover host entr{'y' if removed == 1 else 'ies'} from {state}", file=sys.stderr)
    for reason in kept:
        print(f"kept {reason}", file=sys.stderr)


def cmd_up(args: argparse.Namespace) -> int:
    state = _state_dir(args)
    existing = running_lab(state)
    if existing:
        raise LabError(
            f"a lab is already running in {state} (pid {existing['pid']}, {existing['endpoint']}); "
            f"stop it with: codedeploy-lab down --state-dir {args.state_dir}"
        )
    if args.port and not _port_is_free(args.port):
        raise LabError(
            f"cannot listen on 127.0.0.1:{args.port} (the port is in use); choose another port with "
            "--port, or leave --port out for a free one"
        )
    state.mkdir(mode=0o700, parents=True, exist_ok=True)
    _clean_up_after_crash(state)
    log_path = state / "lab.log"
    command = [
        sys.executable,
        "-m",
        "codedeploy_lab.cli",
        "serve",
        "--state-dir",
        str(state),
        "--port",
        str(args.port),
        "--time-factor",
        str(args.time_factor),
        "--rooms",
        ",".join(args.rooms) or "none",
    ]
    command += [
        "--fleet",
        args.fleet,
        "--hook-seconds",
        str(args.hook_seconds),
        "--fail-fraction",
        str(args.fail_fraction),
    ]
    command += ["--enforce-iam"] if args.enforce_iam else []
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            env={**lab_environment(), **_bundle_limit_variables(args)},
        )
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LabError(
                f"the lab process exited with status {process.returncode} before answering; "
                f"last lines of {log_path}:\n{_tail(log_path)}"
            )
        info = read_lab_json(state)
        if info and info.get("pid") == process.pid:
            try:
                _http("GET", f"{info['endpoint']}/_lab/health", timeout=2)
            except (OSError, urllib.error.URLError):
                pass
            else:
                print(info["endpoint"] if not args.json else json.dumps(info, indent=2))
                return 0
        time.sleep(0.1)
    process.terminate()
    raise LabError(
        f"the lab did not answer within {args.timeout:.0f} s (pid {process.pid} terminated); "
        f"see {log_path}:\n{_tail(log_path)}"
    )


def cmd_down(args: argparse.Namespace) -> int:
    state = _state_dir(args)
    info = running_lab(state)
    if info is None:
        print(f"no lab running in {state}")
        _clean_up_after_crash(state)
        return 0
    pid = int(info["pid"])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline and is_lab_process(pid):
        time.sleep(0.1)
    if is_lab_process(pid):
        os.kill(pid, signal.SIGKILL)
        for _ in range(50):
            if not is_lab_process(pid):
                break
            time.sleep(0.1)
    (state / "lab.json").unlink(missing_ok=True)
    print(f"lab stopped (pid {pid})")
    _clean_up_after_crash(state)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    state = _state_dir(args)
    info = running_lab(state)
    if info is None:
        if args.json:
            print(
                json.dumps(
                    {
                        "running": False,
                        "state_dir": str(state),
                        "endpoint": None,
                        "console": None,
                        "load_balancers": {},
                        "control_token": None,
                        "admin_credentials": None,
                    },
                    indent=2,
                )
            )
        else:
            print(f"no lab running in {state}")
        return 1
    try:
        status = _http("GET", f"{info['endpoint']}/_lab/status")
    except (OSError, urllib.error.URLError) as error:
        raise LabError(
            f"the lab process {info['pid']} is alive but {info['endpoint']} does not answer: {error}"
        ) from None
    status["running"] = True
    status["control_token"] = read_control_token(state)
    status["admin_credentials"] = _admin_credentials(state, status)
    status["hosts"] = _describe_hosts(info["endpoint"], status["control_token"])
    if args.json:
        print(json.dumps(status, indent=2, sort_keys=True))
    else:
        print(f"lab running: {status['endpoint']} (pid {status['pid']}, state {status['state_dir']})")
        print(f"  console: {status['console']}")
        for name, url in status.get("load_balancers", {}).items():
            print(f"  load balancer {name}: {url}")
        print(f"  export AWS_ENDPOINT_URL={status['endpoint']}")
        print(f"  control token (header {TOKEN_HEADER}, for /_lab/ and /moto-api): {state / TOKEN_FILE}")
        if status["admin_credentials"]:
            print(
                f"  IAM enforced; administrator's keys: {state / ADMIN_CREDENTIALS_FILE} (codedeploy-lab env --admin)"
            )
        print(f"  hosts: {len(status['hosts'])}" if status["hosts"] else "  hosts: none")
        for host in status["hosts"]:
            targets = ", ".join(f"{pool} {health}" for pool, health in host["load_balancers"].items())
            print(
                f"    {host['instance_id']}  {host['state']}  {host['private_ip'] or '-'}"
                f"  asg {host['auto_scaling_group'] or '-'}  web {host['web_socket'] or '-'}"
                f"  load balancers {targets or '-'}"
            )
    return 0


def _admin_credentials(state: Path, status: dict[str, t.Any]) -> dict[str, str] | None:
    """The administrator's key pair of an enforcing lab (None when the lab does not enforce IAM)."""
    if not status.get("enforce_iam"):
        return None
    keys = read_admin_credentials(state)
    if keys is None:
        raise LabError(
            f"the lab enforces IAM but {state / ADMIN_CREDENTIALS_FILE} is missing or unreadable; "
            f"restart it: codedeploy-lab down and up --enforce-iam"
        )
    return {"access_key_id": keys.access_key_id, "secret_access_key": keys.secret_access_key}


def cmd_env(args: argparse.Namespace) -> int:
    """Print export lines that point AWS clients at the running lab (``eval "$(codedeploy-lab env --admin)"``)."""
    state = _state_dir(args)
    info = running_lab(state)
    if info is None:
        raise LabError(f"no lab running in {state}; start one with: codedeploy-lab up --state-dir {args.state_dir}")
    status = _http("GET", f"{info['endpoint']}/_lab/status")
    lines = {"AWS_ENDPOINT_URL": info["endpoint"], "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"}
    if args.admin:
        keys = _admin_credentials(state, status)
        if keys is None:
            raise LabError(
                "--admin: this lab does not enforce IAM, so any key pair works (e.g. testing/testing); "
                "start it with: codedeploy-lab up --enforce-iam"
            )
        lines.update({"AWS_ACCESS_KEY_ID": keys["access_key_id"], "AWS_SECRET_ACCESS_KEY": keys["secret_access_key"]})
    for name, value in lines.items():
        print(f"export {name}={shlex.quote(value)}")
    return 0


def _lab_endpoint_or_empty(endpoint: str, path: str, token: str | None) -> t.Any:
    """A /_lab/ endpoint's answer, or None when its room is not running (404)."""
    try:
        return _http("GET", f"{endpoint}{path}", token=token)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise


def _describe_hosts(endpoint: str, token: str | None) -> list[dict[str, t.Any]]:
    """Every lab host, with what a user needs to reach it: EC2's view (private IP, Auto Scaling group), the web
    server's unix socket and the health of the host in each load balancer target pool."""
    fleet = _lab_endpoint_or_empty(endpoint, "/_lab/hosts", token) or {"hosts": []}
    balancers = _lab_endpoint_or_empty(endpoint, "/_lab/load-balancers", token) or {"pools": {}}
    instances = _ec2_instances(endpoint, {host["instance_id"] for host in fleet["hosts"]})
    described = []
    for host in fleet["hosts"]:
        instance = instances.get(host["instance_id"], {})
        tags = {tag["Key"]: tag["Value"] for tag in instance.get("Tags", [])}
        described.append(
            {
                "instance_id": host["instance_id"],
                "state": host.get("state"),
                "private_ip": instance.get("PrivateIpAddress"),
                "auto_scaling_group": tags.get("aws:autoscaling:groupName"),
                "web_socket": (host.get("web") or {}).get("socket"),
                "load_balancers": {
                    pool: targets["targets"][host["instance_id"]]["state"]
                    for pool, targets in sorted(balancers["pools"].items())
                    if host["instance_id"] in targets["targets"]
                },
            }
        )
    return sorted(described, key=lambda host: host["instance_id"])


def _ec2_instances(endpoint: str, instance_ids: set[str]) -> dict[str, dict[str, t.Any]]:
    """EC2's description of the lab's instances, looked up region by region (us-east-1 first) until all are found."""
    if not instance_ids:
        return {}

    def client(region: str) -> t.Any:
        return boto3.client(
            "ec2",
            endpoint_url=endpoint,
            region_name=region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    found: dict[str, dict[str, t.Any]] = {}
    regions = ["us-east-1"] + [region["RegionName"] for region in client("us-east-1").describe_regions()["Regions"]]
    for region in dict.fromkeys(regions):
        for page in client(region).get_paginator("describe_instances").paginate():
            for reservation in page["Reservations"]:
                found.update(
                    {
                        instance["InstanceId"]: instance
                        for instance in reservation["Instances"]
                        if instance["InstanceId"] in instance_ids
                    }
                )
        if instance_ids <= found.keys():
            break
    return found


def cmd_reset(args: argparse.Namespace) -> int:
    state = _state_dir(args)
    info = running_lab(state)
    if info is None:
        _clean_up_after_crash(state)
        raise LabError(f"no lab running in {state}; start one with: codedeploy-lab up --state-dir {args.state_dir}")
    _http("POST", f"{info['endpoint']}/_lab/reset", timeout=30, token=read_control_token(state))
    print(f"lab reset ({info['endpoint']})")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.update(_bundle_limit_variables(args))
    serve_and_exit(_state_dir(args), args.port, args.time_factor, args.rooms, _simulation(args), args.enforce_iam)


BUNDLE_LIMITS_IN_WORDS = {
    "max_unpacked_bytes": "bytes unpacked",
    "max_ratio": "unpacked bytes per bundle byte",
    "max_entries": "files, directories and links",
}


def _bundle_limit_variables(args: argparse.Namespace) -> dict[str, str]:
    """``--max-unpacked-bytes`` and friends as the environment variables the agent reads (agent.bundle_limits)."""
    return {
        variable: str(getattr(args, name))
        for name, (variable, _) in LIMIT_VARIABLES.items()
        if getattr(args, name) is not None
    }


def _simulation(args: argparse.Namespace) -> Simulation | None:
    """The large-fleet mode's settings (``--fleet simulated``), or None for sandboxed hosts."""
    if args.fleet != "simulated":
        return None
    return Simulation(hook_seconds=args.hook_seconds, fail_fraction=args.fail_fraction)


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be a fraction between 0 and 1, got {text}")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"must be between 0 and 3600 seconds, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text}")
    return value


def _rooms(text: str) -> tuple[str, ...]:
    try:
        return parse_rooms(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {text}")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be between 0 (any free port) and 65535, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="codedeploy-lab", description="A local AWS CodeDeploy lab on 127.0.0.1.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: t.Callable[[argparse.Namespace], int], help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument(
            "--state-dir",
            default=DEFAULT_STATE_DIR,
            help=f"directory holding lab.json, lab.log and the hosts (default: ./{DEFAULT_STATE_DIR})",
        )
        sub.set_defaults(handler=handler)
        return sub

    for name, handler, help_text in (
        ("up", cmd_up, "start a lab in the background and wait until it answers"),
        ("serve", cmd_serve, "run a lab in the foreground (what `up` starts)"),
    ):
        sub = add(name, handler, help_text)
        sub.add_argument(
            "--port",
            type=_port,
            default=0,
            help="port on 127.0.0.1 (default: a free one; `status` and lab.json say which)",
        )
        sub.add_argument(
            "--time-factor",
            type=_positive_float,
            default=1.0,
            metavar="SECONDS_PER_AWS_MINUTE",
            help="lab seconds that stand for one AWS minute (default 1.0)",
        )
        sub.add_argument(
            "--rooms",
            type=_rooms,
            default="all",
            metavar="ROOMS",
            help="data-plane rooms to run: all (default), none (control plane only), or a "
            "comma-separated subset of fleet,loadbalancer,deployments",
        )
        sub.add_argument(
            "--fleet",
            choices=("sandboxed", "simulated"),
            default="sandboxed",
            help="sandboxed (default): every instance is a host that runs user data and hooks; "
            "simulated: the large-fleet mode, hosts run nothing and each lifecycle event takes "
            "--hook-seconds (no sandbox, no web server)",
        )
        sub.add_argument(
            "--hook-seconds",
            type=_seconds,
            default=0.05,
            metavar="SECONDS",
            help="with --fleet simulated: seconds each lifecycle event takes on a host (default 0.05)",
        )
        sub.add_argument(
            "--fail-fraction",
            type=_fraction,
            default=0.0,
            metavar="FRACTION",
            help="with --fleet simulated: fraction of hosts whose ValidateService fails in each deployment (default 0)",
        )
        sub.add_argument(
            "--enforce-iam",
            action="store_true",
            help="authenticate (SigV4 against the lab's IAM keys) and authorize (IAM policies) every "
            "AWS call as AWS does; the lab makes an administrator whose keys `status --json` and "
            "`env --admin` give",
        )
        for name, (_, default) in LIMIT_VARIABLES.items():
            sub.add_argument(
                f"--{name.replace('_', '-')}",
                type=_positive_int,
                default=None,
                metavar="N",
                help=f"the agent refuses a revision bundle with more {BUNDLE_LIMITS_IN_WORDS[name]} "
                f"(default {default})",
            )
    up = commands.choices["up"]
    up.add_argument("--timeout", type=float, default=UP_TIMEOUT, help="seconds to wait for the lab to answer")
    up.add_argument("--json", action="store_true", help="print lab.json instead of the endpoint")
    down = add("down", cmd_down, "stop the lab and everything it started")
    down.add_argument("--timeout", type=float, default=DOWN_TIMEOUT, help="seconds to wait before SIGKILL")
    status = add("status", cmd_status, "show the endpoint and load balancers of the running lab")
    status.add_argument("--json", action="store_true", help="print JSON")
    add("reset", cmd_reset, "empty the lab's state (moto and CodeDeploy)")
    env = add("env", cmd_env, "print export lines pointing AWS clients at the running lab")
    env.add_argument(
        "--admin", action="store_true", help="with the administrator's key pair (a lab started with --enforce-iam)"
    )
    add_fault_command(commands, DEFAULT_STATE_DIR)
    add_host_command(commands, DEFAULT_STATE_DIR)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except LabError as error:
        print(f"codedeploy-lab {args.command}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
