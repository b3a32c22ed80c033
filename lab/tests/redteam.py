"""What every red-team test checks after its attack: the machine is as it was before.

``MachineWatch`` plants a secret file outside any lab state directory (in the test's own temporary folder), notes
the machine's listening sockets and the entries of the folders an escape would write to, and ``assert_clean()``
fails with what changed. A hostile script gets ``watch.secret`` (a path it must not be able to read) and
``watch.token`` (a word to put in the names of files it tries to create on the machine, so a leak is found by name).
"""

from __future__ import annotations

import os
import secrets
import typing as t
from pathlib import Path

# Folders of the machine an escaped hook would most likely write to.
ESCAPE_FOLDERS = ("/", "/tmp", "/var/tmp", "/root", "/etc", "/dev/shm")


def machine_listeners() -> set[tuple[str, int]]:
    """``(address, port)`` of every TCP socket listening in the test process's network namespace (the machine's)."""
    found: set[tuple[str, int]] = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 3 and fields[3] == "0A":  # TCP_LISTEN
                address, port = fields[1].split(":")
                found.add(("0" * width if set(address) == {"0"} else address, int(port, 16)))
    return found


def listening_on(port: int) -> bool:
    return any(found == port for _, found in machine_listeners())


class MachineWatch:
    """Use as a context manager around an attack; ``assert_clean()`` may also be called in between."""

    def __init__(self, folder: Path) -> None:
        self.token = f"redteam-{secrets.token_hex(6)}"
        self.folder = Path(folder) / "outside-the-lab"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.secret = self.folder / "secret.txt"
        self.secret_text = f"{self.token} secret: no lab host may read this\n"
        self.secret.write_text(self.secret_text)
        self._listeners = machine_listeners()
        self._entries = {folder: _entries(folder) for folder in ESCAPE_FOLDERS}
        self._own = set(os.listdir(self.folder))

    def __enter__(self) -> MachineWatch:
        return self

    def __exit__(self, kind: t.Any, error: t.Any, trace: t.Any) -> None:
        if kind is None:
            self.assert_clean()

    def leaks(self) -> list[str]:
        found = []
        if self.secret.read_text() != self.secret_text:
            found.append(f"{self.secret} was changed")
        new_here = set(os.listdir(self.folder)) - self._own
        if new_here:
            found.append(f"new files beside the secret: {sorted(new_here)}")
        for folder, before in self._entries.items():
            added = sorted(name for name in _entries(folder) - before if self.token in name)
            if added:
                found.append(f"{folder}: a hostile script created {added}")
        wildcard = sorted(port for address, port in machine_listeners() - self._listeners if set(address) == {"0"})
        if wildcard:
            found.append(f"new listeners on every address of the machine: ports {wildcard}")
        return found

    def assert_clean(self) -> None:
        leaks = self.leaks()
        assert not leaks, "the machine changed: " + "; ".join(leaks)


def _entries(folder: str) -> set[str]:
    try:
        return set(os.listdir(folder))
    except OSError:
        return set()
