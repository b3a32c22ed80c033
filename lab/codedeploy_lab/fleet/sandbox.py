"""The sandbox of a lab host: a private mount and PID namespace over a copy-on-write root.

Each host gets ``<state>/hosts/<instance-id>/{upper,work,merged}``. A holder process, started with
``unshare --mount --pid --fork``, mounts an overlay whose lower layer is the machine's ``/`` and whose upper layer is
the host's ``upper`` directory on ``merged`` (visible only inside the namespace), adds ``/proc`` (the namespace's
own), a minimal ``/dev``, a read-only ``/sys``, hides the lab's state directory behind an empty read-only tmpfs, and
chroots into ``merged``. Everything the host runs enters that namespace with ``nsenter``, so writes anywhere land in
``upper`` and never on the machine, and ``ps``/``kill`` inside a hook see only the host's own processes.

The network namespace is shared with the machine on purpose: hooks reach the lab on 127.0.0.1.

Stopping the sandbox kills the holder (PID 1 of the namespace): the kernel then kills every process of the host and
drops the mounts with the namespace. Nothing needs unmounting on the machine.
"""

from __future__ import annotations

import logging
import os
import select
import shlex
import shutil
import signal
import subprocess
import time
import typing as t
from pathlib import Path

LOG = logging.getLogger("codedeploy_lab.fleet")

HOST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
REQUIRED_TOOLS = ("unshare", "nsenter", "chroot", "mount")
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
START_TIMEOUT = 15.0

# PID 1 of the host: reaps orphans (daemons started with ``&`` by hooks) so they do not pile up as zombies, and
# ends the host when the lab process goes away without stopping it (the lifeline pipe reads end-of-file): when PID 1
# of a PID namespace exits, the kernel kills everything in it.
REAPER = """
import os, select, signal, sys
signal.signal(signal.SIGTERM, signal.SIG_IGN)
# Ready only now, chrooted: the lab enters this process's root, so it must be the host's overlay by then.
sys.stdout.write("ready\\n")
sys.stdout.flush()
devnull = os.open("/dev/null", os.O_RDWR)
for fd in (0, 1, 2):
    os.dup2(devnull, fd)
while True:
    ready, _, _ = select.select([LIFELINE], [], [], 1.0)
    if ready and not os.read(LIFELINE, 1):
        break
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass
"""


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
    if os.geteuid() != 0:
        return ("the lab is not running as root, so it cannot mount a copy-on-write root for lab hosts "
                "(run `codedeploy-lab up` as root, e.g. in a container)")
    missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]
    if missing:
        return f"missing tools needed for the host sandbox: {', '.join(missing)} (install util-linux and coreutils)"
    try:
        filesystems = Path("/proc/filesystems").read_text()
    except OSError as error:
        return f"cannot read /proc/filesystems: {error}"
    if "overlay" not in filesystems:
        return "the kernel has no overlay file system (modprobe overlay), so hosts cannot get a copy-on-write root"
    return None


def _holder_script(merged: Path, upper: Path, work: Path, hidden: list[Path], init: list[str],
                   init_program: str | None = None) -> str:
    q = shlex.quote
    m = q(str(merged))
    lines = [
        "set -e",
        f"mount -t overlay overlay -o {q(f'lowerdir=/,upperdir={upper},workdir={work}')} {m}",
        f"mount -t proc proc {m}/proc",
        f"mount -t tmpfs -o mode=755,nosuid tmpfs {m}/dev",
    ]
    for device in DEVICES:
        lines.append(f"touch {m}/dev/{device} && mount --bind /dev/{device} {m}/dev/{device}")
    lines += [
        f"ln -s /proc/self/fd {m}/dev/fd",
        f"ln -s /proc/self/fd/0 {m}/dev/stdin",
        f"ln -s /proc/self/fd/1 {m}/dev/stdout",
        f"ln -s /proc/self/fd/2 {m}/dev/stderr",
        f"mkdir {m}/dev/shm {m}/dev/pts",
        f"mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs {m}/dev/shm",
        f"mount --bind /sys {m}/sys && mount -o remount,bind,ro {m}/sys",
    ]
    for path in hidden:
        # The lab's own files (other hosts' roots included) are not part of a host's world.
        target = f"{m}{q(str(path))}"
        lines.append(f"if [ -d {target} ]; then mount -t tmpfs -o ro,mode=755,size=4k tmpfs {target}; fi")
    # PID 1 says "ready" itself once chrooted (see REAPER); until then the namespace's root is the machine's.
    command = f"exec chroot {m} {' '.join(q(part) for part in init)}"
    if init_program is None:
        lines.append(f"{command} </dev/null")
    else:  # the program on stdin keeps `ps` readable
        lines.append(f"{command} <<'CODEDEPLOY_LAB_INIT'\n{init_program}\nCODEDEPLOY_LAB_INIT")
    return "\n".join(lines)


class Sandbox:
    """A host's namespace and root; ``run()`` starts a process inside it."""

    def __init__(self, root_dir: Path, hidden: t.Iterable[Path] = ()) -> None:
        self.root_dir = Path(root_dir)
        self.upper = self.root_dir / "upper"
        self.work = self.root_dir / "work"
        self.merged = self.root_dir / "merged"
        self.hidden = [Path(p) for p in hidden]
        self._holder: subprocess.Popen[bytes] | None = None
        self._lifeline: int | None = None  # write end of the pipe PID 1 watches; only the lab holds it
        self.init_pid: int | None = None

    @property
    def running(self) -> bool:
        return self._holder is not None and self._holder.poll() is None

    @property
    def root_view(self) -> Path:
        """The host's merged root seen from the lab process (``/proc/<pid 1>/root``); read-only use.

        Absolute symlinks below it resolve against the *machine's* root, so never write through it.
        """
        if self.init_pid is None:
            raise SandboxUnavailable("the host's sandbox is not running")
        return Path(f"/proc/{self.init_pid}/root")

    def start(self) -> None:
        problem = sandbox_support_problem()
        if problem:
            raise SandboxUnavailable(problem)
        for directory in (self.upper, self.work, self.merged):
            directory.mkdir(parents=True, exist_ok=True)
        python = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else None
        lifeline_read, lifeline_write = os.pipe()
        if python:
            init, program = [python, "-I", "-"], f"LIFELINE = {lifeline_read}\n{REAPER}"
        else:
            init, program = ["/bin/sh", "-c", "echo ready; exec /bin/sleep infinity >/dev/null 2>&1"], None
        script = _holder_script(self.merged, self.upper, self.work, self.hidden, init, program)
        try:
            holder = subprocess.Popen(
                ["unshare", "--mount", "--propagation", "private", "--pid", "--fork", "--kill-child",
                 "--", "/bin/sh", "-s", f"codedeploy-lab-host:{self.root_dir.name}"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                env={"PATH": os.environ.get("PATH", HOST_PATH), "LANG": "C.UTF-8"},
                start_new_session=True, pass_fds=(lifeline_read,),
            )
            holder.stdin.write(script.encode() + b"\n")  # type: ignore[union-attr]
            holder.stdin.close()  # type: ignore[union-attr]
        finally:
            os.close(lifeline_read)
        self._lifeline = lifeline_write
        ready = _read_line(holder.stdout, START_TIMEOUT)  # type: ignore[arg-type]
        if ready != b"ready":
            _stop_process(holder, None)
            os.close(self._lifeline)
            self._lifeline = None
            error = holder.stderr.read().decode("utf-8", "replace").strip() if holder.stderr else ""
            raise SandboxUnavailable(f"cannot create the host sandbox in {self.root_dir}: {error or 'no reason given'}")
        holder.stdout.close()  # type: ignore[union-attr]
        holder.stderr.close()  # type: ignore[union-attr]
        self._holder = holder
        self.init_pid = _child_pid(holder.pid)
        self._check_confined()

    def _check_confined(self) -> None:
        """Refuse to enter a process whose root is the machine's (never write through an unconfined target)."""
        if self.init_pid is None:
            raise SandboxUnavailable("the host's sandbox is not running")
        try:
            target = os.stat(f"/proc/{self.init_pid}/root/")
        except OSError as error:
            raise SandboxUnavailable(f"the host's sandbox is gone: {error}") from None
        machine = os.stat("/")
        if (target.st_dev, target.st_ino) == (machine.st_dev, machine.st_ino):
            raise SandboxUnavailable(f"refusing to run in process {self.init_pid}: its root is the machine's")

    def run(self, argv: t.Sequence[str], *, env: dict[str, str], cwd: str = "/", **popen: t.Any
            ) -> subprocess.Popen[bytes]:
        """Start ``argv`` inside the host (its own process group, so a timeout can kill all it started)."""
        if not self.running or self.init_pid is None:
            raise SandboxUnavailable("the host's sandbox is not running")
        self._check_confined()
        command = ["nsenter", f"--target={self.init_pid}", "--mount", "--pid", "--root", f"--wdns={cwd}",
                   "--", *argv]
        return subprocess.Popen(command, env=env, start_new_session=True, **popen)

    def stop(self) -> None:
        """Kill every process of the host; its mounts go with the namespace."""
        if self._holder is not None:
            _stop_process(self._holder, self.init_pid)
        if self._lifeline is not None:
            os.close(self._lifeline)
        self._holder = None
        self._lifeline = None
        self.init_pid = None

    def remove(self) -> None:
        self.stop()
        if self.root_dir.exists():
            shutil.rmtree(self.root_dir, ignore_errors=True)


def _read_line(stream: t.IO[bytes], timeout: float) -> bytes:
    deadline = time.monotonic() + timeout
    data = b""
    fd = stream.fileno()
    while b"\n" not in data:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        readable, _, _ = select.select([fd], [], [], remaining)
        if not readable:
            break
        chunk = os.read(fd, 64)
        if not chunk:
            break
        data += chunk
    return data.split(b"\n", 1)[0].strip()


def _child_pid(pid: int) -> int:
    """The process ``unshare --fork`` started: PID 1 of the new namespace."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            children = []
        if children:
            return int(children[0])
        time.sleep(0.01)
    raise SandboxUnavailable(f"the sandbox holder {pid} has no child process")


def _stop_process(holder: subprocess.Popen[bytes], init_pid: int | None) -> None:
    # unshare --fork ignores SIGTERM/SIGINT; killing PID 1 of the namespace ends everything inside it.
    for pid in (init_pid, holder.pid):
        if pid is None:
            continue
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        holder.wait(timeout=10)
    except subprocess.TimeoutExpired:
        LOG.warning("sandbox holder %s did not exit", holder.pid)
