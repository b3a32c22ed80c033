"""The lab's console: a read-only web view of applications, deployments and the fleet, served under ``/console/``.

``attach(lab)`` makes ``lab.console``, a WSGI application the lab process routes every ``/console`` path to. The
pages are plain HTML, CSS and script in ``static/``, shipped in this package: nothing is fetched or built at run time.
A deployment's page asks for its JSON twice a second, so it follows a running deployment without a reload.
"""

from __future__ import annotations

from ..lab import Lab
from .app import PREFIX
from .app import ConsoleApp
from .data import USER_AGENT
from .data import ConsoleData
from .data import InProcess
from .data import LabSource
from .data import OverHttp

__all__ = ["PREFIX", "USER_AGENT", "ConsoleApp", "ConsoleData", "InProcess", "LabSource", "OverHttp", "attach"]


def attach(lab: Lab) -> ConsoleApp:
    """Give ``lab`` its console (``lab.console``), reading through the lab's own API in this process."""
    console = ConsoleApp(InProcess(lab))
    lab.console = console
    return console
