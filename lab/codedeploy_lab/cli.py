"""The ``codedeploy-lab`` command (up, down, status, reset, serve)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    print("codedeploy-lab: not implemented yet", file=sys.stderr)
    return 2
