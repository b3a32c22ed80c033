"""A tripwire for the lab's first safety rule: nothing a lab host does may land on the machine.

Lab hosts write anywhere inside their own root (their own ``/etc``, ``/var``, ``/usr/local`` ...; the machine's
``/usr`` is read-only there). Had a sandbox ever failed open, those writes would show up here: users added to
``/etc/passwd``, shims in ``/usr/local/bin`` or over ``/usr/bin/apt-get``, pages in ``/var/www``. The snapshot is
taken before the first test and compared after the last one, so a leak fails the run with the paths that changed,
whichever test caused it.
"""

from __future__ import annotations

import hashlib
import os

# Files hosts are known to write inside their own root (users, hostname, hosts) and programs the shims stand in for.
WATCHED_FILES = (
    "/etc/passwd",
    "/etc/group",
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/hostname",
    "/etc/hosts",
    "/usr/bin/apt-get",
    "/usr/bin/apt",
    "/usr/bin/yum",
    "/usr/bin/dnf",
    "/usr/sbin/service",
    "/usr/bin/systemctl",
    "/usr/sbin/chkconfig",
    "/usr/bin/curl",
    "/usr/bin/wget",
)
# Folders whose entries hosts create inside their own root (deployment targets, unit files, agent layout).
WATCHED_FOLDERS = (
    "/",
    "/etc",
    "/etc/init.d",
    "/etc/profile.d",
    "/etc/systemd/system",
    "/opt",
    "/srv",
    "/home",
    "/usr/local/bin",
    "/usr/local/sbin",
    "/lib/systemd/system",
    "/var",
    "/var/lib",
    "/var/log",
    "/var/www",
)


def _digest(path: str) -> str:
    try:
        with open(path, "rb") as stream:
            return hashlib.sha256(stream.read()).hexdigest()
    except FileNotFoundError:
        return "absent"
    except OSError as error:
        return f"unreadable: {error.strerror}"


def _entries(path: str) -> frozenset[str]:
    try:
        return frozenset(os.listdir(path))
    except FileNotFoundError:
        return frozenset({"<absent>"})


def snapshot() -> dict[str, object]:
    state: dict[str, object] = {path: _digest(path) for path in WATCHED_FILES}
    state.update({f"{path} (entries)": _entries(path) for path in WATCHED_FOLDERS})
    return state


def changes(before: dict[str, object], after: dict[str, object]) -> list[str]:
    found = []
    for key, old in before.items():
        new = after[key]
        if old == new:
            continue
        if isinstance(old, frozenset) and isinstance(new, frozenset):
            added, removed = sorted(new - old), sorted(old - new)
            found.append(f"{key}: added {added}, removed {removed}")
        else:
            found.append(f"{key}: content changed")
    return found
