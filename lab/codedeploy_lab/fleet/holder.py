"""The holder of a lab host's namespaces: a standard-library program, run as ``python3 -I - <fd>`` (itself on stdin).

It makes the namespaces itself (``unshare --user`` from util-linux would exec before the lab could write the id
maps). It talks to the lab over its half of a socket pair (file descriptor ``<fd>``), which first brings the host's
settings as a line of JSON:

1. unshare(CLONE_NEWUSER), send ``user``; the lab writes ``/proc/<holder>/{setgroups,uid_map,gid_map}`` and
   answers ``maps``;
2. become root of the new user namespace, unshare the mount, PID, network, UTS and IPC namespaces, bring ``lo`` up
   (plus 169.254.169.254/32, the instance metadata address), open the listening sockets the lab serves for the host
   (its gateway) and send them over the socket;
3. fork PID 1 of the new PID namespace, which builds the host's root, ``pivot_root``s into it, drops capabilities
   and says ``ready``; then it reaps orphans until the lab closes its end of the socket (the lifeline), and exits,
   which makes the kernel kill everything left in the host.

Errors go to stderr and end the program; the lab shows them.
"""

import ctypes
import fcntl
import json
import os
import select
import socket
import struct
import sys

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
MNT_DETACH = 2
PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_SET_DUMPABLE = 24, 38, 4
SYS_PIVOT_ROOT, SYS_CAPSET = 155, 126  # x86_64
SIOCGIFFLAGS, SIOCSIFFLAGS, SIOCSIFADDR, SIOCSIFNETMASK = 0x8913, 0x8914, 0x8916, 0x891C
IFF_UP = 0x1
LAST_CAP = 40
METADATA_ADDRESS = "169.254.169.254"
STAGE = "/tmp"

libc = ctypes.CDLL(None, use_errno=True)


def check(result, what):
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def mount(source, target, fstype=None, flags=0, data=None):
    check(
        libc.mount(
            source and source.encode(), target.encode(), fstype and fstype.encode(), flags, data and data.encode()
        ),
        f"mount {source or fstype} on {target}",
    )


def locked_flags(path):
    """A bind remount in a user namespace must keep the flags the original mount has (the kernel locks them)."""
    info = os.statvfs(path)
    flags = 0
    for st_flag, ms_flag in (
        (os.ST_NOSUID, MS_NOSUID),
        (os.ST_NODEV, MS_NODEV),
        (os.ST_NOEXEC, MS_NOEXEC),
        (os.ST_NOATIME, MS_NOATIME),
        (os.ST_NODIRATIME, MS_NODIRATIME),
        (os.ST_RELATIME, MS_RELATIME),
    ):
        if info.f_flag & st_flag:
            flags |= ms_flag
    return flags


def bind(source, target, read_only):
    mount(source, target, None, MS_BIND | MS_REC)
    if read_only:
        mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | locked_flags(target))


def interface_request(name, payload=b""):
    return struct.pack("16s", name.encode()) + payload.ljust(24, b"\0")


def configure_loopback():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        flags = struct.unpack_from("H", fcntl.ioctl(probe, SIOCGIFFLAGS, interface_request("lo")), 16)[0]
        fcntl.ioctl(probe, SIOCSIFFLAGS, interface_request("lo", struct.pack("H", flags | IFF_UP)))
        # An alias of lo gives the host the instance metadata address, as on EC2 (a /32: nothing else is routed).
        address = struct.pack("HH4s", socket.AF_INET, 0, socket.inet_aton(METADATA_ADDRESS))
        netmask = struct.pack("HH4s", socket.AF_INET, 0, socket.inet_aton("255.255.255.255"))
        fcntl.ioctl(probe, SIOCSIFADDR, interface_request("lo:imds", address))
        fcntl.ioctl(probe, SIOCSIFNETMASK, interface_request("lo:imds", netmask))


def listener(address, port):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((address, port))
    server.listen(128)
    return server


def build_root(config):
    root = config["root"]
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    bind(root, root, read_only=False)  # pivot_root needs the new root to be a mount point
    bind("/usr", root + "/usr", read_only=True)
    bind(config["usr_local"], root + "/usr/local", read_only=False)
    # The lab's site-packages, for the host's `aws` (see sandbox.py), at the path it has on the machine.
    for path in config["read_only_binds"]:
        bind(config.get("staged", {}).get(path, path), root + path, read_only=True)
    mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    try:
        mount("sysfs", root + "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
    except OSError:  # sysfs needs a network namespace the user namespace owns and a visible /sys; else empty
        mount("tmpfs", root + "/sys", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=555")
    dev = root + "/dev"
    mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=64k")
    for device in config["devices"]:
        open(f"{dev}/{device}", "w").close()
        bind(f"/dev/{device}", f"{dev}/{device}", read_only=False)
    for name, target in (
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ):
        os.symlink(target, f"{dev}/{name}")
    os.mkdir(f"{dev}/shm")
    mount("tmpfs", f"{dev}/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
    os.mkdir(f"{dev}/pts")
    try:
        mount("devpts", f"{dev}/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620")
        os.symlink("pts/ptmx", f"{dev}/ptmx")
    except OSError:
        pass  # no pseudo-terminals; hooks do not need them
    mount(None, dev, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC, "mode=755,size=64k")
    old = root + "/.machine"
    os.makedirs(old, exist_ok=True)
    check(libc.syscall(SYS_PIVOT_ROOT, root.encode(), old.encode()), "pivot_root")
    os.chdir("/")
    check(libc.umount2(b"/.machine", MNT_DETACH), "umount the machine's root")
    os.rmdir("/.machine")


def stage_host_folders(config):
    """Bind the host's folders under a tmpfs on /tmp, in a mount namespace of the holder's own, while it is still the
    machine's root: root of the host may not be allowed to pass the folders above the lab's state directory."""
    check(libc.unshare(CLONE_NEWNS), "unshare a staging mount namespace")
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    folders = {key: os.open(config[key], os.O_PATH | os.O_DIRECTORY) for key in ("root", "usr_local")}
    # The read-only binds too: the tmpfs below hides them if they live under /tmp (a checkout in /tmp).
    read_only = {path: os.open(path, os.O_PATH | os.O_DIRECTORY) for path in config["read_only_binds"]}
    mount("tmpfs", STAGE, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=64k")
    for key, fd in folders.items():
        staged = f"{STAGE}/{key}"
        os.mkdir(staged)
        bind(f"/proc/self/fd/{fd}", staged, read_only=False)
        os.close(fd)
        config[key] = staged
    config["staged"] = {}
    for number, (path, fd) in enumerate(read_only.items()):
        staged = f"{STAGE}/read-only-{number}"
        os.mkdir(staged)
        bind(f"/proc/self/fd/{fd}", staged, read_only=True)
        os.close(fd)
        config["staged"][path] = staged


def drop_capabilities(keep):
    for cap in range(LAST_CAP + 1):
        if cap not in keep and libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() != 22:
            check(-1, f"drop capability {cap}")
    mask = sum(1 << cap for cap in keep)
    header = struct.pack("II", 0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = struct.pack("IIIIII", mask & 0xFFFFFFFF, mask & 0xFFFFFFFF, 0, mask >> 32, mask >> 32, 0)
    check(libc.syscall(SYS_CAPSET, ctypes.c_char_p(header), ctypes.c_char_p(data)), "capset")
    check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def reap_until_lifeline_closes(lifeline):
    devnull = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    while True:
        ready, _, _ = select.select([lifeline], [], [], 1.0)
        if ready and not os.read(lifeline, 64):
            return
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            pass


def main():
    control = socket.socket(fileno=int(sys.argv[1]))
    config = json.loads(control.makefile("rb").readline())  # not on the command line: hosts see PID 1's
    if os.geteuid() == 0:
        stage_host_folders(config)
    check(libc.unshare(CLONE_NEWUSER), "unshare the user namespace")
    control.sendall(b"user\n")
    if control.recv(16) != b"maps\n":
        sys.exit("the lab did not write the user namespace's id maps")
    os.setresgid(0, 0, 0)
    os.setresuid(0, 0, 0)
    check(
        libc.unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC),
        "unshare the mount, PID, network, UTS and IPC namespaces",
    )
    hostname = config["hostname"].encode()
    check(libc.sethostname(hostname, len(hostname)), "sethostname")
    configure_loopback()
    sockets = [listener("127.0.0.1", config["endpoint_port"]), listener(METADATA_ADDRESS, 80)]
    socket.send_fds(control, [b"sockets\n"], [s.fileno() for s in sockets])
    for server in sockets:
        server.close()
    child = os.fork()
    if child:
        control.sendall(f"pid {child}\n".encode())
        control.close()
        _, status = os.waitpid(child, 0)
        sys.exit(os.waitstatus_to_exitcode(status))
    try:
        build_root(config)
        drop_capabilities(set(config["capabilities"]))
        libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # the lab reads /proc/<pid 1>/ (its root, its status)
    except (OSError, ValueError) as error:
        sys.stderr.write(f"host sandbox setup failed: {error}\n")
        sys.stderr.flush()
        os._exit(1)
    control.sendall(b"ready\n")
    reap_until_lifeline_closes(control.fileno())
    os._exit(0)


if __name__ == "__main__":
    main()
