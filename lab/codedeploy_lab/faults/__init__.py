"""Faults for tests: what goes wrong on AWS, on demand (``/_lab/faults`` and ``codedeploy-lab fault``).

``model.py``: what a fault is and does (``Faults``, which is ``lab.faults``); ``endpoints.py``: ``/_lab/faults`` and
``attach(lab)``; ``command.py``: ``codedeploy-lab fault``, which calls those endpoints.

| method and path | body (JSON) | what |
|---|---|---|
| GET ``/_lab/faults`` | | the faults in force and how many calls each one failed |
| DELETE ``/_lab/faults`` | | every fault off (API faults removed, stopped agents started, web servers healthy) |
| PUT ``/_lab/faults/api/<service>`` | ``{fraction, error, seed, count, operations}`` | ``codedeploy`` or ``s3`` calls fail |
| DELETE ``/_lab/faults/api/<service>`` | | that service answers normally again |
| POST ``/_lab/faults/hosts/<id>/agent`` | ``{"action": "stop" \\| "start", "timeout_minutes": 5}`` | the host's CodeDeploy agent stops / starts |
| POST ``/_lab/faults/hosts/<id>/web`` | ``{"action": "unhealthy" \\| "healthy", "status": 503}`` | the host's web server |
| POST ``/_lab/faults/hosts/<id>/terminate`` | ``{"at_event": "AfterInstall", "region": ...}`` | EC2 terminates it |

API faults. A call of the service (optionally only the listed ``operations``) fails with probability ``fraction``
(0..1), drawn from ``random.Random(seed)`` (seed 0 unless given), so the same calls in the same order fail in every
run; ``count`` ends the fault after that many failures (``fraction: 1, count: 3`` = "the next three calls").
CodeDeploy answers ``ThrottlingException`` ("Rate exceeded", HTTP 400, in the JSON or CBOR shape the client
spoke); S3 answers HTTP 503 with its XML ``SlowDown`` (default) or ``ServiceUnavailable`` error. Failed calls are
still counted in ``GET /_lab/calls`` (they reached the lab); ``GET /_lab/faults`` counts the failures per operation.
S3 faults also hit the host agents' bundle downloads, as on AWS.

A stopped agent picks up no lifecycle event: an event that should start on its host waits, and fails after
``AGENT_TIMEOUT_MINUTES`` AWS minutes (scaled by the lab clock; ``timeout_minutes`` of the stop overrides it until the
agent starts again) with AWS's diagnostics for an agent that never received the event (errorCode UnknownError);
started again within the wait, the event runs. An event already running
when the agent stops finishes. ``systemctl stop codedeploy-agent`` inside the host does the same.

A terminated host (through moto's EC2, so the fleet tears it down): the event running on it, or the next one, fails
at once with a message naming the termination (AWS may take up to an hour to notice); the rest are Skipped.
``at_event`` terminates the host when that lifecycle event is about to start on it, so a test can terminate it
mid-deployment without racing the engine.
"""

from __future__ import annotations

from .endpoints import attach
from .model import AGENT_ACTIONS
from .model import AGENT_MESSAGE
from .model import AGENT_TIMEOUT_MINUTES
from .model import API_ERRORS
from .model import SERVICE_EVENTS
from .model import WEB_ACTIONS
from .model import ApiFault
from .model import FaultError
from .model import Faults
from .model import diagnostics
from .model import terminated_message

__all__ = [
    "AGENT_ACTIONS",
    "AGENT_MESSAGE",
    "AGENT_TIMEOUT_MINUTES",
    "API_ERRORS",
    "SERVICE_EVENTS",
    "WEB_ACTIONS",
    "ApiFault",
    "FaultError",
    "Faults",
    "attach",
    "diagnostics",
    "terminated_message",
]
