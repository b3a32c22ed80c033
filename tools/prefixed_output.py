"""Commands that run at once, each line of their output (stdout and stderr together) prefixed with a label.

Shared by tools/in-parallel and tools/integration-shards, which Python finds here because it puts a script's own
directory first on its path.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import typing as t

# Whole lines only: one writer at a time on our stdout.
_STDOUT = threading.Lock()


def _pump(stream: t.IO[bytes], prefix: bytes) -> None:
    for line in iter(stream.readline, b""):
        with _STDOUT:
            sys.stdout.buffer.write(prefix + line)
            sys.stdout.flush()


class PrefixedRun:
    """A command started now, its output copied to ours with ``prefix`` before each line."""

    def __init__(self, command: list[str], prefix: str) -> None:
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        assert self.process.stdout is not None  # stdout=PIPE
        self._pump = threading.Thread(target=_pump, args=(self.process.stdout, prefix.encode()), daemon=True)
        self._pump.start()
        self.started = time.monotonic()

    def wait(self) -> tuple[int, str]:
        """Its exit status once it and its output are done, and a summary: ``ok (12.3 s)`` or ``FAILED with status 2 (12.3 s)``."""
        code = self.process.wait()
        self._pump.join()
        outcome = "ok" if code == 0 else f"FAILED with status {code}"
        return code, f"{outcome} ({time.monotonic() - self.started:.1f} s)"
