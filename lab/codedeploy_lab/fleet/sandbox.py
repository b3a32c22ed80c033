"""The sandbox of a lab host: its own user, mount, PID, network, UTS and IPC namespaces, over a root of its own.

Each host gets ``<state>/hosts/<instance-id>/``: ``root/`` is the host's ``/`` (its own ``/etc``, ``/var``,
``/tmp``, ``/root``, ``/home``, ``/opt``, ``/srv``, ``/run``, ``/mnt``) and ``usr-local/`` its ``/usr/local``. The
holder (``holder.py``) makes the namespaces, binds the machine's ``/usr`` read-only into the root, adds a fresh
``/proc``, a read-only ``/sys`` and a minimal ``/dev``, ``pivot_root``s into it and unmounts the machine's root, so
nothing else of the machine is there to see. Root in the host is an unprivileged id on the machine:

* a lab running as root maps 65536 ids per host (``ID_RANGE_BASE + slot * 65536``), so ec2-user, apache and the
  other usual users exist;
* a lab running as an ordinary user maps only its own id to host root; changing a file's owner to another id fails.

Processes enter with ``nsenter`` and run under ``setpriv``: no new privileges, and only the capabilities an EC2 root
uses day to day (``HOST_CAPABILITIES``; no mknod, chroot, raw sockets, mounts, module loading, ptrace ...).

The host's network namespace has only ``lo`` (127.0.0.1 and 169.254.169.254). The holder opens the host's
listening sockets for the lab's endpoint port and the metadata address and hands them to the lab, whose gateway
(``gateway.py``) serves them: a host reaches the AWS APIs, its own metadata and its shims, and nothing else.

Where the machine allows it (a root lab, cgroup v1 memory and pids controllers), every process of the host is in a
cgroup of its own with ``MEMORY_LIMIT`` and ``PIDS_LIMIT``.

Stopping the sandbox closes the lifeline (the control socket PID 1 watches) and kills PID 1: the kernel then kills
every process of the host and drops its mounts and network with the namespaces.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import logging
import os
import random
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import typing as t
from pathlib import Path

LOG = logging.getLogger("codedeploy_lab.fleet")

HOST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
REQUIRED_TOOLS = ("nsenter", "setpriv")
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
START_TIMEOUT = 30.0
HOLDER_SOURCE = (Path(__file__).parent / "holder.py").read_text()

# What root on an EC2 instance uses: file ownership and modes, signals, changing user (su, runuser), binding ports
# below 1024. Everything else (CAP_SYS_ADMIN, SYS_MODULE, SYS_RAWIO, SYS_PTRACE, SYS_BOOT, SYS_TIME, MKNOD, NET_RAW,
# SYS_CHROOT, NET_ADMIN ...) is gone from the bounding set once the holder has built the host.
HOST_CAPABILITIES = {
    "chown": 0,
    "dac_override": 1,
    "fowner": 3,
    "fsetid": 4,
    "kill": 5,
    "setgid": 6,
    "setuid": 7,
    "setpcap": 8,
    "net_bind_service": 10,
    "audit_write": 29,
    "setfcap": 31,
}

ID_RANGE_BASE = 2_000_000_000  # outer id of root in host slot 0 (a root lab); far above any machine user
ID_RANGE_SIZE = 65536
ID_SLOTS = 30000  # 2e9 + 30000 * 65536 stays below 2**32 - 1

MEMORY_LIMIT = 1 << 30  # bytes of memory (page cache included) all processes of one host may use
PIDS_LIMIT = 1024  # processes and threads of one host
CGROUP_ROOT = Path("/sys/fs/cgroup")
CGROUP_PREFIX = "codedeploy-lab-"

# Files of the machine's /etc a host does not get: password hashes, sudo rules, SSH host keys, private keys
# (``sanitised_etc`` writes shadow files of its own, every password locked).
ETC_SECRETS = (
    "shadow",
    "shadow-",
    "gshadow",
    "gshadow-",
    "sudoers",
    "sudoers.d",
    "ssl/private",
    "security/opasswd",
    "machine-id",
    "subuid",
    "subgid",
)


@functools.cache
def aws_cli_packages() -> Path | None:
    """The site-packages directory holding awscli (the lab's environment), or None."""
    spec = importlib.util.find_spec("awscli")
    return Path(spec.origin).parent.parent if spec is not None and spec.origin is not None else None


TOP_DIRS = ("etc", "tmp", "var", "var/tmp", "root", "home", "opt", "srv", "run", "mnt", "usr", "proc", "sys", "dev")


class SandboxUnavailable(RuntimeError):
    """No sandbox can be made on this machine; the message says why."""


_support_problem: str | None | bool = False  # False = not probed yet


def sandbox_support_problem() -> str | None:
    """Why hosts cannot be sandboxed here, or None when they can (probed once per process)."""
    global _support_problem
    if _support_problem is False:
        _support_problem = _probe()
    return _support_problem  # type: ignore[return-value]


def _probe() -> str | None:
    missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]
    if missing:
        return f"missing tools needed for the host sandbox: {', '.join(missing)} (install util-linux)"
    if not os.access(host_python(), os.X_OK):
        return f"no Python at {host_python()} to hold a host's namespaces (install python3)"
    # The real test: make a user namespace with every namespace a host gets, as this user.
    flags = " | ".join(hex(flag) for flag in (0x10000000, 0x00020000, 0x40000000, 0x04000000, 0x08000000, 0x20000000))
    program = (
        f"import ctypes, sys\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        f"sys.exit(ctypes.get_errno() if libc.unshare({flags}) else 0)"
    )
    probe = subprocess.run([host_python(), "-I", "-c", program], capture_output=True, check=False)
    if probe.returncode != 0:
        reason = os.strerror(probe.returncode) if 0 < probe.returncode < 134 else probe.stderr.decode().strip()
        return (
            f"this machine does not let {'root' if os.geteuid() == 0 else 'this user'} create user namespaces "
            f"({reason}): allow unprivileged user namespaces (sysctl user.max_user_namespaces, "
            "kernel.unprivileged_userns_clone) or run `codedeploy-lab up` as root in a container that permits them"
        )
    return None


def kill_group(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, grace: float = 2.0) -> None:
    """Signal the process group ``process`` leads (it was started in a new session), then SIGKILL stragglers."""
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        LOG.warning("process %s did not die", process.pid)


def host_python() -> str:
    """The interpreter that holds a host's namespaces and runs the lab's helpers inside it (the machine's /usr)."""
    return "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable


_slots_lock = threading.Lock()
_slots_taken: set[int] = set()


def _take_slot() -> int:
    """A free range of 65536 outer ids (random, so two labs on one machine rarely pick the same one)."""
    with _slots_lock:
        while True:
            slot = random.randrange(ID_SLOTS)
            if slot not in _slots_taken:
                _slots_taken.add(slot)
                return slot


def sanitised_etc(state_dir: Path) -> Path:
    """The machine's /etc without its secrets, copied once per lab into ``<state>/host-etc``; hosts copy it."""
    template = state_dir / "host-etc"
    if template.is_dir():
        return template
    partial = state_dir / f"host-etc.{os.getpid()}.{threading.get_ident()}"
    skip = {Path("/etc") / name for name in ETC_SECRETS}
    for folder, dirs, files in os.walk("/etc"):
        source = Path(folder)
        target = partial / source.relative_to("/etc")
        target.mkdir(parents=True, exist_ok=True)
        dirs[:] = [d for d in dirs if source / d not in skip and not (source / d).is_symlink()]
        for name in files + [d for d in os.listdir(source) if (source / d).is_symlink() and (source / d).is_dir()]:
            path = source / name
            if path in skip or "ssh_host_" in name:
                continue
            try:
                if path.is_symlink():
                    os.symlink(os.readlink(path), target / name)
                elif stat.S_ISREG(path.lstat().st_mode):
                    shutil.copy2(path, target / name)
            except OSError:
                continue  # unreadable to this user: a host does not get it either
    # The machine's name and addresses are not the host's (``Host`` writes its own line).
    (partial / "hosts").write_text("127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n")
    # su and PAM want shadow files: the host gets ones with every password locked, not the machine's hashes.
    for name, listing, fields in (("shadow", "passwd", ":*:19000:0:99999:7:::"), ("gshadow", "group", ":!::")):
        names = [line.split(":", 1)[0] for line in (partial / listing).read_text().splitlines() if ":" in line]
        (partial / name).write_text("".join(f"{entry}{fields}\n" for entry in names))
        (partial / name).chmod(0o640)
    try:
        partial.rename(template)
    except OSError:  # another host made it first
        shutil.rmtree(partial, ignore_errors=True)
    return template


class Sandbox:
    """A host's namespaces and root; ``run()`` starts a process inside it."""

    def __init__(
        self, host_dir: Path, *, hostname: str, endpoint_port: int, etc_template: t.Callable[[], Path], cgroup_name: str
    ) -> None:
        self.host_dir = Path(host_dir)
        self.root = self.host_dir / "root"
        self.usr_local = self.host_dir / "usr-local"
        self.hostname = hostname
        self.endpoint_port = endpoint_port
        self._etc_template = etc_template
        self.cgroup_name = cgroup_name
        self.privileged = os.geteuid() == 0
        self.id_base = ID_RANGE_BASE + _take_slot() * ID_RANGE_SIZE if self.privileged else os.geteuid()
        self.cgroups: list[Path] = []  # the host's cgroup directories, when limits are enforced
        self.limits_problem: str | None = None
        self.listeners: list[socket.socket] = []  # the host's 127.0.0.1:<endpoint port> and 169.254.169.254:80
        self._holder: subprocess.Popen[bytes] | None = None
        self._control: socket.socket | None = None  # the lab's end of the control socket: PID 1's lifeline
        self._pending = b""  # what the holder sent past the last line read
        self.init_pid: int | None = None

    @property
    def running(self) -> bool:
        return self._holder is not None and self._holder.poll() is None

    def describe_limits(self) -> dict[str, t.Any]:
        if self.cgroups:
            return {"enforced": True, "memory_bytes": MEMORY_LIMIT, "pids": PIDS_LIMIT}
        return {"enforced": False, "reason": self.limits_problem or "the host is not running"}

    # -- the root ----------------------------------------------------------------------------------------------------

    def _read_only_binds(self) -> list[str]:
        """Machine directories bound read-only at the same path: the lab's site-packages, where the host's ``aws``
        (run by the machine's /usr/bin/python3, see ``shims.py``) finds awscli and botocore."""
        packages = aws_cli_packages()
        return [str(packages)] if packages is not None and not packages.is_relative_to("/usr") else []

    def _create_root(self) -> None:
        """The host's own directories, made once (a stopped host keeps them)."""
        if self.root.is_dir():
            return
        partial = self.host_dir / "root.partial"
        shutil.rmtree(partial, ignore_errors=True)
        for name in TOP_DIRS:
            if name != "etc":
                (partial / name).mkdir(parents=True, exist_ok=True)
        shutil.copytree(self._etc_template(), partial / "etc", symlinks=True)
        (partial / "tmp").chmod(0o1777)
        (partial / "var/tmp").chmod(0o1777)
        (partial / "root").chmod(0o700)
        for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
            machine = Path("/") / name
            if machine.is_symlink():
                (partial / name).symlink_to(os.readlink(machine))
            elif machine.is_dir():
                raise SandboxUnavailable(
                    f"/{name} is a directory on this machine, not a link into /usr: the host "
                    "sandbox only binds /usr (a merged-/usr system is needed)"
                )
        for path in self._read_only_binds():
            (partial / path.lstrip("/")).mkdir(parents=True, exist_ok=True)
        for name in ("bin", "sbin", "lib", "etc", "share", "src", "include"):
            (self.usr_local / name).mkdir(parents=True, exist_ok=True)
        if self.privileged:
            for tree in (partial, self.usr_local):
                _chown_tree(tree, self.id_base)
        partial.rename(self.root)

    # -- cgroups -----------------------------------------------------------------------------------------------------

    def _create_cgroups(self) -> None:
        self.cgroups = []
        if not self.privileged:
            self.limits_problem = "the lab does not run as root, so it cannot create cgroups"
            return
        wanted = {"memory": ("memory.limit_in_bytes", MEMORY_LIMIT), "pids": ("pids.max", PIDS_LIMIT)}
        made = []
        try:
            for controller, (limit_file, value) in wanted.items():
                directory = CGROUP_ROOT / controller / f"{CGROUP_PREFIX}{self.cgroup_name}"
                directory.mkdir(exist_ok=True)
                made.append(directory)
                (directory / limit_file).write_text(f"{value}\n")
        except OSError as error:
            self.limits_problem = f"cgroup v1 memory and pids controllers are not writable here ({error})"
            remove_cgroups(self.cgroup_name)
            return
        self.cgroups = made

    def _join_cgroups_prefix(self) -> list[str]:
        """A wrapper that puts the process in the host's cgroups before it enters (so its children are counted)."""
        if not self.cgroups:
            return []
        script = "".join(f'echo $$ >"${i + 1}/cgroup.procs" && ' for i in range(len(self.cgroups)))
        return [
            "/bin/sh",
            "-c",
            f'{script}shift {len(self.cgroups)} && exec "$@"',
            "sh",
            *(str(path) for path in self.cgroups),
        ]

    # -- start, run, stop --------------------------------------------------------------------------------------------

    def start(self) -> None:
        problem = sandbox_support_problem()
        if problem:
            raise SandboxUnavailable(problem)
        self._create_root()
        self._create_cgroups()
        lab_end, holder_end = socket.socketpair()
        config = {
            "root": str(self.root),
            "usr_local": str(self.usr_local),
            "hostname": self.hostname,
            "endpoint_port": self.endpoint_port,
            "devices": list(DEVICES),
            "capabilities": sorted(HOST_CAPABILITIES.values()),
            "read_only_binds": self._read_only_binds(),
        }
        try:
            holder = subprocess.Popen(
                [*self._join_cgroups_prefix(), host_python(), "-I", "-", str(holder_end.fileno())],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env={"PATH": HOST_PATH, "LANG": "C.UTF-8"},
                start_new_session=True,
                pass_fds=(holder_end.fileno(),),
            )
            # stdin=PIPE: never None. The program on stdin (not in argv) keeps `ps` readable.
            holder.stdin.write(HOLDER_SOURCE.encode())  # type: ignore[union-attr]
            holder.stdin.close()  # type: ignore[union-attr]
        finally:
            holder_end.close()
        self._holder, self._control = holder, lab_end
        try:
            lab_end.settimeout(START_TIMEOUT)
            lab_end.sendall(json.dumps(config).encode() + b"\n")
            self._expect(b"user")
            self._write_id_maps(holder.pid)
            lab_end.sendall(b"maps\n")
            message, fds, _, _ = socket.recv_fds(lab_end, 64, 4)
            if message != b"sockets\n" or len(fds) != 2:
                raise OSError(f"expected the host's listening sockets, got {message!r}")
            self.listeners = [socket.socket(fileno=fd) for fd in fds]
            pid_line = self._expect(b"pid ")
            self.init_pid = int(pid_line.split()[1])
            self._expect(b"ready")
        except (OSError, ValueError) as error:
            self.stop()
            reason = holder.stderr.read().decode("utf-8", "replace").strip() if holder.stderr else ""
            raise SandboxUnavailable(f"cannot create the host sandbox in {self.host_dir}: {reason or error}") from None
        finally:
            if holder.stderr is not None:
                holder.stderr.close()
        self._check_confined()
        if not self.cgroups:
            LOG.warning(
                "host sandbox %s: memory and process limits are not enforced: %s", self.hostname, self.limits_problem
            )
        LOG.info(
            "host sandbox %s: PID 1 is %s; root is outer id %s; limits %s",
            self.hostname,
            self.init_pid,
            self.id_base,
            self.describe_limits(),
        )

    def _expect(self, prefix: bytes) -> bytes:
        assert self._control is not None
        while b"\n" not in self._pending:
            chunk = self._control.recv(256)
            if not chunk:
                raise OSError("the holder ended")
            self._pending += chunk
        line, self._pending = self._pending.split(b"\n", 1)
        if not line.startswith(prefix):
            raise OSError(f"expected {prefix!r} from the holder, got {line!r}")
        return line

    def _write_id_maps(self, pid: int) -> None:
        proc = Path(f"/proc/{pid}")
        if self.privileged:
            (proc / "uid_map").write_text(f"0 {self.id_base} {ID_RANGE_SIZE}\n")
            (proc / "gid_map").write_text(f"0 {self.id_base} {ID_RANGE_SIZE}\n")
        else:
            (proc / "setgroups").write_text("deny\n")
            (proc / "uid_map").write_text(f"0 {os.geteuid()} 1\n")
            (proc / "gid_map").write_text(f"0 {os.getegid()} 1\n")

    def _check_confined(self) -> None:
        """Refuse to enter a process whose root is the machine's (never run anything unconfined)."""
        if self.init_pid is None:
            raise SandboxUnavailable("the host's sandbox is not running")
        try:
            target = os.stat(f"/proc/{self.init_pid}/root/")
            own_user_ns = os.stat(f"/proc/{self.init_pid}/ns/user").st_ino != os.stat("/proc/self/ns/user").st_ino
        except OSError as error:
            raise SandboxUnavailable(f"the host's sandbox is gone: {error}") from None
        machine = os.stat("/")
        if (target.st_dev, target.st_ino) == (machine.st_dev, machine.st_ino) or not own_user_ns:
            raise SandboxUnavailable(f"refusing to run in process {self.init_pid}: it is not a host's sandbox")

    def run(
        self, argv: t.Sequence[str], *, env: dict[str, str], cwd: str = "/", **popen: t.Any
    ) -> subprocess.Popen[bytes]:
        """Start ``argv`` inside the host (its own process group, so a timeout can kill all it started)."""
        if not self.running or self.init_pid is None:
            raise SandboxUnavailable("the host's sandbox is not running")
        self._check_confined()
        bounding = ",".join(["-all", *(f"+{name}" for name in sorted(HOST_CAPABILITIES))])
        command = [
            *self._join_cgroups_prefix(),
            "nsenter",
            f"--target={self.init_pid}",
            "--user",
            "--mount",
            "--pid",
            "--net",
            "--uts",
            "--ipc",
            "--root",
            f"--wdns={cwd}",
            # An unprivileged lab's id already is root inside; setgroups is denied there.
            *(() if self.privileged else ("--preserve-credentials",)),
            "--",
            "/usr/bin/setpriv",
            "--no-new-privs",
            f"--bounding-set={bounding}",
            "--inh-caps=-all",
            "--",
            *argv,
        ]
        return subprocess.Popen(command, env=env, start_new_session=True, **popen)

    def stop(self) -> None:
        """Kill every process of the host; its mounts and network go with the namespaces."""
        if self._control is not None:
            self._control.close()  # PID 1 reads end-of-file and exits
        for listener in self.listeners:
            listener.close()
        if self.init_pid is not None:
            try:
                os.kill(self.init_pid, 9)
            except ProcessLookupError:
                pass
        if self._holder is not None:
            try:
                self._holder.kill()
                self._holder.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                LOG.warning("sandbox holder %s did not exit", self._holder.pid)
        _wait_cgroups_empty(self.cgroups)
        remove_cgroups(self.cgroup_name)
        self.cgroups = []
        self._holder = self._control = None
        self._pending = b""
        self.listeners = []
        self.init_pid = None

    def remove(self) -> None:
        self.stop()
        remove_host_dir(self.host_dir)
        if self.privileged:
            with _slots_lock:
                _slots_taken.discard((self.id_base - ID_RANGE_BASE) // ID_RANGE_SIZE)


def remove_host_dir(host_dir: Path) -> None:
    """Remove a host's directory (modes a hook set, such as a 000 folder, do not stop it)."""

    def make_writable_and_retry(function: t.Any, path: str, _: t.Any) -> None:
        try:
            os.chmod(os.path.dirname(path), 0o700)
            if os.path.isdir(path) and not os.path.islink(path):
                os.chmod(path, 0o700)
            function(path)
        except OSError:
            pass

    if host_dir.exists():
        shutil.rmtree(host_dir, onerror=make_writable_and_retry)


def remove_cgroups(name: str) -> None:
    for controller in ("memory", "pids"):
        directory = CGROUP_ROOT / controller / f"{CGROUP_PREFIX}{name}"
        try:
            directory.rmdir()
        except FileNotFoundError:
            pass
        except OSError as error:
            LOG.warning("cannot remove cgroup %s: %s", directory, error)


def remove_stale_cgroups(older_than: float = 60.0) -> None:
    """Remove empty host cgroups left by labs that ended without stopping their hosts (killed, say).

    A starting host fills its cgroups within milliseconds of making them, so an empty one a minute old is nobody's.
    """
    for controller in ("memory", "pids"):
        for directory in (CGROUP_ROOT / controller).glob(f"{CGROUP_PREFIX}*"):
            try:
                if (
                    time.time() - directory.stat().st_mtime > older_than
                    and not (directory / "cgroup.procs").read_text().strip()
                ):
                    directory.rmdir()
            except OSError:
                continue


def _wait_cgroups_empty(cgroups: list[Path], timeout: float = 10.0) -> None:
    """The kernel needs a moment to reap the processes of a killed PID namespace before the cgroup can go."""
    deadline = time.monotonic() + timeout
    for directory in cgroups:
        while time.monotonic() < deadline:
            try:
                if not (directory / "cgroup.procs").read_text().strip():
                    break
            except OSError:
                break
            time.sleep(0.05)


def _chown_tree(tree: Path, owner: int) -> None:
    os.lchown(tree, owner, owner)
    for folder, dirs, files in os.walk(tree):
        for name in dirs + files:
            os.lchown(os.path.join(folder, name), owner, owner)
