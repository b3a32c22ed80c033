"""What every fleet keeps: its hosts by instance id, and who wants to hear of launches and terminations.

``Fleet`` (sandboxed hosts) and ``SimulatedFleet`` (the large-fleet mode) differ in the hosts they make; a host only
needs ``instance_id`` and ``terminate()``, ``stop()``, ``start()``.
"""

from __future__ import annotations

import logging
import threading
import typing as t

from . import moto_hooks
from .metadata import InstanceIdentity

LOG = logging.getLogger("codedeploy_lab.fleet")

Listener = t.Callable[[t.Any], t.Any]


class HostRegistry:
    def __init__(self) -> None:
        self._hosts: dict[str, t.Any] = {}
        self._lock = threading.Lock()
        self._launch_listeners: list[Listener] = []
        self._terminate_listeners: list[Listener] = []

    def attach_to_moto(self) -> None:
        """RunInstances / Auto Scaling launches become hosts, terminations remove them."""
        moto_hooks.attach(self)

    def launch(self, identity: InstanceIdentity) -> t.Any:
        """Make and boot the host of a new instance (each fleet makes its own kind)."""
        raise NotImplementedError

    def add_listener(self, on_launch: Listener | None = None, on_terminate: Listener | None = None) -> None:
        """Be told about hosts: ``on_launch(host)`` right after a host starts booting (call ``host.wait_booted()``
        in a thread of your own: it runs inside moto's RunInstances), ``on_terminate(host)`` before it goes."""
        if on_launch is not None:
            self._launch_listeners.append(on_launch)
        if on_terminate is not None:
            self._terminate_listeners.append(on_terminate)

    def _notify(self, listeners: list[Listener], host: t.Any) -> None:
        for listener in listeners:
            try:
                listener(host)
            except Exception:
                LOG.exception("fleet listener %r failed for %s", listener, host.instance_id)

    def _register(self, host: t.Any) -> None:
        with self._lock:
            self._hosts[host.instance_id] = host

    def _launched(self, host: t.Any) -> None:
        self._notify(self._launch_listeners, host)

    def get(self, instance_id: str) -> t.Any:
        with self._lock:
            return self._hosts.get(instance_id)

    def hosts(self) -> list[t.Any]:
        with self._lock:
            return list(self._hosts.values())

    def terminate(self, instance_id: str) -> None:
        with self._lock:
            host = self._hosts.pop(instance_id, None)
        if host is not None:
            LOG.info("host %s: terminating", instance_id)
            self._notify(self._terminate_listeners, host)
            host.terminate()

    def stop(self, instance_id: str) -> None:
        host = self.get(instance_id)
        if host is not None:
            host.stop()

    def start(self, instance_id: str) -> None:
        host = self.get(instance_id)
        if host is not None:
            host.start()

    def reset(self) -> None:
        """Remove every host (the lab's EC2 state was emptied)."""
        for host in self.hosts():
            self.terminate(host.instance_id)
