"""The CodeDeploy lab: moto server plus our own CodeDeploy service, on 127.0.0.1."""

from __future__ import annotations

__version__ = "0.1.0"
